/**
 * The probe against generated /proc and cgroup trees: the layouts this machine lacks (cgroup v1 and v2, Docker,
 * kubepods, the Mesos containerizer), checked against the generator's own model of who holds which socket, and the
 * faults a real host throws at a probe mid-scan.
 */
import { createServer as createHttpServer, Server as HttpServer } from 'node:http';
import { createServer, Server } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerId, endpointId, netnsScope, processId, UNKNOWN_NETNS } from '../../../services/lib/report/node-ids';
import { ProbeReport } from '../../../services/lib/report/report-schema';
import { ContainerLayout, GeneratedHost, GenContainer, GenSocket, HOST_NETNS } from '../../support/generated-host';
import { Collector } from '../../../services/probe/src/collector';
import { ADDRESS_REFRESH_COLLECTIONS } from '../../../services/probe/src/net-namespaces';
import { collectorFor, collectParsed } from './collect-report';

const EXPECTED_RUNTIME: Record<ContainerLayout, string> = { docker: 'docker', 'docker-systemd': 'docker', kubepods: 'cgroup', 'kubepods-systemd': 'containerd', mesos: 'mesos' };

function localIp(s: GenSocket): string {
  return s.localIp.startsWith('::ffff:') ? s.localIp.slice(7) : s.localIp;
}

function endpointOf(host: GeneratedHost, s: GenSocket): string {
  return endpointId(netnsScope(host.hostname, s.netns), localIp(s), s.localPort);
}

function latest(report: ProbeReport, topology: string, id: string, metric: string): number | undefined {
  return report.topologies[topology]?.[id]?.metrics[metric]?.samples.at(-1)?.[1];
}

