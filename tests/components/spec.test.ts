/** The pure spec builders the components wire into Kubernetes objects. */
import { commonLabels, selectorLabels } from '../../components/labels';
import { agentEnv, marathonEnv, masterEnv, metricsExporterContainer, prePullContainers } from '../../components/mesos/spec';
import { probeSecurityContext, probeVolumeMounts, probeVolumes } from '../../components/monitoring/spec';
import { podMonitorSpec, SCRAPE_TARGETS } from '../../components/monitoring/scrape-targets';
import { publishedConnect, syncEngineEnv } from '../../components/services/spec';
import { parseStackConfig, enabledSyncEngine } from '../../components/stack-config';
import { PROBE } from '../../services/lib/contract';
import { podAntiAffinity } from '../../components/pod-spec';
import { quorumSize, toleratedFailures } from '../../components/quorum';
import { EnsembleTopology, NETTY_CONNECTION_FACTORY, PROMETHEUS_METRICS_PROVIDER, podConnectString, podHost, serverId, serverList, startCommand, zkUrl, zooCfg } from '../../components/zookeeper/spec';

const topology = (replicas: number): EnsembleTopology => ({ statefulSet: 'zk', headlessService: 'zk-hs', namespace: 'ns', replicas });
const settings = { tickTimeMs: 2000, initLimit: 10, syncLimit: 5, dataDir: '/data', dataLogDir: '/data/log' };

describe('quorum math', () => {
  test.each([
    [1, 1, 0],
    [2, 2, 0],
    [3, 2, 1],
    [4, 3, 1],
    [5, 3, 2],
    [7, 4, 3],
  ])('%i voters: quorum %i, tolerating %i failures', (n, quorum, failures) => {
    expect(quorumSize(n)).toBe(quorum);
    expect(toleratedFailures(n)).toBe(failures);
  });

  test.each([0, -1, 2.5, Number.NaN])('is undefined for %d voters', (n) => {
    expect(() => quorumSize(n)).toThrow(RangeError);
  });
});

describe('ZooKeeper spec', () => {
  test('server ids are the 1-based pod ordinals', () => {
    expect([0, 1, 2].map(serverId)).toEqual([1, 2, 3]);
  });

  test('a pod host is its stable name under the headless Service', () => {
    expect(podHost(topology(3), 2)).toBe('zk-2.zk-hs.ns.svc.cluster.local');
    expect(podHost({ ...topology(3), clusterDomain: 'corp.local' }, 0)).toBe('zk-0.zk-hs.ns.svc.corp.local');
  });

  test('the server list names each pod with quorum, election and client ports', () => {
    expect(serverList(topology(3))).toEqual([
      'server.1=zk-0.zk-hs.ns.svc.cluster.local:2888:3888;2181',
      'server.2=zk-1.zk-hs.ns.svc.cluster.local:2888:3888;2181',
      'server.3=zk-2.zk-hs.ns.svc.cluster.local:2888:3888;2181',
    ]);
  });

  test('zoo.cfg of an ensemble carries its timing, the server list and no standalone fallback', () => {
    const cfg = zooCfg(topology(3), settings);
    expect(cfg).toContain('tickTime=2000\ninitLimit=10\nsyncLimit=5\n');
    expect(cfg).toContain('dataDir=/data\ndataLogDir=/data/log\nclientPort=2181\n');
    expect(cfg).toContain('standaloneEnabled=false');
    expect(cfg).toContain(`serverCnxnFactory=${NETTY_CONNECTION_FACTORY}\n`);
    expect(cfg).toContain(`metricsProvider.className=${PROMETHEUS_METRICS_PROVIDER}\nmetricsProvider.httpPort=7000\n`);
    expect(cfg).toMatch(/^4lw\.commands\.whitelist=.*\bruok\b.*$/m);
    expect(cfg).toMatch(/^4lw\.commands\.whitelist=.*\bsrvr\b.*$/m);
    expect(cfg.split('\n').filter((l) => l.startsWith('server.'))).toEqual(serverList(topology(3)));
    expect(cfg.endsWith('\n')).toBe(true);
  });

  test('zoo.cfg of a single server runs it standalone', () => {
    const cfg = zooCfg(topology(1), settings);
    expect(cfg).not.toMatch(/^server\./m);
    expect(cfg).not.toContain('standaloneEnabled=false');
  });

  test('the connect string lists every pod on the client port', () => {
    expect(podConnectString(topology(3))).toBe('zk-0.zk-hs.ns.svc.cluster.local:2181,zk-1.zk-hs.ns.svc.cluster.local:2181,zk-2.zk-hs.ns.svc.cluster.local:2181');
  });

  test('zk:// URLs normalise the chroot and refuse an empty or malformed one', () => {
    expect(zkUrl('a:2181,b:2181', 'mesos')).toBe('zk://a:2181,b:2181/mesos');
    expect(zkUrl('a:2181', '/marathon/state/')).toBe('zk://a:2181/marathon/state');
    expect(() => zkUrl('a:2181', '/')).toThrow('zk chroot must be a path');
    expect(() => zkUrl('a:2181', 'a b')).toThrow('zk chroot must be a path');
  });

  test('the start command writes myid from the ordinal and sizes the heap', () => {
    const [shell, flag, script] = startCommand('/data', 768);
    expect([shell, flag]).toEqual(['bash', '-ec']);
    expect(script).toContain('echo $((ordinal + 1)) > /data/myid');
    expect(script).toContain('-Xms768m -Xmx768m');
    expect(script).toMatch(/exec zkServer\.sh start-foreground \/conf\/zoo\.cfg$/);
  });
});

