/**
 * The probe against a real Docker engine (Debian's docker.io, started by the test with its own data root and
 * socket): a container started with Kubernetes pod labels, a Mesos-style `mesos-<id>` name and a Mesos task's
 * environment is found with its labels, cgroup metrics and processes. Where no engine can start, these tests say so
 * and skip; under CI=true they must run.
 */
import { randomUUID } from 'node:crypto';
import { containerId } from '../../../services/lib/report/node-ids';
import { ProbeReport } from '../../../services/lib/report/report-schema';
import { DockerDaemon, importTinyImage, startDockerDaemon } from '../../support/docker-daemon';
import { collectorFor, collectParsed } from './collect-report';

const started = startDockerDaemon();
const daemon: DockerDaemon | undefined = typeof started === 'string' ? undefined : started;
if (typeof started === 'string') {
  if (process.env.CI === 'true') throw new Error(`CI must run the Docker tests, but ${started}`);
  process.stderr.write(`docker.test.ts: skipping the real-Docker tests: ${started}\n`);
}
const maybe = daemon ? describe : describe.skip;

maybe('a container on a real Docker engine', () => {
  const mesosId = randomUUID();
  let id: string;
  let pid: number;
  let report: ProbeReport;

  beforeAll(async () => {
    importTinyImage(daemon!, 'probe-test/sleep:1', ['/bin/sleep']);
    id = daemon!
      .docker([
        'run', '-d', '--network', 'none', '--name', `mesos-${mesosId}`,
        '--label', 'io.kubernetes.pod.name=web-5d8f', '--label', 'io.kubernetes.pod.namespace=shop', '--label', 'io.kubernetes.container.name=web', '--label', 'team=payments',
        '-e', 'MESOS_TASK_ID=shop_web.42', '-e', 'MARATHON_APP_ID=/shop/web', '-e', 'MESOS_FRAMEWORK_ID=fw-7',
        '--memory', '64m',
        'probe-test/sleep:1', '/bin/sleep', '600',
      ])
      .trim();
    pid = Number(daemon!.docker(['inspect', '-f', '{{.State.Pid}}', id]).trim());
    const collector = collectorFor({ procRoot: '/proc', sysRoot: '/sys', host: 'docker-test-host', dockerSocket: daemon!.socket });
    await collectParsed(collector);
    await new Promise((resolve) => setTimeout(resolve, 300));
    report = (await collectParsed(collector)).report;
  }, 180_000);

  afterAll(() => daemon!.stop(), 120_000);

  test('the container is named, labelled and attributed to its Mesos task and Kubernetes pod', () => {
    expect(report.stats.collectionErrors.container).toBeUndefined();
    const node = report.topologies.container[containerId(id)];
    expect(node.labels).toMatchObject({
      id,
      name: `mesos-${mesosId}`,
      image: 'probe-test/sleep:1',
      state: 'running',
      runtime: 'docker',
      mesos_container_id: mesosId,
      mesos_task_id: 'shop_web.42',
      marathon_app_id: '/shop/web',
      mesos_framework_id: 'fw-7',
      pod_name: 'web-5d8f',
      pod_namespace: 'shop',
      pod_container_name: 'web',
      'label.team': 'payments',
    });
    expect(node.labels.cgroup).toContain(id);
    // --network none: a namespace of its own with loopback only, so no addresses.
    expect(node.labels.netns).toMatch(/^docker-test-host\/\d+$/);
    expect(node.labels.netns).not.toBe(report.topologies.host['host:docker-test-host'].labels.netns);
  });

  test('its cgroup metrics are read: memory used and limited, one pid, CPU after two samples', () => {
    const m = report.topologies.container[containerId(id)].metrics;
    expect(m.memory_usage_bytes.samples[0][1]).toBeGreaterThan(0);
    expect(m.memory_working_set_bytes.samples[0][1]).toBeLessThanOrEqual(m.memory_usage_bytes.samples[0][1]);
    expect(m.memory_limit_bytes.samples[0][1]).toBe(64 * 1024 * 1024);
    expect(m.pids.samples[0][1]).toBe(1);
    expect(m.cpu_usage_percent.samples[0][1]).toBeGreaterThanOrEqual(0);
  });

  test('its process is reported inside it, with the task environment it was started with', () => {
    const [procId, node] = Object.entries(report.topologies.process).find(([, n]) => n.labels.pid === String(pid))!;
    expect(procId).toMatch(new RegExp(`^process:docker-test-host:${pid}:\\d+$`));
    expect(node.parents.container).toEqual([containerId(id)]);
    expect(node.labels).toMatchObject({ name: 'sleep', cmdline: '/bin/sleep 600', mesos_task_id: 'shop_web.42', marathon_app_id: '/shop/web' });
  });
});

test('the Docker tests either ran or said why not', () => {
  expect(daemon !== undefined || typeof started === 'string').toBe(true);
});
