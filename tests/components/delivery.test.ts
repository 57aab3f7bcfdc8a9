/**
 * What the program delivers beside the platform: the allocator, the opt-in sync-engine, the monitoring app and its
 * probes with the token between them, and how Prometheus finds every part.
 */
import { PROBE, PROBE_TOKEN_SECRET_KEY, SYNC_ENGINE } from '../../services/lib/contract';
import { parseStackConfig } from '../../components/stack-config';
import { Emitted, engineConfig, kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig, stackFileRaw, withSyncEngine } from './support/program';
import { env, matches, workload, workloads } from './support/pods';

const appOf = (r: Emitted): string => r.inputs.metadata.labels['app.kubernetes.io/name'];
const container = (w: Emitted, name: string): any => w.inputs.spec.template.spec.containers.find((c: any) => c.name === name);
const envEntry = (c: any, name: string): any => c.env.find((e: any) => e.name === name);

const TOKEN = 'a-token-of-our-own-that-is-long-enough-0123456789';

let dev: ProgramRun;
let prod: ProgramRun;
let migrating: ProgramRun;
let ownToken: ProgramRun;
beforeAll(async () => {
  dev = await runProgram('dev', stackFileConfig('dev'));
  prod = await runProgram('prod', stackFileConfig('prod'));
  migrating = await runProgram('dev', withSyncEngine('dev'));
  ownToken = await runProgram(
    'dev',
    { ...stackFileConfig('dev'), ...engineConfig({ 'orchestrator:monitoring': { probeToken: TOKEN, prometheusLabels: { release: 'kube-prometheus' } } }) },
  );
});

