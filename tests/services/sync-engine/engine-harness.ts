/**
 * What the sync-engine tests share: real ZooKeeper pairs, in-process engines built from the same flags the CLI
 * takes, the engine as a child process (for kill -9 and SIGSTOP), and polling with deadlines instead of sleeps.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { silentLogger } from '../../../services/lib/logger';
import { CreateMode, ZkAcl, ZkClient } from '../../../services/lib/zk-client';
import { EngineConfig, parseCli } from '../../../services/sync-engine/src/config';
import { EnsembleSide } from '../../../services/sync-engine/src/ensemble-side';
import { SyncMetrics } from '../../../services/sync-engine/src/metrics';
import { PathFilter } from '../../../services/sync-engine/src/path-filter';
import { openCheckedSides } from '../../../services/sync-engine/src/preflight';
import { StateStore } from '../../../services/sync-engine/src/state-store';
import { SyncSession } from '../../../services/sync-engine/src/sync-session';
import { verifyTrees, VerifyReport } from '../../../services/sync-engine/src/verify';
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { TestWireClient } from './test-wire-client';

export const logger = process.env.SYNC_TEST_LOG_LEVEL ? pino({ level: process.env.SYNC_TEST_LOG_LEVEL }, pino.destination(2)) : silentLogger();
let counter = 0;

/** A chroot name no other case in this process uses. */
export function uniqueRoot(label: string): string {
  return `/${label}-${process.pid}-${++counter}`;
}

export interface Pair {
  a: ZkEnsemble;
  b: ZkEnsemble;
  /** Plain client sessions on each ensemble, for test writes and reads. */
  za: ZkClient;
  zb: ZkClient;
  /** Replaces a client whose session a server restart expired. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `a` runs ZooKeeper's default connection layer (NIO), as an older source ensemble would; `b` runs Netty, as the
 * platform's ensemble does (components/zookeeper/spec.ts), so every engine case meets both. `forceSync` for cases
 * that kill a server: without fsync a SIGKILL loses acknowledged transactions.
 */
export async function startPair(options: { forceSync?: boolean } = {}): Promise<Pair> {
  const [a, b] = await Promise.all([startZooKeeper(1, { ...options, connectionFactory: 'nio' }), startZooKeeper(1, { ...options, connectionFactory: 'netty' })]);
  const [za, zb] = await Promise.all([ZkClient.connect({ connect: a.connectString }), ZkClient.connect({ connect: b.connectString })]);
  let closed = false;
  const pair: Pair = {
    a,
    b,
    za,
    zb,
    async refresh() {
      // A test abandoned at its timeout may still get here after the suite closed the pair: no new sessions then.
      if (closed) return;
      if (pair.za.isClosed) pair.za = await ZkClient.connect({ connect: a.connectString });
      if (pair.zb.isClosed) pair.zb = await ZkClient.connect({ connect: b.connectString });
    },
    async close() {
      closed = true;
      pair.za.close();
      pair.zb.close();
      await Promise.all([a.destroy(), b.destroy()]);
    },
  };
  return pair;
}

export function config(mode: string, source: string, target: string, extra: string[] = []): EngineConfig {
  return parseCli([mode, '--source', source, '--target', target, '--session-timeout-ms', '4000', '--connect-timeout-ms', '3000', ...extra]);
}

export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'sync-engine-state-'));
}

/** An in-process sync between `source` and `target` connect strings. */
export async function startSync(source: string, target: string, extra: string[] = []): Promise<{ session: SyncSession; sides: { source: EnsembleSide; target: EnsembleSide }; metrics: SyncMetrics; stop(): Promise<void> }> {
  const cfg = config('sync', source, target, extra);
  const sides = await openCheckedSides(cfg, logger);
  const metrics = new SyncMetrics();
  const session = new SyncSession({ config: cfg, ...sides, store: cfg.stateDir ? new StateStore(cfg.stateDir) : undefined, metrics, logger });
  await session.start();
  return {
    session,
    sides,
    metrics,
    async stop() {
      await session.stop();
      sides.source.close();
      sides.target.close();
    },
  };
}

