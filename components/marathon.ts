import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PLATFORM_PORTS } from '../services/lib/contract';
import { commonLabels, selectorLabels } from './labels';
import { marathonEnv } from './mesos/spec';
import { containerResources, httpProbe, nonRootPodSecurity, podAntiAffinity, restrictedContainerSecurity } from './pod-spec';
import type { AntiAffinity, ResourceRequirements } from './stack-config';

export interface MarathonArgs {
  /** Namespace Marathon lives in. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** Pinned image, e.g. `mesosphere/marathon:v1.11.24`. */
  image: string;
  /** Instances; one leads, the others proxy API calls to it and take over on failure. */
  replicas: number;
  antiAffinity: AntiAffinity;
  resources: ResourceRequirements;
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
    const labelArgs = { name: 'marathon', instance: args.instance, component: 'scheduler' };
    const labels = commonLabels(labelArgs);
    const selector = selectorLabels(labelArgs);
    const metadata = { namespace: args.namespace, labels };

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata, automountServiceAccountToken: false }, { parent: this });
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
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, { parent: this });

    this.url = pulumi.interpolate`http://${service.metadata.name}.${args.namespace}.svc:${PLATFORM_PORTS.marathon}`;
    this.registerOutputs({ url: this.url });
  }
}
