/**
 * Real ZooKeeper servers for tests and benchmarks: Debian's `zookeeper` package, started on free loopback ports in
 * a temporary directory, standalone or as a quorum. Every server started here is killed when the process exits.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETTY_CONNECTION_FACTORY } from '../../components/zookeeper/spec';

/**
 * Debian's zookeeper.jar lists the Netty jars its client needs in its manifest, but not the two a Netty server
 * also loads (ZooKeeper's own distribution ships them in lib/); NIO servers never load them.
 */
const CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar';
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The exit hook above does not run when this process is killed (jest kills stuck workers, `timeout` sends
 * SIGTERM, a developer presses ^C twice), and a JVM outlives its parent. A detached shell per server polls the
 * parent and kills the server once the parent is gone, so no run leaves ZooKeeper servers behind.
 */
function killWhenParentDies(child: ChildProcess): void {
  if (!child.pid) return;
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; kill -9 ${child.pid} 2>/dev/null`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Sends a four-letter word and returns the reply ('' if the server does not answer). */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(word));
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('close', () => resolve(reply));
    socket.on('error', () => resolve(''));
  });
}

export interface ZkServerOptions {
  /** fsync every transaction (ZooKeeper's default). Tests turn it off to spare the disk; benchmarks may not. */
  forceSync?: boolean;
  /** Java heap for the server. */
  heapMb?: number;
  /**
   * Run the JVM as a production server would (its defaults: tiered compilation up to C2, G1). Tests leave this off
   * and get a JVM that starts fast (client compiler only, serial GC) but serves requests at a fraction of the
   * speed, which would make a benchmark measure the test set-up instead of the code under test.
   */
  productionJvm?: boolean;
  /**
   * The server's connection layer: ZooKeeper's default NIO one, or Netty, which the platform's ensemble runs
   * (components/zookeeper/spec.ts) and which spends a fraction of NIO's CPU per request.
   */
  connectionFactory?: 'nio' | 'netty';
  /** More zoo.cfg lines, after the others; a key given again here wins. A function gives each server its own (by id). */
  extraConfig?: string[] | ((id: number) => string[]);
  /** Jars the server loads beside Debian's, e.g. the Prometheus metrics provider (zookeeper-prometheus-jars.ts). */
  extraClasspath?: string[];
}

interface PeerPorts {
  client: number;
  quorum: number;
  election: number;
}

/** One ZooKeeper server process; `stop`, `kill` and `start` again keep its data directory and port. */
export class ZkServer {
  private child?: ChildProcess;

  constructor(
    readonly id: number,
    readonly dir: string,
    readonly ports: PeerPorts,
    private readonly cfgPath: string,
    private readonly heapMb: number,
    private readonly productionJvm = false,
    private readonly classpath = CLASSPATH,
  ) {}

  get port(): number {
    return this.ports.client;
  }

  get connectString(): string {
    return `127.0.0.1:${this.ports.client}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Launches the JVM; resolves once the process is spawned (see `waitServing`). */
  launch(): void {
    if (this.child) throw new Error(`zookeeper server ${this.id} is already running`);
    const jvm = this.productionJvm ? [`-Xms${this.heapMb}m`] : ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
    const child = spawn('java', [`-Xmx${this.heapMb}m`, ...jvm, '-Dzookeeper.jmx.log4j.disable=true', '-cp', this.classpath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', this.cfgPath], {
      stdio: 'ignore',
      cwd: this.dir,
    });
    live.add(child);
    child.on('exit', () => live.delete(child));
    killWhenParentDies(child);
    this.child = child;
  }

  /** Resolves when the server answers `imok` and serves clients (standalone or part of a quorum). */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const srvr = await fourLetterWord(this.ports.client, 'srvr');
      if (/Mode: (standalone|leader|follower)/.test(srvr)) return;
      await sleep(100);
    }
    throw new Error(`zookeeper server ${this.id} on port ${this.ports.client} did not start serving within ${timeoutMs} ms`);
  }

  async start(): Promise<void> {
    this.launch();
    await this.waitServing();
  }

  /** The server's role as `srvr` reports it, or '' if it is not serving. */
  async mode(): Promise<string> {
    return /Mode: (\w+)/.exec(await fourLetterWord(this.ports.client, 'srvr'))?.[1] ?? '';
  }

  /** SIGKILL: no clean shutdown, as in a crash. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** SIGTERM and wait for the process to exit. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

/** A set of servers forming one ensemble (one server: standalone). */
export class ZkEnsemble {
  constructor(
    readonly servers: ZkServer[],
    private readonly root: string,
  ) {}

  get connectString(): string {
    return this.servers.map((s) => s.connectString).join(',');
  }

  /** The server currently leading, if any. */
  async leader(): Promise<ZkServer | undefined> {
    for (const server of this.servers) if ((await server.mode()) === 'leader') return server;
    return undefined;
  }

  /** Stops every server and removes the data directories. */
  async destroy(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Starts `size` servers as one ensemble on free loopback ports and waits until all of them serve. */
export async function startZooKeeper(size = 1, options: ZkServerOptions = {}): Promise<ZkEnsemble> {
  const root = mkdtempSync(join(tmpdir(), 'orchestrator-zk-'));
  const peers: PeerPorts[] = [];
  for (let i = 0; i < size; i++) peers.push({ client: await freePort(), quorum: await freePort(), election: await freePort() });
  const servers = peers.map((ports, i) => {
    const id = i + 1;
    const dir = join(root, `server-${id}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const lines = [
      'tickTime=500',
      'initLimit=20',
      'syncLimit=10',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${ports.client}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      '4lw.commands.whitelist=*',
      'admin.enableServer=false',
      `forceSync=${options.forceSync ? 'yes' : 'no'}`,
      // Session timeouts are bounded by [2, 20] ticks: 1 s to 10 s with a 500 ms tick, so tests can expire sessions quickly.
      'minSessionTimeout=1000',
      'maxSessionTimeout=30000',
    ];
    if (options.connectionFactory === 'netty') lines.push(`serverCnxnFactory=${NETTY_CONNECTION_FACTORY}`);
    lines.push(...(typeof options.extraConfig === 'function' ? options.extraConfig(id) : (options.extraConfig ?? [])));
    if (size > 1) {
      writeFileSync(join(dir, 'data', 'myid'), `${id}\n`);
      peers.forEach((p, j) => lines.push(`server.${j + 1}=127.0.0.1:${p.quorum}:${p.election}`));
    }
    const cfgPath = join(dir, 'zoo.cfg');
    writeFileSync(cfgPath, lines.join('\n') + '\n');
    const classpath = [CLASSPATH, ...(options.extraClasspath ?? [])].join(':');
    return new ZkServer(id, dir, ports, cfgPath, options.heapMb ?? 256, options.productionJvm, classpath);
  });
  for (const server of servers) server.launch();
  try {
    await Promise.all(servers.map((s) => s.waitServing()));
  } catch (err) {
    await Promise.all(servers.map((s) => s.kill()));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return new ZkEnsemble(servers, root);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