/** Verify through the engine's own code path (heartbeats ignored, as the CLI does). */
export async function verify(source: string, target: string, extra: string[] = []): Promise<VerifyReport> {
  const cfg = config('verify', source, target, extra);
  const sides = await openCheckedSides(cfg, logger, { targetRootMustExist: true });
  try {
    return await verifyTrees({ ...sides, filter: new PathFilter({ include: cfg.include, exclude: [...cfg.exclude, '/.sync-engine-heartbeat-*'] }) });
  } finally {
    sides.source.close();
    sides.target.close();
  }
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

/** The data at `path`, or undefined if it does not exist (or the read fails). */
export async function dataAt(zk: ZkClient, path: string): Promise<string | undefined> {
  try {
    return (await zk.get(path)).data.toString();
  } catch {
    return undefined;
  }
}

export async function waitForData(zk: ZkClient, path: string, expected: string | undefined, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${path} = ${expected === undefined ? '(absent)' : JSON.stringify(expected)}`, async () => (await dataAt(zk, path)) === expected, timeoutMs);
}

/** Creates `count` nodes under `root` in a shape with some depth: root/g<i>/n<j>. */
export async function populate(zk: ZkClient, root: string, count: number, data = (i: number) => `value-${i}`): Promise<void> {
  await zk.mkdirp(root);
  const groups = Math.max(1, Math.ceil(count / 50));
  await Promise.all(Array.from({ length: groups }, (_, g) => zk.create(`${root}/g${g}`, `group-${g}`)));
  await Promise.all(Array.from({ length: count }, (_, i) => zk.create(`${root}/g${i % groups}/n${i}`, data(i))));
}

export const READ_ONLY_ACL: ZkAcl[] = [{ perms: 1, scheme: 'world', auth: 'anyone' }];
export { CreateMode };

export interface ChildEngine {
  proc: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) signalGroup(child, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** The CLI as a child process (`npx tsx services/sync-engine/src/cli.ts ...`), as an operator would run it. */
export function spawnEngine(args: string[]): ChildEngine {
  const proc = spawn(process.execPath, [require.resolve('tsx/cli'), 'services/sync-engine/src/cli.ts', ...args], {
    cwd: join(__dirname, '../../..'),
    env: { ...process.env, LOG_LEVEL: process.env.SYNC_TEST_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so kill -9 and SIGSTOP reach the supervisor and the engine it runs alike.
    detached: true,
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      live.delete(proc);
      resolve(code);
    }),
  );
  return {
    proc,
    output: () => out,
    waitForOutput: (pattern, timeoutMs = 90_000) => waitFor(`engine output ${pattern}`, () => pattern.test(out), timeoutMs).catch((err: Error) => Promise.reject(new Error(`${err.message}\n--- engine output ---\n${out}`))),
    exited,
    kill: (signal = 'SIGKILL') => signalGroup(proc, signal),
  };
}

/**
 * Kills every engine process still running (with its process group) and stops every writer: for `afterEach`,
 * which jest runs even after a test that hit its timeout. Without it, a timed-out fault case leaves its engine and
 * writer running against servers the suite then destroys, and their retry loops starve the suites after it.
 */
export async function stopEverything(): Promise<void> {
  for (const child of live) signalGroup(child, 'SIGKILL');
  await Promise.all([...AckedWriter.stopAll()]);
}

/** Connections the server holds open right now (from `mntr`). */
export async function aliveConnections(port: number): Promise<number> {
  const { fourLetterWord } = await import('../../support/zookeeper-server');
  const m = /zk_num_alive_connections\s+(\d+)/.exec(await fourLetterWord(port, 'mntr'));
  return m ? Number(m[1]) : -1;
}

/**
 * A client that keeps creating numbered nodes under `dir`, retrying through connection loss, and remembers which
 * creates were acknowledged — the writes that must never be lost.
 */
export class AckedWriter {
  readonly acked: string[] = [];
  private running = false;
  private loop?: Promise<void>;
  private n = 0;
  private client?: TestWireClient;

  /** `connect` may be a function, so a writer can follow a connect string that changes (a cutover). */
  constructor(
    private readonly connect: string | (() => string),
    private readonly dir: string,
    private readonly prefix = 'w',
  ) {}

  private async session(): Promise<TestWireClient> {
    const target = typeof this.connect === 'string' ? this.connect : this.connect();
    if (this.client && (this.client.closed || this.client.connect !== target)) {
      this.client.close();
      this.client = undefined;
    }
    this.client ??= await TestWireClient.open(target);
    return this.client;
  }

  start(everyMs = 5): void {
    this.running = true;
    AckedWriter.started.add(this);
    this.loop = (async () => {
      while (this.running) {
        const name = `${this.prefix}-${++this.n}`;
        for (;;) {
          try {
            await (await this.session()).create(`${this.dir}/${name}`, name);
            this.acked.push(name);
            break;
          } catch (err) {
            this.client?.close();
            this.client = undefined;
            if ((err as { code?: number }).code === -110) {
              this.acked.push(name); // an earlier attempt landed
              break;
            }
            if (process.env.WRITER_DEBUG) process.stderr.write(`writer: ${(err as Error).message}\n`);
            if (!this.running) return;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async writeSome(count: number): Promise<void> {
    const target = this.acked.length + count;
    await waitFor(`${count} more acknowledged writes`, () => this.acked.length >= target, 90_000, 10);
  }

  async stop(): Promise<void> {
    this.running = false;
    // Closing first fails a create still waiting on a server that will not answer, so the loop can end.
    this.client?.close();
    await this.loop;
    this.client?.close();
    this.client = undefined;
    AckedWriter.started.delete(this);
  }

  /** Writers started and not yet stopped, for `stopEverything`. */
  private static readonly started = new Set<AckedWriter>();

  static stopAll(): Promise<void>[] {
    return [...AckedWriter.started].map((w) => w.stop());
  }

  /** Acknowledged writes missing from `dir` on the other ensemble. */
  async missingOn(zk: ZkClient, dir = this.dir): Promise<string[]> {
    const present = new Set((await zk.getChildren(dir)).children);
    return this.acked.filter((name) => !present.has(name));
  }
}