describe('Mesos and Marathon spec', () => {
  const value = (vars: { name: string; value?: unknown }[], name: string) => vars.find((v) => v.name === name)?.value;

  test.each([
    [1, '1'],
    [3, '2'],
    [5, '3'],
  ])('%i masters get MESOS_QUORUM=%s', (replicas, quorum) => {
    expect(value(masterEnv({ zkUrl: 'zk://z:2181/mesos', replicas, cluster: 'c' }), 'MESOS_QUORUM')).toBe(quorum);
  });

  test('masters elect through ZooKeeper and keep a replicated-log registry', () => {
    const vars = masterEnv({ zkUrl: 'zk://z:2181/mesos', replicas: 3, cluster: 'c' });
    expect(value(vars, 'MESOS_ZK')).toBe('zk://z:2181/mesos');
    expect(value(vars, 'MESOS_REGISTRY')).toBe('replicated_log');
    expect(value(vars, 'MESOS_PORT')).toBe('5050');
  });

  test('agents follow the master through ZooKeeper with docker,mesos containerizers and cgroups isolation', () => {
    const vars = agentEnv({ masterZkUrl: 'zk://z:2181/mesos', workDir: '/w', image: 'mesos-agent:1' });
    expect(value(vars, 'MESOS_MASTER')).toBe('zk://z:2181/mesos');
    expect(value(vars, 'MESOS_CONTAINERIZERS')).toBe('docker,mesos');
    expect(value(vars, 'MESOS_ISOLATION')).toBe('cgroups/cpu,cgroups/mem');
    expect(value(vars, 'MESOS_WORK_DIR')).toBe('/w');
    expect(value(vars, 'MESOS_DOCKER_MESOS_IMAGE')).toBe('mesos-agent:1');
  });

  test('Marathon finds the masters and keeps its state under its own chroot', () => {
    const vars = marathonEnv({ masterZkUrl: 'zk://z:2181/mesos', stateZkUrl: 'zk://z:2181/marathon' });
    expect(value(vars, 'MARATHON_MASTER')).toBe('zk://z:2181/mesos');
    expect(value(vars, 'MARATHON_ZK')).toBe('zk://z:2181/marathon');
  });

  test('pre-pull makes one unprivileged, exiting init container per image', () => {
    const init = prePullContainers(['a:1', 'b:2'], { runAsNonRoot: true });
    expect(init.map((c) => [c.name, c.image, c.command])).toEqual([
      ['prepull-0', 'a:1', ['/bin/sh', '-c', 'exit 0']],
      ['prepull-1', 'b:2', ['/bin/sh', '-c', 'exit 0']],
    ]);
    expect(init.every((c) => (c.securityContext as { runAsNonRoot?: boolean }).runAsNonRoot)).toBe(true);
  });
});

