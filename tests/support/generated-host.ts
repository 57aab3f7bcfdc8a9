/**
 * A host written as files: a /proc tree and a /sys/fs/cgroup tree the probe reads exactly as it reads the real ones
 * (PROBE_PROC_ROOT, PROBE_SYS_ROOT). For scale (2,000 processes, 20,000 sockets, 200 containers) and for the layouts
 * this machine lacks: cgroup v1 and v2, Docker (cgroupfs and systemd drivers), kubepods (cgroupfs and systemd, CRI),
 * the Mesos containerizer.
 *
 * What differs from a kernel's /proc: `/proc/<pid>/net` is a symlink to one directory per namespace (the kernel
 * shows the same files through every member), and `ns/net` and `fd/<n>` are plain symlinks whose targets read as
 * the kernel's magic links do (`net:[4026531840]`, `socket:[12345]`).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seeded } from '../../services/lib/seeded-random';

export type ContainerLayout = 'docker' | 'docker-systemd' | 'kubepods' | 'kubepods-systemd' | 'mesos';
export const ALL_LAYOUTS: ContainerLayout[] = ['docker', 'docker-systemd', 'kubepods', 'kubepods-systemd', 'mesos'];

export interface GeneratedHostSpec {
  processes: number;
  /** TCP sockets in all, listeners included (approximately: connections come in whole). */
  sockets: number;
  containers: number;
  cgroup: 'v1' | 'v2';
  layouts?: ContainerLayout[];
  seed?: number;
  hostname?: string;
}

export interface GenContainer {
  id: string;
  layout: ContainerLayout;
  cgroupPath: string;
  netns: number;
  address: string;
  podUid?: string;
  marathonAppId?: string;
  mesosTaskId?: string;
  pids: number[];
}

export interface GenProcess {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[];
  env: string[];
  starttime: number;
  netns: number;
  cgroupPath: string;
  container?: GenContainer;
  kernelThread: boolean;
  /** fd number → socket inode (other fds are /dev/null). */
  sockets: Map<number, number>;
  nextFd: number;
  uid: number;
}

export interface GenSocket {
  netns: number;
  family: 4 | 6;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** Kernel state number: 1 established, 6 time_wait, 10 listen. */
  state: number;
  inode: number;
  owner?: number;
}

export const HOST_NETNS = 4026531840;
const FIRST_CONTAINER_NETNS = 4026532000;
const HOST_ADDRESS = '192.0.2.10';
const EXTERNAL = '203.0.113.';

export class GeneratedHost {
  readonly root: string;
  readonly procRoot: string;
  readonly sysRoot: string;
  readonly hostname: string;
  readonly processes = new Map<number, GenProcess>();
  readonly containers: GenContainer[] = [];
  readonly sockets: GenSocket[] = [];
  private readonly random: () => number;
  private nextInode = 500_000;
  private nextEphemeral = 32768;
  /** While set, new sockets get the next unused fd rather than the lowest free one (churn's freshFds). */
  private freshFds = false;
  /** The listening socket of each server process. */
  private readonly listeners = new Map<number, GenSocket>();
  /** Connections between two local processes: both ends. */
  private readonly connections: Array<{ client: GenSocket; server: GenSocket }> = [];
  readonly uptimeSeconds = 100_000;

