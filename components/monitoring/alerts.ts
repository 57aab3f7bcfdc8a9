import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { partIdentity } from '../labels';
import { platformAlertRules } from './alert-rules';

export interface PlatformAlertsArgs {
  /** Namespace the rule lives in and every expression is scoped to. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** ZooKeeper servers in the ensemble (the quorum alert's threshold follows). */
  zookeeperServers: number;
  /** The probes' DaemonSet name. */
  probeDaemonSet: pulumi.Input<string>;
  /** Extra labels a cluster's Prometheus selects rules by. */
  prometheusLabels: Record<string, string>;
}

/** The one PrometheusRule holding every platform alert (components/monitoring/alert-rules.ts). */
export class PlatformAlerts extends pulumi.ComponentResource {
  constructor(name: string, args: PlatformAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:monitoring:PlatformAlerts', name, {}, opts);
    const { metadata } = partIdentity({ name: 'platform-alerts', component: 'alerting', instance: args.instance, namespace: args.namespace });
    new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { ...metadata, labels: { ...args.prometheusLabels, ...metadata.labels } },
        spec: {
          groups: pulumi
            .output(args.probeDaemonSet)
            .apply((probeDaemonSet) => platformAlertRules({ namespace: args.namespace, zookeeperServers: args.zookeeperServers, probeDaemonSet })),
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