describe('labels and placement', () => {
  test('common labels carry the five recommended keys; selectors only the immutable two', () => {
    const args = { name: 'zookeeper', instance: 'orchestrator-dev', component: 'coordination' };
    expect(commonLabels(args)).toEqual({
      'app.kubernetes.io/name': 'zookeeper',
      'app.kubernetes.io/instance': 'orchestrator-dev',
      'app.kubernetes.io/component': 'coordination',
      'app.kubernetes.io/part-of': 'orchestrator',
      'app.kubernetes.io/managed-by': 'pulumi',
    });
    expect(selectorLabels(args)).toEqual({ 'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'orchestrator-dev' });
  });

  test('required anti-affinity forbids two replicas per node; preferred only discourages it', () => {
    expect(podAntiAffinity('required', { a: 'b' }).podAntiAffinity).toHaveProperty('requiredDuringSchedulingIgnoredDuringExecution');
    expect(podAntiAffinity('preferred', { a: 'b' }).podAntiAffinity).toHaveProperty('preferredDuringSchedulingIgnoredDuringExecution');
  });
});

describe('metrics exporters and scrape targets', () => {
  test("a Mesos exporter reads its daemon's own address, never loopback, and runs unprivileged", () => {
    const c = metricsExporterContainer('slave', 'exporter:1', { fieldPath: 'status.hostIP', port: 5051 });
    expect(c.args).toEqual(['-slave=http://$(DAEMON_ADDRESS):5051', '-addr=:9105', '-timeout=5s', '-logLevel=warn']);
    expect(c.env).toEqual([{ name: 'DAEMON_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }]);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test('every scrape target is one part, and its PodMonitor takes the job name from the pods', () => {
    expect(new Set(SCRAPE_TARGETS.map((t) => t.app)).size).toBe(SCRAPE_TARGETS.length);
    const marathon = SCRAPE_TARGETS.find((t) => t.app === 'marathon')!;
    expect(podMonitorSpec(marathon, 'ns', { a: 'b' })).toEqual({
      jobLabel: 'app.kubernetes.io/name',
      namespaceSelector: { matchNames: ['ns'] },
      selector: { matchLabels: { a: 'b' } },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics/prometheus', interval: '30s', scrapeTimeout: '10s' }],
    });
  });
});

describe('probe host access', () => {
  test('mounts exactly the contract paths, read-only; only the Docker socket may be absent on a node', () => {
    expect(probeVolumes()).toEqual([
      { name: 'host-proc', hostPath: { path: '/proc', type: 'Directory' } },
      { name: 'host-cgroup', hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } },
      { name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: undefined } },
    ]);
    expect(probeVolumeMounts().every((m) => m.readOnly === true)).toBe(true);
  });

  test('runs as root with every capability dropped but the two the contract names', () => {
    expect(probeSecurityContext()).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: [...PROBE.security.capabilities] },
    });
  });
});

describe('sync-engine environment', () => {
  const settings = (extra: Record<string, unknown>) =>
    enabledSyncEngine(parseStackConfig({ syncEngine: { enabled: true, source: 'a:2181,b:2181/mesos', target: 'c:2181/mesos', ...extra } }))!;

  test('lists travel comma-separated, as the engine splits them', () => {
    const vars = syncEngineEnv(settings({ include: ['/mesos/**', '/frameworks'], exclude: ['/tmp/*'] }));
    expect(vars).toContainEqual({ name: 'SYNC_INCLUDE', value: '/mesos/**,/frameworks' });
    expect(vars).toContainEqual({ name: 'SYNC_EXCLUDE', value: '/tmp/*' });
  });

  test('without a credentials Secret no credential variable is declared at all', () => {
    const names = syncEngineEnv(settings({})).map((v) => v.name);
    expect(names).not.toContain('SYNC_SOURCE_AUTH');
    expect(names).not.toContain('SYNC_TARGET_AUTH');
    expect(names).not.toContain('SYNC_INCLUDE');
  });

  test('the published connect string lives at the job\'s znode on both ensembles, addressed without chroot', () => {
    expect(publishedConnect(settings({ job: 'mesos-move' }))).toEqual({ znode: '/sync-engine/mesos-move/active-connect', ensembles: ['a:2181,b:2181', 'c:2181'], file: '/var/lib/sync-engine/active-connect' });
  });

  test('the sync-engine is not enabled by default', () => {
    expect(enabledSyncEngine(parseStackConfig({}))).toBeUndefined();
  });
});