describe.each(['v1', 'v2'] as const)('a generated host on cgroup %s', (cgroup) => {
  let host: GeneratedHost;
  let report: ProbeReport;
  let second: ProbeReport;

  beforeAll(async () => {
    host = new GeneratedHost({ processes: 80, sockets: 400, containers: 10, cgroup, seed: cgroup === 'v1' ? 1 : 2 });
    const collector = collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname });
    report = (await collectParsed(collector)).report;
    second = (await collectParsed(collector)).report;
  });
  afterAll(() => host.remove());

  test('every container is found with its runtime, pod uid and runner labels', () => {
    for (const c of host.containers) {
      const node = report.topologies.container[containerId(c.id)];
      expect(node).toBeDefined();
      expect(node.labels).toMatchObject({ id: c.id, runtime: EXPECTED_RUNTIME[c.layout], cgroup: c.cgroupPath, state: 'running', netns: netnsScope(host.hostname, c.netns), addresses: c.address });
      if (c.podUid) expect(node.labels.pod_uid).toBe(c.podUid);
      if (c.marathonAppId) expect(node.labels).toMatchObject({ marathon_app_id: c.marathonAppId, mesos_task_id: c.mesosTaskId });
      expect(node.parents.host).toEqual([`host:${host.hostname}`]);
    }
    expect(Object.keys(report.topologies.container)).toHaveLength(host.containers.length);
  });

  test('container metrics come from the cgroup: working set is usage minus inactive file, limits only where set', () => {
    for (const c of host.containers) {
      const id = containerId(c.id);
      const n = 1 + (c.cgroupPath.length % 50);
      expect(latest(report, 'container', id, 'memory_usage_bytes')).toBe(n * 10_000_000);
      expect(latest(report, 'container', id, 'memory_working_set_bytes')).toBe(n * 7_000_000);
      expect(latest(report, 'container', id, 'io_read_bytes')).toBe(cgroup === 'v2' ? n * 1000 + 5 : n * 1000);
      expect(latest(report, 'container', id, 'io_write_bytes')).toBe(cgroup === 'v2' ? n * 2000 + 7 : n * 2000);
      expect(latest(report, 'container', id, 'pids')).toBe(c.pids.length);
      expect(latest(report, 'container', id, 'memory_limit_bytes')).toBe(c.layout.startsWith('kubepods') ? 536870912 : undefined);
      // CPU % needs two samples; the tree's counters stand still between them.
      expect(latest(report, 'container', id, 'cpu_usage_percent')).toBeUndefined();
      expect(latest(second, 'container', id, 'cpu_usage_percent')).toBe(0);
    }
  });

  test('every process is reported with its container, runner labels, user and command line', () => {
    for (const p of host.processes.values()) {
      const node = report.topologies.process[processId(host.hostname, p.pid, p.starttime)];
      expect(node).toBeDefined();
      expect(node.labels).toMatchObject({ pid: String(p.pid), ppid: String(p.ppid), name: p.comm });
      if (p.kernelThread) continue;
      expect(node.labels.cmdline).toBe(p.cmdline.join(' ').slice(0, 1024));
      expect(node.labels.user).toBe(p.uid === 0 ? 'root' : 'app');
      if (p.container) expect(node.parents.container).toEqual([containerId(p.container.id)]);
      else expect(node.parents.container).toBeUndefined();
      if (p.container?.marathonAppId) expect(node.labels.marathon_app_id).toBe(p.container.marathonAppId);
    }
  });

  test('every socket a process holds is joined to that process, its container and its host', () => {
    let checked = 0;
    for (const s of host.sockets) {
      const node = report.topologies.endpoint[endpointOf(host, s)];
      expect(node).toBeDefined();
      expect(node.parents.host).toEqual([`host:${host.hostname}`]);
      if (s.owner === undefined) continue;
      const owner = host.processes.get(s.owner)!;
      expect(node.parents.process).toContain(processId(host.hostname, owner.pid, owner.starttime));
      if (owner.container) expect(node.parents.container).toContain(containerId(owner.container.id));
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  test('a connection is adjacent to its peer\'s endpoint in the peer\'s namespace; an outside peer\'s scope is *', () => {
    const scopeOf = (ip: string, own: number): string => {
      if (ip.startsWith('127.')) return netnsScope(host.hostname, own);
      const c = host.containers.find((x: GenContainer) => x.address === ip);
      if (c) return netnsScope(host.hostname, c.netns);
      return ip === '192.0.2.10' ? netnsScope(host.hostname, HOST_NETNS) : UNKNOWN_NETNS;
    };
    for (const s of host.sockets) {
      if (s.state === 10) continue;
      const remote = s.remoteIp.startsWith('::ffff:') ? s.remoteIp.slice(7) : s.remoteIp;
      const peer = endpointId(scopeOf(remote, s.netns), remote, s.remotePort);
      expect(report.topologies.endpoint[endpointOf(host, s)].adjacency).toContain(peer);
    }
  });

  test('roles: listen for a listener, server for what it accepted, client for what a process dialled', () => {
    for (const s of host.sockets) {
      const labels = report.topologies.endpoint[endpointOf(host, s)].labels;
      const listening = host.sockets.some((l) => l.state === 10 && l.netns === s.netns && l.localPort === s.localPort);
      expect(labels.role).toBe(s.state === 10 ? 'listen' : listening ? 'server' : 'client');
      expect(labels.family).toBe(String(s.family));
    }
  });

  test('the host node carries its kernel, OS, interfaces, addresses and load', () => {
    const node = report.topologies.host[`host:${host.hostname}`];
    expect(node.labels).toMatchObject({ name: host.hostname, kernel: '6.1.0-generated', os: 'Generated Linux 1', interfaces: 'lo,eth0', addresses: '192.0.2.10,fd00::10', netns: netnsScope(host.hostname, HOST_NETNS) });
    expect(latest(report, 'host', node ? `host:${host.hostname}` : '', 'load1')).toBe(0.52);
    expect(latest(report, 'host', `host:${host.hostname}`, 'memory_usage_bytes')).toBe((16384000 - 12000000) * 1024);
  });
});

describe("a namespace's addresses", () => {
  test('are read when it is first seen, then again in its turn once in ADDRESS_REFRESH_COLLECTIONS collections', async () => {
    const host = new GeneratedHost({ processes: 40, sockets: 100, containers: 4, cgroup: 'v2', seed: 5 });
    try {
      const collector = collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname });
      // Collection n reads the addresses of namespace `inode` when (n + inode) % ADDRESS_REFRESH_COLLECTIONS is 0.
      // The change below comes before collection 1; a container whose turn is not collection 1 shows the old
      // addresses until its turn, which proves they were not read in between.
      const turnOf = (netns: number): number => (ADDRESS_REFRESH_COLLECTIONS - ((1 + netns) % ADDRESS_REFRESH_COLLECTIONS)) % ADDRESS_REFRESH_COLLECTIONS;
      const c = host.containers.find((x) => turnOf(x.netns) > 0)!;
      const id = containerId(c.id);
      const before = (await collectParsed(collector)).report.topologies.container[id].labels.addresses;
      expect(before).toMatch(/^10\./);
      // The container's namespace gets a second address, as `ip addr add` would give it.
      const fib = join(host.procRoot, 'netns', String(c.netns), 'fib_trie');
      writeFileSync(fib, readFileSync(fib, 'latin1').replace('Local:\n', 'Local:\n     |-- 10.9.9.9\n        /32 host LOCAL\n'));
      const seen: string[] = [];
      for (let i = 0; i < ADDRESS_REFRESH_COLLECTIONS; i++) seen.push((await collectParsed(collector)).report.topologies.container[id].labels.addresses);
      const turn = turnOf(c.netns);
      expect(seen).toEqual(seen.map((_, i) => (i < turn ? before : `${before},10.9.9.9`)));
    } finally {
      host.remove();
    }
  });
});

