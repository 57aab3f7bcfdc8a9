import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PLATFORM_PORTS } from '../services/lib/contract';
import { partIdentity } from './labels';
import { marathonEnv } from './mesos/spec';
import { containerResources, httpProbe, nonRootPodSecurity, podAntiAffinity, restrictedContainerSecurity } from './pod-spec';
import type { AntiAffinity } from './stack-config';
import { disruptionBudget, tokenlessServiceAccount, WorkloadArgs } from './workload-parts';

export interface MarathonArgs extends WorkloadArgs {
  /** Instances; one leads, the others proxy API calls to it and take over on failure. */
  replicas: number;
  /** Spread of instances over nodes. */
  antiAffinity: AntiAffinity;
  /** `zk://…/mesos` of the masters. */
  masterZkUrl: pulumi.Input<string>;
  /** `zk://…/marathon`, Marathon's state and leader election. */
  stateZkUrl: pulumi.Input<string>;
}

/**
 * Marathon, HA: a Deployment (all state lives in ZooKeeper, so instances are interchangeable), a Service on 8080
 * and a PodDisruptionBudget so a drain never takes every instance at once.
 */
export class Marathon extends pulumi.ComponentResource {
  /** `http://<service>.<namespace>.svc:8080`. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: MarathonArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:marathon:Marathon', name, {}, opts);
    const { labels, selector, metadata } = partIdentity({ name: 'marathon', component: 'scheduler', instance: args.instance, namespace: args.namespace });

    const serviceAccount = tokenlessServiceAccount(name, metadata, this);
    const service = new k8s.core.v1.Service(`${name}-svc`, { metadata, spec: { selector, ports: [{ name: 'http', port: PLATFORM_PORTS.marathon }] } }, { parent: this });

    new k8s.apps.v1.Deployment(
      name,
      {
        metadata,
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: selector },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              affinity: podAntiAffinity(args.antiAffinity, selector),
              securityContext: nonRootPodSecurity(),
              containers: [
                {
                  name: 'marathon',
                  image: args.image,
                  imagePullPolicy: 'IfNotPresent',
                  env: pulumi.all([args.masterZkUrl, args.stateZkUrl]).apply(([masterZkUrl, stateZkUrl]) => marathonEnv({ masterZkUrl, stateZkUrl })),
                  ports: [{ name: 'http', containerPort: PLATFORM_PORTS.marathon }],
                  resources: containerResources(args.resources),
                  securityContext: restrictedContainerSecurity(),
                  readinessProbe: httpProbe('/ping', PLATFORM_PORTS.marathon, 20),
                  livenessProbe: httpProbe('/ping', PLATFORM_PORTS.marathon, 60),
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );

    // One instance at a time: the others keep serving (followers proxy to the leader) while one is evicted.
    disruptionBudget(name, metadata, selector, { maxUnavailable: 1 }, this);

    this.url = pulumi.interpolate`http://${service.metadata.name}.${args.namespace}.svc:${PLATFORM_PORTS.marathon}`;
    this.registerOutputs({ url: this.url });
  }
}
