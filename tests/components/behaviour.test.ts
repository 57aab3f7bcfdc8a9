/** What the program does with its configuration: quorum math, dev/prod differences, and refusing bad config. */
import { parseStackConfig } from '../../components/stack-config';
import { engineConfig, kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig, stackFileRaw } from './support/program';
import { env, workload } from './support/pods';

const zkReplicas = (replicas: number) => engineConfig({ 'orchestrator:zookeeper': { replicas }, 'orchestrator:mesosMaster': { replicas } });

describe.each([1, 3, 5, 7])('with %i ZooKeeper servers and Mesos masters', (n) => {
  let run: ProgramRun;
  const quorum = Math.floor(n / 2) + 1;
  beforeAll(async () => {
    run = await runProgram('dev', zkReplicas(n));
  });

  test('the ZooKeeper PDB keeps a majority available', () => {
    const pdb = ofKind(run, 'PodDisruptionBudget').find((p) => p.name === 'zookeeper-pdb')!;
    expect(pdb.inputs.spec.minAvailable).toBe(quorum);
    expect(run.outputs.zookeeperQuorum).toBe(quorum);
  });

  test('zoo.cfg lists one server per replica, by stable pod name', () => {
    const cfg: string = ofKind(run, 'ConfigMap')[0].inputs.data['zoo.cfg'];
    const servers = cfg.split('\n').filter((l) => l.startsWith('server.'));
    expect(servers).toHaveLength(n === 1 ? 0 : n);
    servers.forEach((line, i) => expect(line).toBe(`server.${i + 1}=zookeeper-${i}.zookeeper-headless.orchestrator.svc.cluster.local:2888:3888;2181`));
  });

  test('MESOS_QUORUM is derived from the master count, and the master PDB keeps it', () => {
    const master = workload(run, 'mesos-master');
    expect(master.inputs.spec.replicas).toBe(n);
    expect(env(master.inputs.spec.template.spec.containers[0]).MESOS_QUORUM).toBe(String(quorum));
    expect(ofKind(run, 'PodDisruptionBudget').find((p) => p.name === 'mesos-master-pdb')!.inputs.spec.minAvailable).toBe(quorum);
    expect(run.outputs.mesosQuorum).toBe(quorum);
  });

  test('the connect string names every server', () => {
    expect(String(run.outputs.zookeeperConnectString).split(',')).toHaveLength(n);
  });
});