describe('fd tables are walked only as far as needed', () => {
  let host: GeneratedHost;
  afterEach(() => host.remove());

  /** A host of 200 processes and 2,000 sockets, and a collector that has collected it once, placing everything. */
  async function afterFirstCollection(): Promise<Collector> {
    host = new GeneratedHost({ processes: 200, sockets: 2000, containers: 20, cgroup: 'v2', seed: 3 });
    const collector = collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname });
    const first = await collectParsed(collector);
    expect(first.collected.endpoints.unplaced).toBe(0);
    return collector;
  }

  function expectAllPlaced(report: ProbeReport): void {
    for (const s of host.sockets) {
      if (s.owner === undefined) continue;
      const p = host.processes.get(s.owner)!;
      expect(report.topologies.endpoint[endpointOf(host, s)].parents.process).toContain(processId(host.hostname, p.pid, p.starttime));
    }
  }

  test('a second collection with no new socket walks no fd table', async () => {
    const collector = await afterFirstCollection();
    const quiet = await collectParsed(collector);
    expect(quiet.collected.endpoints.fdWalks).toBe(0);
    expectAllPlaced(quiet.report);
  });

  test('re-dialled connections at the fds their closed sockets had are placed without listing any fd table', async () => {
    const collector = await afterFirstCollection();
    host.churn(20);
    const busy = await collectParsed(collector);
    expect(busy.collected.endpoints.unplaced).toBe(0);
    expect(busy.collected.endpoints.fdWalks).toBe(0);
    expectAllPlaced(busy.report);
  });

  test('re-dialled connections at new fds are placed by walking the listener\'s process and the peer\'s known clients, not every holder', async () => {
    const collector = await afterFirstCollection();
    host.churn(20, { freshFds: true });
    const busy = await collectParsed(collector);
    expect(busy.collected.endpoints.unplaced).toBe(0);
    const holders = new Set(host.sockets.filter((s) => s.owner !== undefined).map((s) => s.owner));
    expect(busy.collected.endpoints.fdWalks).toBeGreaterThan(0);
    expect(busy.collected.endpoints.fdWalks).toBeLessThan(holders.size / 2);
    expectAllPlaced(busy.report);
  });

  /** A process that holds sockets and no listener, with one of its socket fds. */
  function clientWithSocket(skip = 0): { pid: number; fd: number } {
    const listeners = new Set(host.sockets.filter((s) => s.state === 10).map((s) => s.owner));
    const p = [...host.processes.values()].filter((x) => x.sockets.size > 1 && !listeners.has(x.pid))[skip];
    return { pid: p.pid, fd: [...p.sockets.keys()][0] };
  }

  function holderOf(report: ProbeReport, s: GenSocket): string[] | undefined {
    return report.topologies.endpoint[endpointOf(host, s)]?.parents.process;
  }

  test('a socket opened after the first collection at an fd number the process reused is joined to it in the next', async () => {
    const collector = await afterFirstCollection();
    const { pid, fd } = clientWithSocket();
    const opened = host.openAt(pid, fd);
    const next = await collectParsed(collector);
    expect(holderOf(next.report, opened)).toEqual([processId(host.hostname, pid, host.processes.get(pid)!.starttime)]);
    expect(next.collected.endpoints.unplaced).toBe(0);
    expectAllPlaced(next.report);
  });

  test('a socket at an fd reused while the old socket lives on in another process is still found', async () => {
    const collector = await afterFirstCollection();
    const { pid, fd } = clientWithSocket();
    const sibling = [...host.processes.values()].find((q) => q.pid !== pid && q.netns === host.processes.get(pid)!.netns && !q.kernelThread)!;
    host.share(pid, fd, sibling.pid);
    await collectParsed(collector);
    // The old socket is still listed (the sibling holds it), so a skim of the process's table would pass over fd.
    const opened = host.openAt(pid, fd);
    const next = await collectParsed(collector);
    expect(holderOf(next.report, opened)).toEqual([processId(host.hostname, pid, host.processes.get(pid)!.starttime)]);
    expect(next.collected.endpoints.unplaced).toBe(0);
  });

  test('a pid reused by a new process (a later start time) is not mixed with the process that had it', async () => {
    const collector = await afterFirstCollection();
    const { pid, fd } = clientWithSocket(1);
    const before = processId(host.hostname, pid, host.processes.get(pid)!.starttime);
    const successor = host.respawn(pid);
    const opened = host.openAt(pid, fd);
    const next = await collectParsed(collector);
    const after = processId(host.hostname, pid, successor.starttime);
    expect(holderOf(next.report, opened)).toEqual([after]);
    expect(next.report.topologies.process[after]).toBeDefined();
    expect(next.report.topologies.process[before]).toBeUndefined();
    for (const node of Object.values(next.report.topologies.endpoint)) expect(node.parents.process ?? []).not.toContain(before);
    expectAllPlaced(next.report);
  });

  test('connections from processes nothing points at are still placed, by walking holders until none is left', async () => {
    const collector = await afterFirstCollection();
    host.churnScattered(20);
    const busy = await collectParsed(collector);
    expect(busy.collected.endpoints.unplaced).toBe(0);
    expectAllPlaced(busy.report);
  });
});

