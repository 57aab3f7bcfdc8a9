import * as pulumi from '@pulumi/pulumi';
import { APP } from '../../services/lib/contract';
import { serviceWorkload } from '../services/service-workload';
import type { ResourceRequirements } from '../stack-config';
import { appEnv } from './spec';

export interface MonitoringAppArgs {
  /** Namespace the app lives in. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** The app image (from `ServiceImageRefs`). */
  image: pulumi.Input<string>;
  /** Requests and limits of the app container. */
  resources: ResourceRequirements;
  /** The Secret holding the probe token. */
  tokenSecret: pulumi.Input<string>;
}

/**
 * The monitoring app: one replica, because it merges every probe's reports in memory and a second replica behind
 * the Service would see only the reports sent to it; a Service on 8093 for probes, the API, the UI and /metrics;
 * a PodDisruptionBudget; a ServiceAccount without a token.
 */
export class MonitoringApp extends pulumi.ComponentResource {
  /** `http://<service>.<namespace>.svc:8093`: the UI and the REST/WebSocket API, and where probes report. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: MonitoringAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:monitoring:MonitoringApp', name, {}, opts);
    this.url = serviceWorkload(
      name,
      {
        app: 'monitoring-app',
        component: 'monitoring',
        namespace: args.namespace,
        instance: args.instance,
        image: args.image,
        resources: args.resources,
        port: APP.httpPort,
        replicas: 1,
        // The replacement starts before the old one stops; probes buffer what neither took (PROBE_BUFFER_REPORTS).
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        env: pulumi.output(args.tokenSecret).apply((tokenSecret) => appEnv({ tokenSecret })),
        terminationGracePeriodSeconds: 30,
        // A drain may move the app; the probes resend their buffered reports to the new one.
        disruption: { maxUnavailable: 1 },
      },
      this,
    );
    this.registerOutputs({ url: this.url });
  }
}