describe('the allocator', () => {
  test('runs two replicas in dev and three in prod, one per node there', () => {
    expect(workload(dev, 'allocator').inputs.spec.replicas).toBe(2);
    expect(workload(dev, 'allocator').inputs.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(workload(prod, 'allocator').inputs.spec.replicas).toBe(3);
    expect(workload(prod, 'allocator').inputs.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });

  test("keeps its state under /allocator on the platform's ensemble and advertises its own pod IP", () => {
    const c = container(workload(prod, 'allocator'), 'allocator');
    expect(env(c)).toMatchObject({ ALLOCATOR_ZK_CONNECT: prod.outputs.zookeeperConnectString, ALLOCATOR_ZK_ROOT: '/allocator', HTTP_PORT: '8090' });
    const names = c.env.map((e: any) => e.name);
    // The kubelet expands $(POD_IP) only from variables declared before it.
    expect(envEntry(c, 'POD_IP').valueFrom).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    expect(names.indexOf('POD_IP')).toBeLessThan(names.indexOf('ALLOCATOR_ADVERTISE_URL'));
    expect(env(c).ALLOCATOR_ADVERTISE_URL).toBe('http://$(POD_IP):8090');
  });

  test('is ready by /readyz and alive by /healthz, and rolls out a new replica before stopping an old one', () => {
    const w = workload(prod, 'allocator');
    const c = container(w, 'allocator');
    expect([c.readinessProbe.httpGet, c.livenessProbe.httpGet]).toEqual([
      { path: '/readyz', port: 8090 },
      { path: '/healthz', port: 8090 },
    ]);
    expect(w.inputs.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });
});

describe('the sync-engine', () => {
  test('appears only when enabled: no object, monitor or output of it otherwise', () => {
    for (const run of [dev, prod]) {
      expect(kubernetesObjects(run).filter((r) => appOf(r) === 'sync-engine')).toEqual([]);
      expect(Object.keys(run.outputs).filter((k) => k.startsWith('syncEngine'))).toEqual([]);
    }
    expect(new Set(kubernetesObjects(migrating).filter((r) => appOf(r) === 'sync-engine').map((r) => r.inputs.kind))).toEqual(
      new Set(['ServiceAccount', 'PersistentVolumeClaim', 'Service', 'Deployment', 'PodDisruptionBudget', 'PodMonitor']),
    );
  });

  test('runs one replica, replaced whole, with its state dir on its PersistentVolumeClaim', () => {
    const w = workload(migrating, 'sync-engine');
    expect(w.inputs.spec.replicas).toBe(1);
    expect(w.inputs.spec.strategy).toEqual({ type: 'Recreate' });
    const [claim] = ofKind(migrating, 'PersistentVolumeClaim');
    expect(claim.inputs.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    const volume = w.inputs.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim);
    expect(volume.persistentVolumeClaim.claimName).toMatch(new RegExp(`^${claim.name}-[0-9a-f]+$`));
    const c = container(w, 'sync-engine');
    const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
    expect(env(c)[SYNC_ENGINE.env.stateDir]).toBe(mount.mountPath);
    expect(env(c)[SYNC_ENGINE.env.publishFile]).toBe(`${mount.mountPath}/active-connect`);
  });

  test('is configured by the contract variables from its stack config section', () => {
    const c = container(workload(migrating, 'sync-engine'), 'sync-engine');
    expect(env(c)).toMatchObject({
      SYNC_SOURCE: 'zk-old-0.zk-old:2181,zk-old-1.zk-old:2181/mesos',
      SYNC_TARGET: 'zk-new-0.zk-new:2181/mesos',
      SYNC_SERVE_MODE: 'cutover',
      SYNC_DIRECTION: 'one-way',
      SYNC_POLICY: 'source-wins',
      SYNC_JOB: 'default',
      HTTP_PORT: '8091',
    });
  });

  test('takes credentials only from the Secret the stack config names', () => {
    const c = container(workload(migrating, 'sync-engine'), 'sync-engine');
    expect(envEntry(c, 'SYNC_SOURCE_AUTH')).toEqual({ name: 'SYNC_SOURCE_AUTH', valueFrom: { secretKeyRef: { name: 'zk-migration-auth', key: 'source-auth', optional: true } } });
    expect(envEntry(c, 'SYNC_TARGET_AUTH')).toEqual({ name: 'SYNC_TARGET_AUTH', valueFrom: { secretKeyRef: { name: 'zk-migration-auth', key: 'target-auth', optional: true } } });
    expect(ofKind(migrating, 'Secret').map(appOf)).toEqual(['probe-token']);
  });

  test('exports its URL and where the cutover publishes the connect string to use', () => {
    expect(migrating.outputs.syncEngineUrl).toMatch(/^http:\/\/sync-engine-svc-[0-9a-f]+\.orchestrator-dev\.svc:8091$/);
    expect(migrating.outputs.syncEnginePublishedConnect).toEqual({
      znode: '/sync-engine/default/active-connect',
      ensembles: ['zk-old-0.zk-old:2181,zk-old-1.zk-old:2181', 'zk-new-0.zk-new:2181'],
      file: '/var/lib/sync-engine/active-connect',
    });
  });
});

describe('monitoring', () => {
  const tokenRef = (run: ProgramRun, app: string, variable: string): any => {
    const w = workloads(run).find((x) => appOf(x) === app)!;
    return envEntry(w.inputs.spec.template.spec.containers[0], variable).valueFrom.secretKeyRef;
  };

  test('the probe token is one Secret both sides read: the probes as PROBE_TOKEN, the app as APP_PROBE_TOKEN', () => {
    for (const run of [dev, prod, ownToken]) {
      const [secret] = ofKind(run, 'Secret');
      const probeRef = tokenRef(run, 'probe', PROBE.env.token);
      expect(probeRef).toEqual({ name: expect.stringMatching(new RegExp(`^${secret.name}-[0-9a-f]+$`)), key: PROBE_TOKEN_SECRET_KEY });
      expect(tokenRef(run, 'monitoring-app', 'APP_PROBE_TOKEN')).toEqual(probeRef);
      expect(Object.keys(secret.inputs.stringData)).toEqual([PROBE_TOKEN_SECRET_KEY]);
    }
  });

  test('without monitoring.probeToken the token is generated by @pulumi/random', () => {
    const generators = dev.resources.filter((r) => r.type === 'random:index/randomPassword:RandomPassword');
    expect(generators.map((r) => r.inputs)).toEqual([expect.objectContaining({ length: 48, special: false })]);
    expect(ofKind(dev, 'Secret')[0].inputs.stringData[PROBE_TOKEN_SECRET_KEY]).toBe('r'.repeat(48));
  });

  test('with monitoring.probeToken that token is used and nothing is generated', () => {
    expect(ownToken.resources.filter((r) => r.type.startsWith('random:'))).toEqual([]);
    expect(ofKind(ownToken, 'Secret')[0].inputs.stringData[PROBE_TOKEN_SECRET_KEY]).toBe(TOKEN);
  });

  test('a probe runs on every node whatever its taints, reports as its node to the app, and reads the host where the contract says', () => {
    const w = workload(prod, 'probe');
    const spec = w.inputs.spec.template.spec;
    expect(w.inputs.kind).toBe('DaemonSet');
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const c = container(w, 'probe');
    expect(envEntry(c, PROBE.env.hostname).valueFrom).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
    expect(env(c)).toMatchObject({ PROBE_PROC_ROOT: '/host/proc', PROBE_SYS_ROOT: '/host/sys', PROBE_APP_URL: prod.outputs.monitoringUrl, PROBE_DOCKER_SOCKET: '/var/run/docker.sock' });
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(PROBE.hostMounts.map((m) => m.mountPath));
  });

  test('the app runs one replica behind a Service on its contract port', () => {
    const w = workload(prod, 'monitoring-app');
    expect(w.inputs.spec.replicas).toBe(1);
    const svc = ofKind(prod, 'Service').find((s) => appOf(s) === 'monitoring-app')!;
    expect(svc.inputs.spec.ports).toEqual([{ name: 'http', port: 8093 }]);
  });
});

describe('metrics', () => {
  test("every workload's pods are scraped by exactly one PodMonitor, on a port their containers declare", () => {
    for (const run of [dev, prod, migrating]) {
      const monitors = ofKind(run, 'PodMonitor');
      for (const w of workloads(run)) {
        const podLabels = w.inputs.spec.template.metadata.labels;
        const selecting = monitors.filter((m) => matches(m.inputs.spec.selector.matchLabels, podLabels));
        expect({ workload: w.name, monitors: selecting.length }).toEqual({ workload: w.name, monitors: 1 });
        const ports = w.inputs.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name));
        for (const endpoint of selecting[0].inputs.spec.podMetricsEndpoints) expect(ports).toContain(endpoint.port);
        expect(selecting[0].inputs.spec.jobLabel).toBe('app.kubernetes.io/name');
      }
      expect(monitors).toHaveLength(workloads(run).length);
    }
  });

  test('no pod carries prometheus.io annotations (they pointed at the JSON /metrics/snapshot)', () => {
    for (const w of workloads(prod)) expect(Object.keys(w.inputs.spec.template.metadata.annotations ?? {}).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
  });

  test("Mesos masters and agents carry the exporter sidecar, pointed at the address their daemon listens on", () => {
    const image = parseStackConfig(stackFileRaw('prod')).images.mesosExporter;
    for (const [app, role, port, field] of [
      ['mesos-master', 'master', 5050, 'status.podIP'],
      ['mesos-agent', 'slave', 5051, 'status.hostIP'],
    ] as const) {
      const c = container(workload(prod, app), 'metrics-exporter');
      expect(c.image).toBe(image);
      expect(c.args).toContain(`-${role}=http://$(DAEMON_ADDRESS):${port}`);
      expect(envEntry(c, 'DAEMON_ADDRESS').valueFrom).toEqual({ fieldRef: { fieldPath: field } });
      expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9105 }]);
    }
  });

  test('ZooKeeper pods declare the metrics port zoo.cfg serves, and Marathon turns its Prometheus reporter on', () => {
    const zk = container(workload(prod, 'zookeeper'), 'zookeeper');
    expect(zk.ports).toContainEqual({ name: 'metrics', containerPort: 7000 });
    expect(ofKind(prod, 'ConfigMap')[0].inputs.data['zoo.cfg']).toContain('metricsProvider.httpPort=7000\n');
    expect(env(container(workload(prod, 'marathon'), 'marathon')).MARATHON_METRICS_PROMETHEUS).toBe('');
  });

  test('monitoring.prometheusLabels label every PodMonitor and the PrometheusRule', () => {
    const labelled = [...ofKind(ownToken, 'PodMonitor'), ...ofKind(ownToken, 'PrometheusRule')];
    expect(labelled.length).toBeGreaterThan(1);
    for (const r of labelled) expect(r.inputs.metadata.labels.release).toBe('kube-prometheus');
    for (const r of ofKind(dev, 'PodMonitor')) expect(r.inputs.metadata.labels.release).toBeUndefined();
  });
});