describe('faults degrade a collection, they never stop it', () => {
  let host: GeneratedHost;
  let dir: string;
  beforeEach(() => {
    host = new GeneratedHost({ processes: 60, sockets: 200, containers: 6, cgroup: 'v1', seed: 4 });
    dir = mkdtempSync(join(tmpdir(), 'probe-fault-'));
  });
  afterEach(() => {
    host.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test('processes that vanish mid-scan are left out or reported with what was read, with no error', async () => {
    const [a, b, c] = [...host.processes.values()].filter((p) => !p.kernelThread && p.pid > 1);
    // Gone between readdir and stat.
    rmSync(join(host.procRoot, String(a.pid), 'stat'));
    // Gone between stat and the rest.
    for (const f of ['cmdline', 'environ', 'status', 'cgroup']) rmSync(join(host.procRoot, String(b.pid), f));
    // Gone while its fd table is walked.
    rmSync(join(host.procRoot, String(c.pid), 'fd'), { recursive: true });
    const { report, collected } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname }));
    expect(report.topologies.process[processId(host.hostname, a.pid, a.starttime)]).toBeUndefined();
    expect(report.topologies.process[processId(host.hostname, b.pid, b.starttime)].labels.name).toBe(b.comm);
    expect(collected.collectionErrors.process).toBeUndefined();
    expect(collected.collectionErrors.endpoint).toBeUndefined();
  });

  test('a file the probe cannot read is counted in collectionErrors and the process is still reported', async () => {
    const p = [...host.processes.values()].find((x) => x.container)!;
    const environ = join(host.procRoot, String(p.pid), 'environ');
    unlinkSync(environ);
    // Root reads any file; a directory where a file should be fails the read (EISDIR) as EACCES would.
    mkdirSync(environ);
    const { report, collected } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname }));
    expect(collected.collectionErrors.process).toMatch(/^environ unreadable for 1 \(e\.g\. EISDIR /);
    expect(report.topologies.process[processId(host.hostname, p.pid, p.starttime)]).toBeDefined();
    expect(report.stats.collectionErrors.process).toBe(collected.collectionErrors.process);
  });

  test('no Docker socket: containers come from cgroups alone and the report says why', async () => {
    const { report } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname, dockerSocket: join(dir, 'missing.sock') }));
    expect(report.stats.collectionErrors.container).toBe(`no Docker socket at ${join(dir, 'missing.sock')}; containers from cgroups alone`);
    expect(Object.keys(report.topologies.container)).toHaveLength(host.containers.length);
  });

  test('a Docker API that accepts and never answers costs the collection its deadline, no more', async () => {
    const socket = join(dir, 'hung.sock');
    const held: import('node:net').Socket[] = [];
    const server: Server = createServer((conn) => held.push(conn));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const { report, collected } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname, dockerSocket: socket, dockerTimeoutMs: 300 }));
      expect(report.stats.collectionErrors.container).toMatch(/did not answer \/containers\/json within 300 ms; containers from cgroups alone$/);
      expect(Object.keys(report.topologies.container)).toHaveLength(host.containers.length);
      // Generous: the point is that a hung daemon does not hold the collection indefinitely.
      expect(collected.wallSeconds).toBeLessThan(20);
    } finally {
      for (const conn of held) conn.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a host name JSON must escape still makes a report the app accepts', async () => {
    const { report } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: 'odd"host\\name' }));
    expect(report.host).toBe('odd"host\\name');
    expect(Object.keys(report.topologies.endpoint).every((id) => id.startsWith('endpoint:odd"host\\name/'))).toBe(true);
  });
});

