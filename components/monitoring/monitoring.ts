import * as pulumi from '@pulumi/pulumi';
import type { ResourceRequirements } from '../stack-config';
import { MonitoringApp } from './app';
import { Probe } from './probe';
import { ProbeToken } from './probe-token';

export interface MonitoringArgs {
  /** Namespace the app, the probes and their Secret live in. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** The probe's and the app's images (from `ServiceImageRefs`). */
  images: { probe: pulumi.Input<string>; app: pulumi.Input<string> };
  probeResources: ResourceRequirements;
  appResources: ResourceRequirements;
  /** The operator's own probe token; unset, one is generated. */
  probeToken?: pulumi.Input<string>;
}

/** The topology monitor: the app, a probe on every node reporting to it, and the token between them. */
export class Monitoring extends pulumi.ComponentResource {
  /** The app's URL: UI, REST and WebSocket API. */
  public readonly url: pulumi.Output<string>;
  /** The probes' DaemonSet. */
  public readonly probeDaemonSetName: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:monitoring:Monitoring', name, {}, opts);
    const common = { namespace: args.namespace, instance: args.instance };
    const token = new ProbeToken(`${name}-probe-token`, { ...common, token: args.probeToken }, { parent: this });
    const app = new MonitoringApp(`${name}-app`, { ...common, image: args.images.app, resources: args.appResources, tokenSecret: token.secretName }, { parent: this });
    const probe = new Probe(`${name}-probe`, { ...common, image: args.images.probe, resources: args.probeResources, appUrl: app.url, tokenSecret: token.secretName }, { parent: this });
    this.url = app.url;
    this.probeDaemonSetName = probe.daemonSetName;
    this.registerOutputs({ url: this.url, probeDaemonSetName: this.probeDaemonSetName });
  }
}
