import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { SYNC_ENGINE } from '../../services/lib/contract';
import { commonLabels } from '../labels';
import type { EnabledSyncEngine, ResourceRequirements } from '../stack-config';
import { volumeClaim } from '../workload-parts';
import { serviceWorkload } from './service-workload';
import { PublishedConnect, publishedConnect, SYNC_STATE_DIR, syncEngineEnv } from './spec';

export interface SyncEngineArgs {
  /** Namespace the engine lives in (and where `settings.credentialsSecret` must exist). */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** The sync-engine image (from `ServiceImageRefs`). */
  image: pulumi.Input<string>;
  /** Requests and limits of the engine container. */
  resources: ResourceRequirements;
  /** The validated, enabled `syncEngine` section: ensembles, mode, direction, policy, filters, storage. */
  settings: EnabledSyncEngine;
}

/**
 * The sync-engine in service mode: one replica (two engines on one job would fight over the ledger and the
 * cutover's phase), replaced with `Recreate` for the same reason, its state dir on a PersistentVolumeClaim so a
 * restarted pod resumes where the last stopped (exit 75, "session expired", is such a restart), a Service on 8091
 * for the status API and /metrics, a PodDisruptionBudget and a ServiceAccount without a token.
 */
export class SyncEngine extends pulumi.ComponentResource {
  /** `http://<service>.<namespace>.svc:8091`: /status, /conflicts, /metrics, POST /cutover/rollback. */
  public readonly url: pulumi.Output<string>;
  /** Where the engine publishes the connect string clients should use; the value changes at the cutover's switch. */
  public readonly publishedConnect: PublishedConnect;

  constructor(name: string, args: SyncEngineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:services:SyncEngine', name, {}, opts);
    const identity = { app: 'sync-engine', component: 'migration' };
    const labels = commonLabels({ name: identity.app, component: identity.component, instance: args.instance });
    this.publishedConnect = publishedConnect(args.settings);

    const state = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-state`,
      { metadata: { namespace: args.namespace, labels }, spec: volumeClaim('state', labels, args.settings.storage).spec },
      { parent: this },
    );
    this.url = serviceWorkload(
      name,
      {
        ...identity,
        namespace: args.namespace,
        instance: args.instance,
        image: args.image,
        resources: args.resources,
        port: SYNC_ENGINE.httpPort,
        replicas: 1,
        strategy: { type: 'Recreate' },
        env: syncEngineEnv(args.settings),
        volumes: [{ name: 'state', persistentVolumeClaim: { claimName: state.metadata.name } }],
        volumeMounts: [{ name: 'state', mountPath: SYNC_STATE_DIR }],
        // SIGTERM stops replication and saves the ledger, which on a large tree takes a moment.
        terminationGracePeriodSeconds: 60,
        // Evictions are allowed: the engine resumes from its persisted ledger and phase after a restart, and a
        // budget of zero would block every node drain for as long as a migration runs.
        disruption: { maxUnavailable: 1 },
      },
      this,
    );
    this.registerOutputs({ url: this.url, publishedConnect: this.publishedConnect });
  }
}