describe('Docker names and labels on a generated host', () => {
  let host: GeneratedHost;
  let server: HttpServer;
  let dir: string;
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    host.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a Mesos-started Docker container gets its Mesos id, pod labels, image and configured runner environment', async () => {
    host = new GeneratedHost({ processes: 40, sockets: 100, containers: 4, cgroup: 'v2', layouts: ['docker'], seed: 5 });
    dir = mkdtempSync(join(tmpdir(), 'probe-docker-api-'));
    const c = host.containers[0];
    const list = [{ Id: c.id, Names: ['/mesos-9a8b7c6d-0000-4000-8000-000000000001'], Image: 'registry.local/shop/web:1.4', State: 'running', Labels: { 'io.kubernetes.pod.name': 'web-7f9c', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.container.name': 'web', team: 'payments' } }];
    const inspect = { Id: c.id, Config: { Env: ['MESOS_EXECUTOR_ID=exec-1', 'MARATHON_APP_VERSION=2026-02-02'] } };
    const socket = join(dir, 'docker.sock');
    server = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/containers/json' ? list : inspect));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const { report } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname, dockerSocket: socket }));
    expect(report.stats.collectionErrors.container).toBeUndefined();
    expect(report.topologies.container[containerId(c.id)].labels).toMatchObject({
      name: 'mesos-9a8b7c6d-0000-4000-8000-000000000001',
      mesos_container_id: '9a8b7c6d-0000-4000-8000-000000000001',
      image: 'registry.local/shop/web:1.4',
      runtime: 'docker',
      pod_name: 'web-7f9c',
      pod_namespace: 'shop',
      pod_container_name: 'web',
      'label.team': 'payments',
      mesos_executor_id: 'exec-1',
      marathon_app_version: '2026-02-02',
      marathon_app_id: c.marathonAppId,
    });
  });
});

describe('the large host', () => {
  test('2,000 processes, 20,000 sockets, 200 containers: every socket with an owner is placed, every report accepted', async () => {
    const host = new GeneratedHost({ processes: 2000, sockets: 20000, containers: 200, cgroup: 'v2', seed: 6 });
    try {
      const { report, collected } = await collectParsed(collectorFor({ procRoot: host.procRoot, sysRoot: host.sysRoot, host: host.hostname }));
      expect(Object.keys(report.topologies.process)).toHaveLength(2000);
      expect(Object.keys(report.topologies.container)).toHaveLength(200);
      expect(collected.endpoints.sockets).toBe(host.sockets.length);
      expect(collected.endpoints.unplaced).toBe(0);
      const endpoints = new Set(host.sockets.map((s) => endpointOf(host, s)));
      expect(Object.keys(report.topologies.endpoint).sort()).toEqual([...endpoints].sort());
    } finally {
      host.remove();
    }
  }, 120_000);
});
