import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { commonLabels, partIdentity } from '../labels';
import { podMonitorSpec, ScrapeTarget } from './scrape-targets';

export interface PlatformMonitorsArgs {
  /** Namespace the monitors live in, beside the pods they select. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** The parts to scrape (the sync-engine only while it is enabled). */
  targets: readonly ScrapeTarget[];
  /** Extra labels a cluster's Prometheus selects PodMonitors by. */
  prometheusLabels: Record<string, string>;
}

/** One Prometheus Operator PodMonitor per platform part. */
export class PlatformMonitors extends pulumi.ComponentResource {
  constructor(name: string, args: PlatformMonitorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:monitoring:PlatformMonitors', name, {}, opts);
    for (const target of args.targets) {
      const { selector, metadata } = partIdentity({ name: target.app, component: target.component, instance: args.instance, namespace: args.namespace });
      new k8s.apiextensions.CustomResource(
        `${name}-${target.app}`,
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PodMonitor',
          metadata: { ...metadata, labels: { ...args.prometheusLabels, ...commonLabels({ name: target.app, component: target.component, instance: args.instance }) } },
          spec: podMonitorSpec(target, args.namespace, selector),
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