describe('dev and prod', () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  beforeAll(async () => {
    dev = await runProgram('dev', stackFileConfig('dev'));
    prod = await runProgram('prod', stackFileConfig('prod'));
  });

  // Which applications' objects each config section shapes. `namespace` and the stack name touch every object
  // by design, so the comparison below factors them out. The alert rules follow the ZooKeeper quorum.
  const APPS_OF_SECTION: Record<string, string[]> = {
    zookeeper: ['zookeeper', 'platform-alerts'],
    mesosMaster: ['mesos-master'],
    mesosAgents: ['mesos-agent'],
    marathon: ['marathon'],
    allocator: ['allocator'],
    syncEngine: ['sync-engine'],
    monitoring: ['probe', 'monitoring-app', 'probe-token'],
  };
  const APPS_OF_IMAGE: Record<string, string[]> = {
    zookeeper: ['zookeeper'],
    mesosMaster: ['mesos-master'],
    mesosAgent: ['mesos-agent'],
    marathon: ['marathon'],
    mesosExporter: ['mesos-master', 'mesos-agent'],
  };

  function normalised(run: ProgramRun, stack: string): Map<string, { app: string; json: string }> {
    const ns = ofKind(run, 'Namespace')[0].inputs.metadata.name;
    return new Map(
      kubernetesObjects(run).map((r) => [
        `${r.inputs.kind}/${r.name}`,
        {
          app: r.inputs.metadata.labels['app.kubernetes.io/name'],
          json: JSON.stringify(r.inputs)
            .replaceAll(`"app.kubernetes.io/instance":"orchestrator-${stack}"`, '"app.kubernetes.io/instance":"<instance>"')
            .replaceAll(`"namespace":"${ns}"`, '"namespace":"<ns>"')
            .replaceAll(`.${ns}.svc`, '.<ns>.svc')
            .replaceAll(`"matchNames":["${ns}"]`, '"matchNames":["<ns>"]')
            // Alert expressions name the namespace in their selectors.
            .replaceAll(`namespace=\\"${ns}\\"`, 'namespace=\\"<ns>\\"')
            .replace(r.inputs.kind === 'Namespace' ? `"name":"${ns}"` : /$^/, '"name":"<ns>"'),
        },
      ]),
    );
  }

  test('emit the same set of objects', () => {
    expect([...normalised(dev, 'dev').keys()].sort()).toEqual([...normalised(prod, 'prod').keys()].sort());
  });

  test('differ exactly in the applications whose settings their files set differently', () => {
    const devConfig = parseStackConfig(stackFileRaw('dev'));
    const prodConfig = parseStackConfig(stackFileRaw('prod'));
    const expected = new Set<string>();
    for (const [section, apps] of Object.entries(APPS_OF_SECTION)) {
      if (JSON.stringify((devConfig as any)[section]) !== JSON.stringify((prodConfig as any)[section])) apps.forEach((app) => expected.add(app));
    }
    for (const [image, apps] of Object.entries(APPS_OF_IMAGE)) {
      if ((devConfig.images as any)[image] !== (prodConfig.images as any)[image]) apps.forEach((app) => expected.add(app));
    }
    const devObjects = normalised(dev, 'dev');
    const prodObjects = normalised(prod, 'prod');
    const actual = new Set([...devObjects].filter(([key, o]) => prodObjects.get(key)!.json !== o.json).map(([, o]) => o.app));
    expect([...actual].sort()).toEqual([...expected].sort());
  });

  test('prod runs three of each quorum part, one per node, on its storage class', () => {
    for (const app of ['zookeeper', 'mesos-master', 'marathon']) {
      const w = workload(prod, app);
      expect(w.inputs.spec.replicas).toBe(3);
      expect(w.inputs.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
      const d = workload(dev, app);
      expect(d.inputs.spec.replicas).toBe(1);
      expect(d.inputs.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    }
    const claim = (run: ProgramRun, app: string) => workload(run, app).inputs.spec.volumeClaimTemplates[0].spec;
    expect(claim(prod, 'zookeeper')).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '20Gi' } } });
    expect(claim(dev, 'zookeeper').storageClassName).toBeUndefined();
    expect(claim(dev, 'zookeeper').resources.requests.storage).toBe('2Gi');
  });

  test('prod agents run only on labelled nodes, tolerate their taint, and pre-pull the listed images', () => {
    const spec = workload(prod, 'mesos-agent').inputs.spec.template.spec;
    expect(spec.nodeSelector).toEqual({ 'orchestrator/mesos-agent': 'true' });
    expect(spec.tolerations).toEqual([{ key: 'orchestrator/mesos-agent', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.initContainers.map((c: any) => c.image)).toEqual(['busybox:1.36.1', 'python:3.12.7-slim']);
  });

  test('the ZooKeeper heap setting reaches the JVM', () => {
    const command = workload(prod, 'zookeeper').inputs.spec.template.spec.containers[0].command.join(' ');
    expect(command).toContain('-Xmx1024m');
  });

  test('export the documented stack outputs', () => {
    const documented = ['allocatorUrl', 'marathonUrl', 'marathonZkUrl', 'mesosMasterUrl', 'mesosQuorum', 'mesosZkUrl', 'monitoringUrl', 'namespace', 'zookeeperConnectString', 'zookeeperQuorum'];
    expect(Object.keys(prod.outputs).sort()).toEqual(documented);
    expect(Object.keys(dev.outputs).sort()).toEqual(documented);
    expect(prod.outputs.allocatorUrl).toMatch(/^http:\/\/allocator-svc-[a-z0-9]+\.orchestrator\.svc:8090$/);
    expect(prod.outputs.monitoringUrl).toMatch(/^http:\/\/monitoring-app-svc-[a-z0-9]+\.orchestrator\.svc:8093$/);
    expect(prod.outputs.namespace).toBe('orchestrator');
    expect(prod.outputs.mesosMasterUrl).toMatch(/^http:\/\/mesos-master-svc-[a-z0-9]+\.orchestrator\.svc:5050$/);
    expect(prod.outputs.marathonUrl).toMatch(/^http:\/\/marathon-svc-[a-z0-9]+\.orchestrator\.svc:8080$/);
    expect(prod.outputs.mesosZkUrl).toBe(`zk://${prod.outputs.zookeeperConnectString}/mesos`);
    expect(dev.outputs.namespace).toBe('orchestrator-dev');
  });
});

describe('bad stack config stops the program before any resource is declared', () => {
  test.each([
    [{ 'orchestrator:zookeeper': { replicas: 2 } }, 'orchestrator:zookeeper.replicas must be an odd number between 1 and 7 (got 2)'],
    [{ 'orchestrator:zookeeper': { replica: 3 } }, 'orchestrator:zookeeper.replica is not a known setting'],
    [{ 'orchestrator:mesosMaster': { resources: { requests: { cpu: '-1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } }, 'orchestrator:mesosMaster.resources.requests.cpu must be a positive Kubernetes quantity'],
    [{ 'orchestrator:images': { marathon: 'mesosphere/marathon:latest' } }, 'orchestrator:images.marathon must be pinned to a tag other than latest (got "mesosphere/marathon:latest")'],
  ])('%j', async (config, message) => {
    let registered = 0;
    await expect(
      runProgram('dev', engineConfig(config)).then((r) => {
        registered = r.resources.length;
      }),
    ).rejects.toThrow(message);
    expect(registered).toBe(0);
  });
});