  constructor(readonly spec: GeneratedHostSpec) {
    this.root = mkdtempSync(join(tmpdir(), 'probe-host-'));
    this.procRoot = join(this.root, 'proc');
    this.sysRoot = join(this.root, 'sys');
    this.hostname = spec.hostname ?? 'gen-host';
    this.random = seeded(spec.seed ?? 42);
    this.build();
    this.writeAll();
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  private hex(n: number): string {
    let s = '';
    while (s.length < n) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  private uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private build(): void {
    const { spec } = this;
    const layouts = spec.layouts ?? ALL_LAYOUTS;
    for (let i = 0; i < spec.containers; i++) {
      const layout = layouts[i % layouts.length];
      const docker = this.hex(64);
      const podUid = layout.startsWith('kubepods') ? this.uuid() : undefined;
      const mesosId = this.uuid();
      const id = layout === 'mesos' ? mesosId : docker;
      const cgroupPath = {
        docker: `/docker/${docker}`,
        'docker-systemd': `/system.slice/docker-${docker}.scope`,
        kubepods: `/kubepods/burstable/pod${podUid}/${docker}`,
        'kubepods-systemd': `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${podUid?.replace(/-/g, '_')}.slice/cri-containerd-${docker}.scope`,
        mesos: `/mesos/${mesosId}`,
      }[layout];
      const c: GenContainer = { id, layout, cgroupPath, netns: FIRST_CONTAINER_NETNS + i, address: `10.${1 + Math.floor(i / 250)}.${i % 250}.2`, podUid, pids: [] };
      if (layout === 'mesos' || layout === 'docker') {
        c.marathonAppId = `/team-${i % 7}/app-${i}`;
        c.mesosTaskId = `app-${i}.${this.uuid()}`;
      }
      this.containers.push(c);
    }
    // Kernel threads, host daemons, then container processes: every container gets at least one.
    const kthreads = Math.min(20, Math.floor(spec.processes / 20));
    const containerProcesses = Math.max(spec.containers, Math.floor((spec.processes - kthreads) * 0.7));
    const hostProcesses = spec.processes - kthreads - containerProcesses - 1;
    this.addProcess({ pid: 1, ppid: 0, comm: 'systemd', cmdline: ['/sbin/init'], netns: HOST_NETNS, cgroupPath: '/init.scope' });
    let pid = 2;
    for (let i = 0; i < kthreads; i++) this.addProcess({ pid: pid++, ppid: 2, comm: `kworker/${i}:0`, cmdline: [], netns: HOST_NETNS, cgroupPath: '/', kernelThread: true });
    for (let i = 0; i < hostProcesses; i++) {
      this.addProcess({ pid: (pid += 3), ppid: 1, comm: `daemon-${i % 50}`, cmdline: [`/usr/sbin/daemon-${i % 50}`, '--config', `/etc/daemon-${i}.conf`], netns: HOST_NETNS, cgroupPath: `/system.slice/daemon-${i % 50}.service` });
    }
    for (let i = 0; i < containerProcesses; i++) {
      const c = this.containers[i % this.containers.length];
      if (!c) break;
      const env = ['PATH=/usr/bin:/bin', 'HOME=/root', `HOSTNAME=${c.id.slice(0, 12)}`];
      if (c.marathonAppId) env.push(`MARATHON_APP_ID=${c.marathonAppId}`, `MESOS_TASK_ID=${c.mesosTaskId}`, 'MESOS_FRAMEWORK_ID=f0e1d2c3-0000-0000-0000-000000000001-0000', 'MARATHON_APP_VERSION=2026-01-01T00:00:00.000Z');
      const java = c.pids.length === 0;
      const p = this.addProcess({
        pid: (pid += 2),
        ppid: c.pids[0] ?? 1,
        comm: java ? 'java' : 'worker',
        cmdline: java ? ['java', '-Xmx512m', '-cp', '/app/lib/*', `com.example.App${i}`, ...Array(40).fill('-Dsome.long.property=value')] : ['/app/worker', `--id=${i}`],
        netns: c.netns,
        cgroupPath: c.cgroupPath,
        env,
        container: c,
        uid: 1000,
      });
      c.pids.push(p.pid);
    }
    this.buildSockets();
  }

  private addProcess(p: Partial<GenProcess> & Pick<GenProcess, 'pid' | 'ppid' | 'comm' | 'cmdline' | 'netns' | 'cgroupPath'>): GenProcess {
    const full: GenProcess = {
      env: [],
      starttime: 1000 + p.pid * 7,
      kernelThread: false,
      sockets: new Map(),
      nextFd: 3,
      uid: 0,
      ...p,
    };
    this.processes.set(full.pid, full);
    return full;
  }

  private socketFor(p: GenProcess, s: Omit<GenSocket, 'inode' | 'owner' | 'netns'>): GenSocket {
    const socket: GenSocket = { ...s, netns: p.netns, inode: this.nextInode++, owner: p.pid };
    // The lowest free fd, as the kernel gives it (POSIX): a process that re-dials opens its new socket at the fd its
    // closed one had. `churn(n, { freshFds: true })` gives the next unused one instead, as if the process had
    // opened something else at the freed fd first.
    let fd = this.freshFds ? p.nextFd : 3;
    while (p.sockets.has(fd)) fd++;
    p.sockets.set(fd, socket.inode);
    p.nextFd = Math.max(p.nextFd, fd + 1);
    this.sockets.push(socket);
    if (s.state === 10) this.listeners.set(p.pid, socket);
    return socket;
  }

  private addressOf(netns: number): string {
    return netns === HOST_NETNS ? HOST_ADDRESS : this.containers[netns - FIRST_CONTAINER_NETNS].address;
  }

  private buildSockets(): void {
    const servers: GenProcess[] = [];
    for (const c of this.containers) {
      const main = this.processes.get(c.pids[0])!;
      this.socketFor(main, { family: 4, localIp: '0.0.0.0', localPort: 8080, remoteIp: '0.0.0.0', remotePort: 0, state: 10 });
      servers.push(main);
    }
    const hostDaemons = [...this.processes.values()].filter((p) => !p.kernelThread && !p.container && p.pid !== 1);
    for (const p of hostDaemons.slice(0, 5)) {
      this.socketFor(p, { family: 6, localIp: '::', localPort: 9000 + p.pid, remoteIp: '::', remotePort: 0, state: 10 });
      servers.push(p);
    }
    const clients = [...this.processes.values()].filter((p) => !p.kernelThread && p.pid !== 1);
    while (this.sockets.length < this.spec.sockets && servers.length > 0) this.connect(this.pick(clients), servers);
  }

  /** One connection from `client`: to a local server (two sockets), an external peer, or a closed one in time_wait. */
  private connect(client: GenProcess, servers: readonly GenProcess[], kind = this.random()): void {
    const port = this.nextEphemeral++;
    if (this.nextEphemeral > 60999) this.nextEphemeral = 32768;
    const localIp = this.addressOf(client.netns);
    if (kind < 0.1) {
      this.socketFor(client, { family: 4, localIp, localPort: port, remoteIp: `${EXTERNAL}${1 + Math.floor(this.random() * 200)}`, remotePort: 443, state: 1 });
      return;
    }
    if (kind < 0.15) {
      this.sockets.push({ netns: client.netns, family: 4, localIp, localPort: port, remoteIp: `${EXTERNAL}9`, remotePort: 80, state: 6, inode: 0 });
      return;
    }
    const server = this.pick(servers);
    const listen = this.listeners.get(server.pid)!;
    if (server === client || server.netns === client.netns) {
      const c = this.socketFor(client, { family: 4, localIp: '127.0.0.1', localPort: port, remoteIp: '127.0.0.1', remotePort: listen.localPort, state: 1 });
      const s = this.socketFor(server, { family: 4, localIp: '127.0.0.1', localPort: listen.localPort, remoteIp: '127.0.0.1', remotePort: port, state: 1 });
      this.connections.push({ client: c, server: s });
      return;
    }
    const serverIp = this.addressOf(server.netns);
    const c = this.socketFor(client, { family: 4, localIp, localPort: port, remoteIp: serverIp, remotePort: listen.localPort, state: 1 });
    // A v6 listener on :: takes v4 connections as IPv4-mapped addresses.
    const mapped = listen.family === 6;
    const s = this.socketFor(server, { family: listen.family, localIp: mapped ? `::ffff:${serverIp}` : serverIp, localPort: listen.localPort, remoteIp: mapped ? `::ffff:${localIp}` : localIp, remotePort: port, state: 1 });
    this.connections.push({ client: c, server: s });
  }

  /**
   * Replaces `count` connections between local processes by new ones between the same two processes, as connection
   * pools and keep-alive recycling do on a busy host between two collections; rewrites what changed.
   */
  churn(count: number, options: { freshFds?: boolean } = {}): void {
    const replaced = this.closeConnections(count);
    this.freshFds = options.freshFds ?? false;
    for (const { client, server } of replaced) {
      const c = this.processes.get(client.owner!)!;
      const srv = this.processes.get(server.owner!)!;
      this.connectTo(c, srv);
    }
    this.freshFds = false;
    this.rewrite();
  }

  /**
   * Replaces `count` connections by new ones from processes picked at random: the worst case for placing sockets,
   * since nothing already known points at the process that opened a new one.
   */
  churnScattered(count: number): void {
    const closed = this.closeConnections(count);
    const servers = [...this.listeners.keys()].map((pid) => this.processes.get(pid)!);
    const clients = [...this.processes.values()].filter((p) => !p.kernelThread && p.pid !== 1);
    for (let i = 0; i < closed.length; i++) this.connectTo(this.pick(clients), this.pick(servers));
    this.rewrite();
  }

  private closeConnections(count: number): Array<{ client: GenSocket; server: GenSocket }> {
    const closed: Array<{ client: GenSocket; server: GenSocket }> = [];
    while (closed.length < count && this.connections.length > 0) {
      const at = Math.floor(this.random() * this.connections.length);
      closed.push(this.connections[at]);
      this.connections[at] = this.connections[this.connections.length - 1];
      this.connections.pop();
    }
    const gone = new Set<number>();
    for (const { client, server } of closed) gone.add(client.inode).add(server.inode);
    for (let i = this.sockets.length - 1; i >= 0; i--) if (gone.has(this.sockets[i].inode)) this.sockets.splice(i, 1);
    for (const { client, server } of closed) {
      for (const s of [client, server]) {
        const p = this.processes.get(s.owner!)!;
        for (const [fd, inode] of p.sockets) {
          if (inode !== s.inode) continue;
          p.sockets.delete(fd);
          unlinkSync(join(this.procRoot, String(p.pid), 'fd', String(fd)));
        }
      }
    }
    return closed;
  }

  /** A new connection from `client` to `server`'s listener. */
  private connectTo(client: GenProcess, server: GenProcess): void {
    this.connect(client, [server], 1);
  }

  private rewrite(): void {
    for (const p of this.processes.values()) this.writeFds(p);
    this.writeTables();
  }

  /**
   * Process `pid` opens a new connection to an outside peer at fd `fd`: a number it already uses is closed first
   * (its socket leaves the tables unless another process holds it too), as a process reusing its lowest free fd
   * does. Rewrites what changed; returns the new socket.
   */
  openAt(pid: number, fd: number): GenSocket {
    const p = this.processes.get(pid)!;
    const old = p.sockets.get(fd);
    if (old !== undefined) {
      p.sockets.delete(fd);
      const sharers = [...this.processes.values()].filter((q) => [...q.sockets.values()].includes(old));
      const s = this.sockets.find((x) => x.inode === old)!;
      if (sharers.length === 0) this.sockets.splice(this.sockets.indexOf(s), 1);
      else s.owner = sharers[0].pid;
    }
    const link = join(this.procRoot, String(pid), 'fd', String(fd));
    rmSync(link, { force: true });
    const port = this.nextEphemeral++;
    const socket: GenSocket = { netns: p.netns, family: 4, localIp: this.addressOf(p.netns), localPort: port, remoteIp: `${EXTERNAL}77`, remotePort: 443, state: 1, inode: this.nextInode++, owner: pid };
    p.sockets.set(fd, socket.inode);
    p.nextFd = Math.max(p.nextFd, fd + 1);
    this.sockets.push(socket);
    this.rewrite();
    return socket;
  }

  /** Process `to` holds `from`'s socket at fd `fd` too, as a child does after fork. */
  share(from: number, fd: number, to: number): void {
    const inode = this.processes.get(from)!.sockets.get(fd)!;
    const q = this.processes.get(to)!;
    q.sockets.set(q.nextFd++, inode);
    this.rewrite();
  }

  /**
   * Process `pid` exits and a new one gets its pid (a later start time): the old one's sockets leave the tables,
   * the new one has the same fd numbers free. Returns the new process.
   */
  respawn(pid: number): GenProcess {
    const p = this.processes.get(pid)!;
    const gone = new Set(p.sockets.values());
    for (let i = this.sockets.length - 1; i >= 0; i--) if (gone.has(this.sockets[i].inode)) this.sockets.splice(i, 1);
    this.vanish(pid);
    const next: GenProcess = { ...p, starttime: p.starttime + 5000, sockets: new Map(), nextFd: 3 };
    this.processes.set(pid, next);
    this.writeProcess(next);
    this.writeTables();
    return next;
  }

  /** Removes a process's directory, as the kernel does when it exits (its sockets stay in the tables: closing). */
  vanish(pid: number): void {
    // A probe may keep stat open (proc-files.ts KeptFiles): the kernel then reads ESRCH, a removed regular
    // file its old text, so it is emptied first, which the probe reads as gone too.
    try {
      truncateSync(join(this.procRoot, String(pid), 'stat'));
    } catch {
      // no stat to empty
    }
    rmSync(join(this.procRoot, String(pid)), { recursive: true, force: true });
  }

  // --- writing ------------------------------------------------------------------------------------------------------

  private writeAll(): void {
    const proc = this.procRoot;
    mkdirSync(join(proc, 'sys', 'kernel'), { recursive: true });
    writeFileSync(join(proc, 'sys', 'kernel', 'osrelease'), '6.1.0-generated\n');
    writeFileSync(join(proc, 'uptime'), `${this.uptimeSeconds}.00 190000.00\n`);
    writeFileSync(join(proc, 'loadavg'), '0.52 0.48 0.40 2/2000 99999\n');
    writeFileSync(join(proc, 'stat'), 'cpu  10000 0 5000 100000 100 0 50 0 0 0\ncpu0 5000 0 2500 50000 50 0 25 0 0 0\n');
    writeFileSync(join(proc, 'meminfo'), 'MemTotal:       16384000 kB\nMemFree:         8000000 kB\nMemAvailable:   12000000 kB\n');
    const namespaces = new Set<number>([HOST_NETNS, ...this.containers.map((c) => c.netns)]);
    for (const ns of namespaces) {
      const dir = join(proc, 'netns', String(ns));
      mkdirSync(dir, { recursive: true });
      const ip = this.addressOf(ns);
      writeFileSync(join(dir, 'fib_trie'), fibTrie(ip));
      writeFileSync(join(dir, 'if_inet6'), ns === HOST_NETNS ? '00000000000000000000000000000001 01 80 10 80       lo\nfd000000000000000000000000000010 02 40 00 80     eth0\n' : '00000000000000000000000000000001 01 80 10 80       lo\n');
      writeFileSync(join(dir, 'dev'), 'Inter-|   Receive\n face |bytes\n    lo: 0 0\n  eth0: 0 0\n');
    }
    for (const p of this.processes.values()) this.writeProcess(p);
    this.writeTables();
    this.writeCgroups();
    const etc = join(proc, '1', 'root', 'etc');
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n');
    writeFileSync(join(etc, 'os-release'), 'PRETTY_NAME="Generated Linux 1"\nID=generated\n');
  }

  writeProcess(p: GenProcess): void {
    const dir = join(this.procRoot, String(p.pid));
    mkdirSync(join(dir, 'ns'), { recursive: true });
    mkdirSync(join(dir, 'fd'), { recursive: true });
    const flags = p.kernelThread ? 0x00208040 : 0x00400100;
    const fields = [p.pid, `(${p.comm})`, 'S', p.ppid, p.pid, p.pid, 0, -1, flags, 100, 0, 0, 0, 50 + (p.pid % 97), 20 + (p.pid % 13), 0, 0, 20, 0, 1 + (p.pid % 8), 0, p.starttime, 100_000_000, 2000 + (p.pid % 5000)];
    while (fields.length < 52) fields.push(0);
    writeFileSync(join(dir, 'stat'), `${fields.join(' ')}\n`);
    writeFileSync(join(dir, 'cmdline'), p.cmdline.length ? `${p.cmdline.join('\0')}\0` : '');
    writeFileSync(join(dir, 'environ'), p.env.length ? `${p.env.join('\0')}\0` : '');
    writeFileSync(join(dir, 'status'), `Name:\t${p.comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t${p.pid}\nNgid:\t0\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nTracerPid:\t0\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nGid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\n`);
    writeFileSync(join(dir, 'cgroup'), this.spec.cgroup === 'v2' ? `0::${p.cgroupPath}\n` : `5:pids:${p.cgroupPath}\n4:memory:${p.cgroupPath}\n3:cpu,cpuacct:${p.cgroupPath}\n2:blkio:${p.cgroupPath}\n1:name=systemd:${p.cgroupPath}\n0::/\n`);
    symlinkSync(`net:[${p.netns}]`, join(dir, 'ns', 'net'));
    symlinkSync(join('..', 'netns', String(p.netns)), join(dir, 'net'));
    if (!p.kernelThread) for (const fd of [0, 1, 2]) symlinkSync('/dev/null', join(dir, 'fd', String(fd)));
    this.writeFds(p);
  }

  private writeFds(p: GenProcess): void {
    const dir = join(this.procRoot, String(p.pid), 'fd');
    for (const [fd, inode] of p.sockets) {
      try {
        symlinkSync(`socket:[${inode}]`, join(dir, String(fd)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  writeTables(): void {
    const byNs = new Map<number, { v4: string[]; v6: string[] }>();
    for (const s of this.sockets) {
      let t = byNs.get(s.netns);
      if (!t) byNs.set(s.netns, (t = { v4: [], v6: [] }));
      const lines = s.family === 4 ? t.v4 : t.v6;
      lines.push(tcpLine(lines.length, s));
    }
    const header4 = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const header6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    for (const ns of new Set([HOST_NETNS, ...this.containers.map((c) => c.netns)])) {
      const t = byNs.get(ns) ?? { v4: [], v6: [] };
      const dir = join(this.procRoot, 'netns', String(ns));
      writeFileSync(join(dir, 'tcp'), header4 + t.v4.join(''));
      writeFileSync(join(dir, 'tcp6'), header6 + t.v6.join(''));
    }
  }

  private writeCgroups(): void {
    const root = join(this.sysRoot, 'fs', 'cgroup');
    mkdirSync(root, { recursive: true });
    const paths = new Set<string>();
    for (const p of this.processes.values()) paths.add(p.cgroupPath);
    if (this.spec.cgroup === 'v2') writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    const membersOf = new Map<string, number>();
    for (const p of this.processes.values()) membersOf.set(p.cgroupPath, (membersOf.get(p.cgroupPath) ?? 0) + 1);
    for (const path of paths) {
      const members = membersOf.get(path) ?? 0;
      const n = 1 + (path.length % 50);
      if (this.spec.cgroup === 'v2') {
        const dir = join(root, path);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'cpu.stat'), `usage_usec ${n * 1_000_000}\nuser_usec ${n * 700_000}\nsystem_usec ${n * 300_000}\n`);
        writeFileSync(join(dir, 'memory.current'), `${n * 10_000_000}\n`);
        writeFileSync(join(dir, 'memory.stat'), `anon ${n * 6_000_000}\nfile ${n * 4_000_000}\nactive_file ${n * 1_000_000}\ninactive_file ${n * 3_000_000}\n`);
        writeFileSync(join(dir, 'memory.max'), path.startsWith('/kubepods') ? '536870912\n' : 'max\n');
        writeFileSync(join(dir, 'io.stat'), `8:0 rbytes=${n * 1000} wbytes=${n * 2000} rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=5 wbytes=7 rios=1 wios=1 dbytes=0 dios=0\n`);
        writeFileSync(join(dir, 'pids.current'), `${members}\n`);
      } else {
        const write = (controller: string, files: Record<string, string>): void => {
          const dir = join(root, controller, path);
          mkdirSync(dir, { recursive: true });
          for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
        };
        write('cpu,cpuacct', { 'cpuacct.usage': `${n * 1_000_000_000}\n` });
        write('memory', {
          'memory.usage_in_bytes': `${n * 10_000_000}\n`,
          'memory.stat': `cache ${n * 4_000_000}\nrss ${n * 6_000_000}\ninactive_file ${n * 3_000_000}\ntotal_inactive_file ${n * 3_000_000}\n`,
          'memory.limit_in_bytes': path.startsWith('/kubepods') ? '536870912\n' : '9223372036854771712\n',
        });
        write('blkio', { 'blkio.throttle.io_service_bytes_recursive': `8:0 Read ${n * 1000}\n8:0 Write ${n * 2000}\n8:0 Sync 0\n8:0 Total ${n * 3000}\nTotal ${n * 3000}\n` });
        write('pids', { 'pids.current': `${members}\n` });
      }
    }
  }
}

/** The kernel's fib_trie text for a namespace with one address besides loopback. */
function fibTrie(ip: string): string {
  return `Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     |-- ${ip}\n        /32 host LOCAL\nLocal:\n  +-- 127.0.0.0/8 2 0 2\n     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- ${ip}\n        /32 host LOCAL\n`;
}

function v4Hex(ip: string): string {
  const [a, b, c, d] = ip.split('.').map(Number);
  // The kernel prints the address as a little-endian 32-bit word.
  return ((d << 24) | (c << 16) | (b << 8) | a) >>> 0 === 0 ? '00000000' : (((d << 24) | (c << 16) | (b << 8) | a) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

function v6Hex(ip: string): string {
  let bytes: number[];
  if (ip.startsWith('::ffff:')) bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip.slice(7).split('.').map(Number)];
  else if (ip === '::') bytes = new Array(16).fill(0);
  else throw new Error(`generated host writes only :: and ::ffff: v6 addresses, not ${ip}`);
  let out = '';
  for (let w = 0; w < 4; w++) for (let i = 3; i >= 0; i--) out += bytes[w * 4 + i].toString(16).toUpperCase().padStart(2, '0');
  return out;
}

export function tcpLine(index: number, s: GenSocket): string {
  const hex = s.family === 4 ? v4Hex : v6Hex;
  const port = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  const st = s.state.toString(16).toUpperCase().padStart(2, '0');
  return `${String(index).padStart(4)}: ${hex(s.localIp)}:${port(s.localPort)} ${hex(s.remoteIp)}:${port(s.remotePort)} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${s.inode} 1 0000000000000000 100 0 0 10 0\n`;
}
