/**
 * Pure builders for the probe DaemonSet and the monitoring app: the probe's host access exactly as
 * services/lib/contract.ts declares it (mounts, PID namespace, capabilities) and both sides' environment.
 */
import type * as k8s from '@pulumi/kubernetes';
import { APP, HostMount, PROBE, PROBE_TOKEN_SECRET_KEY } from '../../services/lib/contract';
import { fieldEnv } from '../pod-spec';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;

/** Where the DaemonSet mounts the host's /proc and /sys (only its fs/cgroup), as PROBE_PROC_ROOT / PROBE_SYS_ROOT. */
export const PROBE_PROC_ROOT = '/host/proc';
export const PROBE_SYS_ROOT = '/host/sys';

function tokenEnv(name: string, secretName: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key: PROBE_TOKEN_SECRET_KEY } } };
}

/** The probe's environment: the node it reports as, where the host's trees are mounted, the app and the token. */
export function probeEnv(a: { appUrl: string; tokenSecret: string }): EnvVar[] {
  const E = PROBE.env;
  const docker = PROBE.hostMounts.find((m) => m.name === 'docker-socket')!;
  return [
    { name: E.httpPort, value: String(PROBE.httpPort) },
    // The node's name, not the pod's: the report's host must stay the same across probe restarts.
    fieldEnv(E.hostname, 'spec.nodeName'),
    { name: E.procRoot, value: PROBE_PROC_ROOT },
    { name: E.sysRoot, value: PROBE_SYS_ROOT },
    { name: E.dockerSocket, value: docker.mountPath },
    { name: E.appUrl, value: a.appUrl },
    tokenEnv(E.token, a.tokenSecret),
  ];
}

/** The app's environment: the token it expects on `POST /api/report`, from the same Secret key the probes read. */
export function appEnv(a: { tokenSecret: string }): EnvVar[] {
  return [{ name: APP.env.httpPort, value: String(APP.httpPort) }, tokenEnv(APP.env.probeToken, a.tokenSecret)];
}

/**
 * A hostPath volume per contract mount. A `Socket` mount is declared without a type check: a required socket would
 * keep the probe off every node without Docker, leaving it unseen, and the probe falls back to cgroups there.
 */
export function probeVolumes(mounts: readonly HostMount[] = PROBE.hostMounts): Volume[] {
  return mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type === 'Socket' ? undefined : m.type } }));
}

/** Every contract mount, read-only, where the probe looks for it. */
export function probeVolumeMounts(mounts: readonly HostMount[] = PROBE.hostMounts): k8s.types.input.core.v1.VolumeMount[] {
  return mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: true }));
}

/**
 * The probe container's security context, from the contract: uid 0 with every capability dropped but the two the
 * contract names (SYS_PTRACE, DAC_READ_SEARCH: reading other users' /proc/<pid>/fd and environ), no privilege
 * escalation, a read-only root filesystem. It is the platform's second host-access exception after the Mesos
 * agent; unlike the agent it is not privileged and writes nothing on the host.
 */
export function probeSecurityContext(): k8s.types.input.core.v1.SecurityContext {
  const s = PROBE.security;
  return {
    runAsUser: s.runAsUser,
    runAsNonRoot: false,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: s.readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'], add: [...s.capabilities] },
  };
}

/** Tolerates every taint, NoExecute included, so that no node (control plane, dedicated, draining) goes unseen. */
export const TOLERATE_EVERYTHING: k8s.types.input.core.v1.Toleration[] = [{ operator: 'Exists' }];
