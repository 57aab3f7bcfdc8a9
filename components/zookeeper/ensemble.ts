import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { PLATFORM_PORTS } from '../../services/lib/contract';
import { partIdentity } from '../labels';
import { containerResources, nonRootPodSecurity, podAntiAffinity, restrictedContainerSecurity } from '../pod-spec';
import { quorumSize } from '../quorum';
import type { AntiAffinity, StorageConfig } from '../stack-config';
import { disruptionBudget, tokenlessServiceAccount, volumeClaim, WorkloadArgs } from '../workload-parts';
import { EnsembleTopology, fourLetterWordProbe, podConnectString, startCommand, zkUrl, zooCfg } from './spec';

export interface ZooKeeperEnsembleArgs extends WorkloadArgs {
  /** Number of servers; odd, so that a majority survives the loss of (n-1)/2. */
  replicas: number;
  /** Spread of servers over nodes. */
  antiAffinity: AntiAffinity;
  /** Volume claim for each server's snapshots and transaction log. */
  storage: StorageConfig;
  /** JVM heap of each server in MiB. */
  heapMb: number;
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
}

// The official image runs as `zookeeper` (uid 1000) and owns /logs and /apache-zookeeper-* as that user.
const ZOOKEEPER_UID = 1000;
const DATA_DIR = '/data';

/**
 * A ZooKeeper ensemble: StatefulSet with stable pod names, a headless Service for peer traffic, a client Service,
 * zoo.cfg in a ConfigMap, and a PodDisruptionBudget that keeps a quorum through voluntary disruptions.
 */
export class ZooKeeperEnsemble extends pulumi.ComponentResource {
  /**
   * `host:2181,...` over every server's stable pod name: clients fail over between servers themselves, with no
   * dependence on kube-proxy, which is how Mesos and Marathon expect to be given an ensemble.
   */
  public readonly connectString: pulumi.Output<string>;
  /** Name of the client Service. */
  public readonly clientServiceName: pulumi.Output<string>;
  /** Number of servers that must agree. */
  public readonly quorum: number;

  constructor(name: string, args: ZooKeeperEnsembleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('orchestrator:zookeeper:ZooKeeperEnsemble', name, {}, opts);
    const { labels, selector, metadata } = partIdentity({ name: 'zookeeper', component: 'coordination', instance: args.instance, namespace: args.namespace });
    this.quorum = quorumSize(args.replicas);

    // These two names are part of the contract: pod DNS names (and so the server list in zoo.cfg) derive from them.
    const topology: EnsembleTopology = { statefulSet: name, headlessService: `${name}-headless`, namespace: args.namespace, replicas: args.replicas };

    const serviceAccount = tokenlessServiceAccount(name, metadata, this);
    const cfg = zooCfg(topology, { tickTimeMs: args.tickTimeMs, initLimit: args.initLimit, syncLimit: args.syncLimit, dataDir: DATA_DIR, dataLogDir: `${DATA_DIR}/log` });
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, { metadata, data: { 'zoo.cfg': cfg } }, { parent: this });

    const headless = new k8s.core.v1.Service(
      `${name}-headless`,
      {
        metadata: { ...metadata, name: topology.headlessService },
        spec: {
          clusterIP: 'None',
          // Peers must find each other before any of them is ready: readiness needs a quorum, a quorum needs DNS.
          publishNotReadyAddresses: true,
          selector,
          ports: [
            { name: 'quorum', port: PLATFORM_PORTS.zookeeperQuorum },
            { name: 'election', port: PLATFORM_PORTS.zookeeperElection },
          ],
        },
      },
      { parent: this },
    );

    const client = new k8s.core.v1.Service(
      `${name}-client`,
      { metadata, spec: { selector, ports: [{ name: 'client', port: PLATFORM_PORTS.zookeeperClient }] } },
      { parent: this },
    );

    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: { ...metadata, name: topology.statefulSet },
        spec: {
          serviceName: headless.metadata.name,
          replicas: args.replicas,
          // Servers start together: ordered start would wait for pod 0's readiness, which needs a quorum.
          podManagementPolicy: 'Parallel',
          updateStrategy: { type: 'RollingUpdate' },
          selector: { matchLabels: selector },
          template: {
            // The hash makes a changed zoo.cfg roll the servers; a mounted ConfigMap alone would not restart them.
            metadata: { labels, annotations: { 'orchestrator/config-hash': sha256(cfg).slice(0, 16) } },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              automountServiceAccountToken: false,
              affinity: podAntiAffinity(args.antiAffinity, selector),
              securityContext: nonRootPodSecurity(ZOOKEEPER_UID),
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: 'zookeeper',
                  image: args.image,
                  imagePullPolicy: 'IfNotPresent',
                  command: startCommand(DATA_DIR, args.heapMb),
                  ports: [
                    { name: 'client', containerPort: PLATFORM_PORTS.zookeeperClient },
                    { name: 'quorum', containerPort: PLATFORM_PORTS.zookeeperQuorum },
                    { name: 'election', containerPort: PLATFORM_PORTS.zookeeperElection },
                    { name: 'metrics', containerPort: PLATFORM_PORTS.zookeeperMetrics },
                  ],
                  resources: containerResources(args.resources),
                  securityContext: restrictedContainerSecurity(),
                  readinessProbe: { exec: { command: fourLetterWordProbe('srvr', 'Mode: (leader|follower|standalone)') }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5 },
                  livenessProbe: { exec: { command: fourLetterWordProbe('ruok', 'imok') }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
                  volumeMounts: [
                    { name: 'data', mountPath: DATA_DIR },
                    { name: 'config', mountPath: '/conf' },
                  ],
                },
              ],
              volumes: [{ name: 'config', configMap: { name: config.metadata.name } }],
            },
          },
          volumeClaimTemplates: [volumeClaim('data', labels, args.storage)],
        },
      },
      { parent: this },
    );

    // A drain may take servers down only while a majority stays up. With one server that is none: a single-server
    // ensemble cannot be drained without downtime, and the PDB says so instead of hiding it.
    disruptionBudget(name, metadata, selector, { minAvailable: this.quorum }, this);

    this.clientServiceName = client.metadata.name;
    // Resolves once the headless Service exists, so consumers are ordered after the names they need.
    this.connectString = headless.metadata.name.apply(() => podConnectString(topology));
    this.registerOutputs({ connectString: this.connectString, clientServiceName: this.clientServiceName, quorum: this.quorum });
  }

  /** A `zk://<connectString>/<chroot>` URL for Mesos, Marathon and other frameworks. */
  url(chroot: string): pulumi.Output<string> {
    return this.connectString.apply((cs) => zkUrl(cs, chroot));
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
