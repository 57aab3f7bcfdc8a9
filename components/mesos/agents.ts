import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PLATFORM_PORTS } from '../../services/lib/contract';
import { partIdentity } from '../labels';
import { NON_ROOT_UID, containerResources, httpProbe, restrictedContainerSecurity } from '../pod-spec';
import type { Toleration } from '../stack-config';
import { tokenlessServiceAccount, WorkloadArgs } from '../workload-parts';
import { MESOS_LOG_DIR, agentEnv, metricsExporterContainer, prePullContainers } from './spec';

export interface MesosAgentsArgs extends WorkloadArgs {
  /** `zk://…/mesos` of the masters. */
  masterZkUrl: pulumi.Input<string>;
  /** Host directory for sandboxes. */
  workDir: string;
  /** Run agents only on nodes with these labels. */
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /** Images warmed on every agent node before the agent starts. */
  prePullImages: string[];
  /** Pinned image of the metrics exporter sidecar (mesos/mesos_exporter). */
  exporterImage: string;
}

/**
 * One Mesos agent per node (DaemonSet), running tasks with the Docker and Mesos containerizers under cgroups
 * isolation.
 */
export class MesosAgents extends pulumi.ComponentResource {
  /** Name of the DaemonSet. */
  public readonly daemonSetName: pulumi.Output<string>;

  constructor(name: string, args: MesosAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:mesos:MesosAgents', name, {}, opts);
    const { labels, selector, metadata } = partIdentity({ name: 'mesos-agent', component: 'agent', instance: args.instance, namespace: args.namespace });

    const serviceAccount = tokenlessServiceAccount(name, metadata, this);

    const daemonSet = new k8s.apps.v1.DaemonSet(
      name,
      {
        metadata,
        spec: {
          selector: { matchLabels: selector },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              // Tasks bind host ports that the agent offers as its `ports` resource, and the agent advertises the
              // node's address to the master: both need the node's network namespace.
              hostNetwork: true,
              dnsPolicy: 'ClusterFirstWithHostNet',
              nodeSelector: args.nodeSelector,
              tolerations: args.tolerations,
              // Pre-pull runs before the agent, so a node offers resources only once its task images are local.
              initContainers: prePullContainers(args.prePullImages, { ...restrictedContainerSecurity(), runAsNonRoot: true, runAsUser: NON_ROOT_UID }),
              containers: [
                {
                  name: 'mesos-agent',
                  image: args.image,
                  imagePullPolicy: 'IfNotPresent',
                  env: pulumi.output(args.masterZkUrl).apply((masterZkUrl) => agentEnv({ masterZkUrl, workDir: args.workDir, image: args.image })),
                  ports: [{ name: 'http', containerPort: PLATFORM_PORTS.mesosAgent }],
                  resources: containerResources(args.resources),
                  // The one privileged pod of the platform, and why: the agent *is* a container runtime. It creates
                  // cgroups for every task under the host's /sys/fs/cgroup (cgroups/cpu,cgroups/mem isolation), mounts
                  // and tears down task sandboxes, and drives the host's Docker daemon through its socket. None of that
                  // can be granted by a narrower capability set that the kubelet's cgroup driver accepts. Every other
                  // pod runs as non-root with all capabilities dropped.
                  securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false },
                  readinessProbe: httpProbe('/health', PLATFORM_PORTS.mesosAgent, 5),
                  livenessProbe: httpProbe('/health', PLATFORM_PORTS.mesosAgent, 30),
                  volumeMounts: [
                    { name: 'docker-socket', mountPath: '/var/run/docker.sock' },
                    { name: 'cgroup', mountPath: '/sys/fs/cgroup' },
                    // Same path inside and out: the Docker daemon resolves sandbox paths the agent hands it on the host.
                    { name: 'work', mountPath: args.workDir },
                    { name: 'logs', mountPath: MESOS_LOG_DIR },
                  ],
                },
                // In the node's network namespace like the agent, so it listens on the node's :9105.
                metricsExporterContainer('slave', args.exporterImage, { fieldPath: 'status.hostIP', port: PLATFORM_PORTS.mesosAgent }),
              ],
              // Exactly the host mounts the agent needs: the Docker socket, the cgroup tree and its work dir.
              volumes: [
                { name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
                { name: 'cgroup', hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } },
                { name: 'work', hostPath: { path: args.workDir, type: 'DirectoryOrCreate' } },
                { name: 'logs', emptyDir: {} },
              ],
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
