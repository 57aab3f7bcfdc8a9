import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PROBE } from '../../services/lib/contract';
import { partIdentity } from '../labels';
import { containerResources, httpProbe } from '../pod-spec';
import type { ResourceRequirements } from '../stack-config';
import { tokenlessServiceAccount } from '../workload-parts';
import { probeEnv, probeSecurityContext, probeVolumeMounts, probeVolumes, TOLERATE_EVERYTHING } from './spec';

export interface ProbeArgs {
  /** Namespace the probes live in. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** The probe image (from `ServiceImageRefs`). */
  image: pulumi.Input<string>;
  /** Requests and limits of each probe. */
  resources: ResourceRequirements;
  /** The app's base URL; reports go to `<url>/api/report`. */
  appUrl: pulumi.Input<string>;
  /** The Secret holding the probe token. */
  tokenSecret: pulumi.Input<string>;
}

/**
 * One probe per node (DaemonSet) with exactly the host access services/lib/contract.ts declares: the host's PID
 * namespace, its /proc, cgroup tree and Docker socket mounted read-only, root with two capabilities and nothing
 * else. It tolerates every taint, so that every node appears in the topology.
 */
export class Probe extends pulumi.ComponentResource {
  /** Name of the DaemonSet (the probes-not-running alert compares its desired and available pods). */
  public readonly daemonSetName: pulumi.Output<string>;

  constructor(name: string, args: ProbeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:monitoring:Probe', name, {}, opts);
    const { labels, selector, metadata } = partIdentity({ name: 'probe', component: 'monitoring', instance: args.instance, namespace: args.namespace });

    const serviceAccount = tokenlessServiceAccount(name, metadata, this);
    const daemonSet = new k8s.apps.v1.DaemonSet(
      name,
      {
        metadata,
        spec: {
          selector: { matchLabels: selector },
          // A probe restart is a gap of one interval on one node; roll a tenth of them at a time.
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              // Processes of every container on the node, and their sockets through /proc/<pid>/net.
              hostPID: PROBE.security.hostPID,
              tolerations: TOLERATE_EVERYTHING,
              securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'probe',
                  image: args.image,
                  imagePullPolicy: 'IfNotPresent',
                  env: pulumi.all([args.appUrl, args.tokenSecret]).apply(([appUrl, tokenSecret]) => probeEnv({ appUrl, tokenSecret })),
                  ports: [{ name: 'http', containerPort: PROBE.httpPort }],
                  resources: containerResources(args.resources),
                  securityContext: probeSecurityContext(),
                  readinessProbe: httpProbe('/readyz', PROBE.httpPort, 5),
                  livenessProbe: httpProbe('/healthz', PROBE.httpPort, 15),
                  volumeMounts: probeVolumeMounts(),
                },
              ],
              volumes: probeVolumes(),
            },
          },
        },
      },
      { parent: this },
    );

    this.daemonSetName = daemonSet.metadata.name;
    this.registerOutputs({ daemonSetName: this.daemonSetName });
  }
}
