/**
 * Pure builders for the allocator's and the sync-engine's containers: their environment, from the variable names in
 * services/lib/contract.ts, and what follows from their images. The components only wire these into objects.
 */
import type * as k8s from '@pulumi/kubernetes';
import { ALLOCATOR, SYNC_ENGINE } from '../../services/lib/contract';
import { EnvVar, fieldEnv } from '../pod-spec';
import type { EnabledSyncEngine } from '../stack-config';

/** The `node` user of the services' base image (uid 1000), which owns /app and the sync-engine's state dir. */
export const SERVICE_UID = 1000;

/** Where the sync-engine image keeps its state (its Dockerfile's `SYNC_STATE_DIR` and `VOLUME`). */
export const SYNC_STATE_DIR = '/var/lib/sync-engine';

/** The file, on the state volume, the cutover writes the active connect string to (one plain line). */
export const SYNC_PUBLISH_FILE = `${SYNC_STATE_DIR}/active-connect`;

/** The Secret keys the sync-engine's credentials are read from (`syncEngine.credentialsSecret`). */
export const SYNC_CREDENTIAL_KEYS = { source: 'source-auth', target: 'target-auth' } as const;

export interface AllocatorEnvArgs {
  /** The platform ensemble's connect string, without a chroot. */
  zkConnect: string;
  /** The allocator's znode tree: election, journal and snapshots live under it. */
  zkRoot: string;
}

/**
 * The allocator's environment. Followers redirect API calls to the leader by the URL it advertises in its election
 * node, so that URL must reach this very pod: its IP (downward API), not the Service, which would pick any replica.
 */
export function allocatorEnv(a: AllocatorEnvArgs): EnvVar[] {
  const E = ALLOCATOR.env;
  return [
    { name: E.zkConnect, value: a.zkConnect },
    { name: E.zkRoot, value: a.zkRoot },
    { name: E.httpPort, value: String(ALLOCATOR.httpPort) },
    fieldEnv('POD_IP', 'status.podIP'),
    // $(POD_IP) is expanded by the kubelet from the entry above, which must come first.
    { name: E.advertiseUrl, value: `http://$(POD_IP):${ALLOCATOR.httpPort}` },
  ];
}

/** An environment variable from a Secret key that may be absent (a migration may need no credentials). */
function optionalSecretEnv(name: string, secret: string, key: string): k8s.types.input.core.v1.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } };
}

/**
 * The sync-engine's service-mode environment. Lists travel comma-separated (the engine splits them); credentials
 * come only from the named Secret, never from a literal, so they stay out of stack config and pod specs.
 */
export function syncEngineEnv(s: EnabledSyncEngine): k8s.types.input.core.v1.EnvVar[] {
  const E = SYNC_ENGINE.env;
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: E.source, value: s.source },
    { name: E.target, value: s.target },
    { name: E.serveMode, value: s.mode },
    { name: E.direction, value: s.direction },
    { name: E.policy, value: s.policy },
    { name: E.job, value: s.job },
    { name: E.stateDir, value: SYNC_STATE_DIR },
    { name: E.publishFile, value: SYNC_PUBLISH_FILE },
    { name: E.httpPort, value: String(SYNC_ENGINE.httpPort) },
  ];
  if (s.include.length > 0) env.push({ name: E.include, value: s.include.join(',') });
  if (s.exclude.length > 0) env.push({ name: E.exclude, value: s.exclude.join(',') });
  if (s.credentialsSecret) {
    env.push(optionalSecretEnv(E.sourceAuth, s.credentialsSecret, SYNC_CREDENTIAL_KEYS.source));
    env.push(optionalSecretEnv(E.targetAuth, s.credentialsSecret, SYNC_CREDENTIAL_KEYS.target));
  }
  return env;
}

/** Where the engine publishes the active connect string: the same znode on both ensembles, and a file. */
export interface PublishedConnect {
  /** The znode, outside the synced tree, holding JSON `{connect, job, phase, at}`; the engine's default for its job. */
  znode: string;
  /** The two ensembles it is written on (hosts, no chroot: the znode is absolute): a client of either can watch it. */
  ensembles: string[];
  /** The plain one-line copy on the engine's state volume. */
  file: string;
}

export function publishedConnect(s: EnabledSyncEngine): PublishedConnect {
  const hosts = (connect: string): string => connect.split('/')[0];
  return { znode: publishZnode(s.job), ensembles: [hosts(s.source), hosts(s.target)], file: SYNC_PUBLISH_FILE };
}

/** The engine's default publish znode for a job (services/sync-engine/src/config.ts). */
export function publishZnode(job: string): string {
  return `/sync-engine/${job}/active-connect`;
}
