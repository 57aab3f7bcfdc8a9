/**
 * The probe on this machine's own /proc: the test starts a Marathon-app-like server and client (MARATHON_APP_ID,
 * MESOS_TASK_ID in their environment) connected over loopback, and checks what the probe says about them against
 * `ps` and `ss -tanp` run in the same test.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { endpointId, netnsScope } from '../../../services/lib/report/node-ids';
import { ProbeReport, ReportNode } from '../../../services/lib/report/report-schema';
import { collectorFor, collectParsed } from './collect-report';

interface Started {
  child: ChildProcess;
  pid: number;
  line: string;
}

const children: ChildProcess[] = [];

function start(script: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, pid: child.pid!, line: out.slice(0, nl) });
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was ready`)));
  });
}

const SERVER = `
const net = require('net');
const held = [];
const s = net.createServer((c) => held.push(c)).listen(0, '0.0.0.0', () => console.log(s.address().port));
`;
const CLIENT = `
const net = require('net');
const c = net.connect(Number(process.env.PORT), '127.0.0.1', () => console.log(c.localPort));
setInterval(() => {}, 1000);
`;

function processNode(report: ProbeReport, pid: number): [string, ReportNode] {
  const found = Object.entries(report.topologies.process).find(([, n]) => n.labels.pid === String(pid));
  if (!found) throw new Error(`no process node for pid ${pid}`);
  return found;
}

/** `ss -tanp` lines as { local, peer, pids }. */
function ssSockets(): Array<{ state: string; local: string; peer: string; pids: number[] }> {
  return execFileSync('ss', ['-tanpH'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.trim().split(/\s+/);
      return { state: f[0], local: f[3], peer: f[4], pids: [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])) };
    });
}

describe('on this machine', () => {
  let server: Started;
  let client: Started;
  let serverPort: number;
  let clientPort: number;
  let report: ProbeReport;
  const taskId = `shop_web.${randomUUID()}`;

  beforeAll(async () => {
    server = await start(SERVER, { MARATHON_APP_ID: '/shop/web', MESOS_TASK_ID: taskId, MESOS_FRAMEWORK_ID: 'fw-0001', MARATHON_APP_VERSION: '2026-01-02T03:04:05.000Z' });
    serverPort = Number(server.line);
    client = await start(CLIENT, { PORT: String(serverPort), MARATHON_APP_ID: '/shop/checkout', MESOS_TASK_ID: 'shop_checkout.1', MESOS_EXECUTOR_ID: 'exec-7' });
    clientPort = Number(client.line);
    const collector = collectorFor({ procRoot: '/proc', sysRoot: '/sys', host: 'probe-test-host' });
    await collectParsed(collector);
    // A second collection: CPU % needs two samples.
    await new Promise((resolve) => setTimeout(resolve, 300));
    report = (await collectParsed(collector)).report;
  }, 60_000);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('the processes carry the Marathon app and Mesos task of their environment, and what ps says of them', () => {
    for (const [started, app, task] of [
      [server, '/shop/web', taskId],
      [client, '/shop/checkout', 'shop_checkout.1'],
    ] as const) {
      const [, node] = processNode(report, started.pid);
      const [ppid, comm, user] = execFileSync('ps', ['-o', 'ppid=,comm=,user=', '-p', String(started.pid)], { encoding: 'utf8' }).trim().split(/\s+/);
      expect(node.labels).toMatchObject({ marathon_app_id: app, mesos_task_id: task, ppid, name: comm, user });
      expect(node.labels.cmdline).toMatch(/^\S*node -e /);
      expect(node.metrics.cpu_usage_percent.samples).toHaveLength(1);
      expect(node.metrics.memory_rss_bytes.samples[0][1]).toBeGreaterThan(10 * 1024 * 1024);
    }
    expect(processNode(report, server.pid)[1].labels).toMatchObject({ mesos_framework_id: 'fw-0001', marathon_app_version: '2026-01-02T03:04:05.000Z' });
    expect(processNode(report, client.pid)[1].labels.mesos_executor_id).toBe('exec-7');
  });

  test('the connection joins the client process to the server process, as ss -tanp says', () => {
    const scope = report.topologies.host['host:probe-test-host'].labels.netns ?? '';
    expect(scope).toMatch(/^probe-test-host\/\d+$/);
    const [clientId] = processNode(report, client.pid);
    const [serverId] = processNode(report, server.pid);
    const clientEnd = report.topologies.endpoint[endpointId(scope, '127.0.0.1', clientPort)];
    const serverEnd = report.topologies.endpoint[endpointId(scope, '127.0.0.1', serverPort)];
    const listener = report.topologies.endpoint[endpointId(scope, '0.0.0.0', serverPort)];
    expect(clientEnd).toMatchObject({ labels: { role: 'client', state: 'established', family: '4' }, parents: { process: [clientId] } });
    expect(clientEnd.adjacency).toEqual([endpointId(scope, '127.0.0.1', serverPort)]);
    expect(serverEnd).toMatchObject({ labels: { role: 'server', state: 'established' }, parents: { process: [serverId] } });
    expect(serverEnd.adjacency).toContain(endpointId(scope, '127.0.0.1', clientPort));
    expect(listener).toMatchObject({ labels: { role: 'listen', state: 'listen' }, parents: { process: [serverId] } });

    const ss = ssSockets();
    const byLocal = (local: string) => ss.filter((s) => s.local === local);
    expect(byLocal(`127.0.0.1:${clientPort}`)).toEqual([{ state: 'ESTAB', local: `127.0.0.1:${clientPort}`, peer: `127.0.0.1:${serverPort}`, pids: [client.pid] }]);
    expect(byLocal(`127.0.0.1:${serverPort}`)).toEqual([{ state: 'ESTAB', local: `127.0.0.1:${serverPort}`, peer: `127.0.0.1:${clientPort}`, pids: [server.pid] }]);
    expect(byLocal(`0.0.0.0:${serverPort}`)[0]).toMatchObject({ state: 'LISTEN', pids: [server.pid] });
  });

  test('every socket ss shows with an owner is joined to that owner\'s process', () => {
    const scope = report.topologies.host['host:probe-test-host'].labels.netns ?? '';
    const own = new Set([server.pid, client.pid]);
    for (const s of ssSockets().filter((x) => x.pids.some((p) => own.has(p)))) {
      const colon = s.local.lastIndexOf(':');
      const node = report.topologies.endpoint[endpointId(scope, s.local.slice(0, colon).replace(/^\[|\]$/g, ''), Number(s.local.slice(colon + 1)))];
      expect(node).toBeDefined();
      for (const pid of s.pids) expect(node.parents.process).toContain(processNode(report, pid)[0]);
    }
  });

  test('the host node is this machine as /proc describes it', () => {
    const node = report.topologies.host['host:probe-test-host'];
    expect(node.labels.kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(node.labels.interfaces?.split(',')).toContain('lo');
    expect(node.metrics.uptime_seconds.samples[0][1]).toBeGreaterThan(0);
    expect(node.metrics.memory_total_bytes.samples[0][1]).toBeGreaterThan(0);
    expect(node.labels.netns).toBe(netnsScope('probe-test-host', node.labels.netns!.split('/')[1]));
  });
});
