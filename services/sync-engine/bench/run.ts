/**
 * `npm run bench:sync`: bulk copy, replication lag under load, verify, and a full cutover with a live writer, on
 * two real ZooKeeper servers on loopback. Prints a table and writes bench-results/sync-engine.json.
 *
 * Sizes can be scaled down for a quick look: BENCH_NODES=20000 npm run bench:sync
 *
 * The bench runs itself again with the NODE_OPTIONS the service's image sets (read from its Dockerfile), so the
 * figures are the engine's as shipped.
 */
import { ChildProcess, fork, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger';
import { ZkClient } from '../../lib/zk-client';
import { startZooKeeper, ZkEnsemble } from '../../../tests/support/zookeeper-server';
import { EngineConfig, filterOf, parseCli } from '../src/config';
import { Cutover } from '../src/cutover';
import { SyncMetrics } from '../src/metrics';
import { openCheckedSides } from '../src/preflight';
import { StateStore } from '../src/state-store';
import { SyncSession } from '../src/sync-session';
import { copyTree } from '../src/tree-copy';
import { verifyTrees, VerifyReport } from '../src/verify';
import { PathFilter } from '../src/path-filter';
import type { LagJob, WriterJob } from './load-client';

const NODES = Number(process.env.BENCH_NODES ?? 100_000);
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 1000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 10);
const LAG_WARMUP_SECONDS = Number(process.env.BENCH_LAG_WARMUP_SECONDS ?? 2);
/**
 * The servers' connection layer: Netty on both, as the platform's ensemble runs (components/zookeeper/spec.ts).
 * BENCH_ZK_CONNECTION_FACTORY=nio gives both ZooKeeper's default, which an older ensemble may still run, and
 * `nio,netty` names the source's and the target's: a migration from such an ensemble to the platform's.
 */
const FACTORIES = (process.env.BENCH_ZK_CONNECTION_FACTORY ?? 'netty').split(',').map((f): 'nio' | 'netty' => {
  if (f !== 'nio' && f !== 'netty') throw new Error(`BENCH_ZK_CONNECTION_FACTORY: '${f}' is not nio or netty`);
  return f;
});
const CONNECTION_FACTORY = { source: FACTORIES[0], target: FACTORIES[1] ?? FACTORIES[0] };
const logger = silentLogger();

interface Row {
  benchmark: string;
  result: string;
  target: string;
  met: boolean | null;
}

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function populate(zk: ZkClient, root: string, count: number): Promise<void> {
  await zk.mkdirp(root);
  const groups = Math.ceil(count / 1000);
  await Promise.all(Array.from({ length: groups }, (_, g) => zk.create(`${root}/g${g}`, `group-${g}`)));
  const payload = Buffer.alloc(1024, 'x');
  const window = 2000;
  for (let start = 0; start < count; start += window) {
    await Promise.all(Array.from({ length: Math.min(window, count - start) }, (_, k) => zk.create(`${root}/g${(start + k) % groups}/n${start + k}`, payload)));
  }
}

/** Forks load-client.ts with `job`; `done` resolves with its one reply. */
function runLoadClient<T>(job: LagJob | WriterJob): { child: ChildProcess; done: Promise<T> } {
  const child = fork(join(__dirname, 'load-client.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const done = new Promise<T>((resolve, reject) => {
    child.once('message', (reply) => resolve(reply as T));
    child.once('exit', (code) => reject(new Error(`load client exited with ${code} before replying`)));
  });
  child.send(job);
  return { child, done };
}

function cfg(mode: string, source: string, target: string, extra: string[] = []): EngineConfig {
  return parseCli([mode, '--source', source, '--target', target, ...extra]);
}

/** CPU time (ms) of a process from /proc, to tell the engine's cost from the servers' on a shared machine. */
function cpuMsOf(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

/** CPU spent by the engine (this process) and by each server while `run` ran, in ms per 1,000 nodes. */
async function cpuPerThousand<T extends { nodes: number }>(servers: [ZkEnsemble, ZkEnsemble], run: () => Promise<T>): Promise<T & { cpuMsPer1000: { engine: number; source: number; target: number } }> {
  const pids = servers.map((s) => s.servers[0].pid);
  const before = { engine: process.cpuUsage(), source: cpuMsOf(pids[0]), target: cpuMsOf(pids[1]) };
  const result = await run();
  const engineUs = process.cpuUsage(before.engine);
  const per = (ms: number): number => Math.round((ms * 1000) / result.nodes);
  return { ...result, cpuMsPer1000: { engine: per((engineUs.user + engineUs.system) / 1000), source: per(cpuMsOf(pids[0]) - before.source), target: per(cpuMsOf(pids[1]) - before.target) } };
}

const cpuNote = (c: { engine: number; source: number; target: number }): string => `CPU ms per 1,000 nodes: engine ${c.engine}, source server ${c.source}, target server ${c.target}`;

async function benchCopyAndVerify(servers: [ZkEnsemble, ZkEnsemble], rows: Row[], json: Record<string, unknown>): Promise<void> {
  const config = cfg('copy', servers[0].connectString + '/bench', servers[1].connectString + '/bench');
  const sides = await openCheckedSides(config, logger);
  try {
    const report = await cpuPerThousand(servers, async () => {
      const r = await copyTree({ ...sides, filter: filterOf(config), maxInFlight: config.maxInFlight, logger });
      return { ...r, nodes: r.scanned };
    });
    const rate = Math.round((report.scanned * 1000) / report.durationMs);
    rows.push({ benchmark: `bulk copy ${report.scanned.toLocaleString('en')} × 1 KB`, result: `${rate.toLocaleString('en')} znodes/s (${(report.durationMs / 1000).toFixed(1)} s)`, target: '≥ 5,000/s', met: rate >= 5000 });
    rows.push({ benchmark: '  copy cost', result: cpuNote(report.cpuMsPer1000), target: '', met: null });
    json.copy = { nodes: report.scanned, durationMs: report.durationMs, znodesPerSecond: rate, cpuMsPer1000: report.cpuMsPer1000 };

    // Twice: the first verify meets a target server whose JVM has only ever served the copy's writes and spends
    // seconds compiling ZooKeeper's read path; the second shows the steady state a verify of running ensembles sees.
    const verifyOnce = (): Promise<VerifyReport & { nodes: number; cpuMsPer1000: { engine: number; source: number; target: number } }> =>
      cpuPerThousand(servers, async () => {
        const r = await verifyTrees({ ...sides, filter: new PathFilter({ exclude: ['/.sync-engine-heartbeat-*'] }), maxInFlight: config.maxInFlight });
        return { ...r, nodes: r.sourceNodes + r.targetNodes };
      });
    const first = await verifyOnce();
    const v = await verifyOnce();
    rows.push({ benchmark: `verify ${first.sourceNodes.toLocaleString('en')} znodes, first after the copy`, result: `${(first.durationMs / 1000).toFixed(2)} s, equal=${first.equal}`, target: '', met: null });
    rows.push({ benchmark: '  cost (both trees)', result: cpuNote(first.cpuMsPer1000), target: '', met: null });
    rows.push({ benchmark: `verify ${v.sourceNodes.toLocaleString('en')} znodes, servers warm`, result: `${(v.durationMs / 1000).toFixed(2)} s, equal=${v.equal}`, target: '< 10 s', met: v.durationMs < 10_000 && v.equal && first.equal });
    rows.push({ benchmark: '  cost (both trees)', result: cpuNote(v.cpuMsPer1000), target: '', met: null });
    json.verify = { nodes: v.sourceNodes, durationMs: v.durationMs, equal: v.equal, cpuMsPer1000: v.cpuMsPer1000, first: { durationMs: first.durationMs, equal: first.equal, cpuMsPer1000: first.cpuMsPer1000 } };
  } finally {
    sides.source.close();
    sides.target.close();
  }
}

async function benchLag(sourceHosts: string, targetHosts: string, rows: Row[], json: Record<string, unknown>): Promise<void> {
  const root = '/lag';
  const keys = 100;
  const writer = await ZkClient.connect({ connect: sourceHosts });
  await writer.mkdirp(root);
  await Promise.all(Array.from({ length: keys }, (_, k) => writer.create(`${root}/k${k}`, '0').catch(() => undefined)));
  const config = cfg('sync', sourceHosts + root, targetHosts + root, ['--heartbeat-ms', '100', '--full-compare-interval-ms', '0']);
  const sides = await openCheckedSides(config, logger);
  const metrics = new SyncMetrics();
  const session = new SyncSession({ config, ...sides, metrics, logger });
  await session.start();
  const job: LagJob = { cmd: 'lag', sourceHosts, targetHosts, root, keys, rate: LAG_RATE, warmupSeconds: LAG_WARMUP_SECONDS, seconds: LAG_SECONDS };
  const { lags, warmupLags } = await runLoadClient<{ lags: number[]; warmupLags: number[] }>(job).done;
  const sorted = [...lags].sort((x, y) => x - y);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  const hb = session.lag?.recentSamples() ?? [];
  const warmupMax = Math.max(0, ...warmupLags);
  rows.push({ benchmark: `replication lag at ${LAG_RATE.toLocaleString('en')} writes/s (${sorted.length.toLocaleString('en')} arrivals in ${LAG_SECONDS} s)`, result: `p50 ${p50} ms, p99 ${p99} ms, max ${sorted[sorted.length - 1]} ms`, target: 'p99 < 50 ms (aim < 10)', met: p99 < 50 });
  rows.push({ benchmark: `  the ${LAG_WARMUP_SECONDS} s of warm-up before (not counted)`, result: `${warmupLags.length.toLocaleString('en')} arrivals, max ${warmupMax} ms`, target: '', met: null });
  json.lag = { ratePerSecond: LAG_RATE, seconds: LAG_SECONDS, arrivals: sorted.length, p50Ms: p50, p99Ms: p99, maxMs: sorted[sorted.length - 1], warmup: { seconds: LAG_WARMUP_SECONDS, arrivals: warmupLags.length, maxMs: warmupMax }, heartbeatRecentMs: hb };
  await session.stop();
  sides.source.close();
  sides.target.close();
  writer.close();
}

async function benchCutover(sourceHosts: string, targetHosts: string, root: string, rows: Row[], json: Record<string, unknown>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sync-bench-cutover-'));
  const config = cfg('cutover', sourceHosts + root, targetHosts + '/cutover', ['--state-dir', dir, '--rollback-window-ms', '2000', '--lag-stable-ms', '1000', '--job', 'bench']);
  const sides = await openCheckedSides(config, logger);
  const setup = await ZkClient.connect({ connect: sourceHosts });
  await setup.mkdirp(`${root}/writes`);
  setup.close();
  // A live writer that follows the published connect string, in its own process.
  const writer = runLoadClient<{ acked: string[] }>({ cmd: 'writer', publishZnode: config.publishZnode, sourceHosts, root, everyMs: 5 });
  const cutover = new Cutover({ config, store: new StateStore(dir), ...sides, metrics: new SyncMetrics(), logger });
  const started = Date.now();
  let shown = '';
  const progress = setInterval(() => {
    const at = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (cutover.phase !== shown) process.stderr.write(`  cutover phase ${(shown = cutover.phase)} at ${at}\n`);
    const status = cutover.session?.status();
    if (process.env.BENCH_VERBOSE && status && Date.now() - lastStatus >= 2000) {
      lastStatus = Date.now();
      process.stderr.write(`  ${at}: lag ${status.lagMs} ms, queue ${status.queueDepth}, writes ${status.writes}\n`);
    }
  }, 100);
  let lastStatus = 0;
  const state = await cutover.run().finally(() => clearInterval(progress));
  const durationMs = Date.now() - started;
  writer.child.send({ cmd: 'stop' });
  const { acked } = await writer.done;
  const present = new Set((await sides.target.client.getChildren('/cutover/writes')).children);
  const lost = acked.filter((n) => !present.has(n)).length;
  const phases = Object.fromEntries(state.history.map((h) => [h.phase, h.durationMs]));
  rows.push({
    benchmark: `cutover of ${NODES.toLocaleString('en')} znodes, live writer`,
    result: `${(durationMs / 1000).toFixed(1)} s → ${state.phase}; ${acked.length} acked writes, ${lost} lost`,
    target: '< 60 s (limit 5 min), 0 lost',
    met: durationMs < 60_000 && lost === 0 && state.phase === 'done',
  });
  rows.push({ benchmark: '  phases (s)', result: state.history.map((h) => `${h.phase} ${(h.durationMs / 1000).toFixed(1)}`).join(', '), target: '', met: null });
  json.cutover = { nodes: NODES, durationMs, phase: state.phase, phasesMs: phases, ackedWrites: acked.length, lostWrites: lost };
  sides.source.close();
  sides.target.close();
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const json: Record<string, unknown> = { nodes: NODES, startedAt: new Date().toISOString(), nodeOptions: process.env.NODE_OPTIONS };
  const server = { heapMb: 2048, productionJvm: true };
  const [a, b] = await Promise.all([startZooKeeper(1, { ...server, connectionFactory: CONNECTION_FACTORY.source }), startZooKeeper(1, { ...server, connectionFactory: CONNECTION_FACTORY.target })]);
  json.connectionFactory = CONNECTION_FACTORY;
  const layer = `source ${CONNECTION_FACTORY.source}, target ${CONNECTION_FACTORY.target}`;
  process.stderr.write(`servers' connection layer: ${layer}\n`);
  rows.push({ benchmark: "servers' connection layer", result: layer, target: '', met: null });
  try {
    const seed = await ZkClient.connect({ connect: a.connectString });
    const t0 = Date.now();
    await populate(seed, '/bench', NODES);
    process.stderr.write(`populated ${NODES} znodes in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    seed.close();
    const only = process.env.BENCH_ONLY?.split(',');
    const step = async (name: string, run: () => Promise<void>): Promise<void> => {
      if (only && !only.includes(name)) return;
      const t = Date.now();
      const before = rows.length;
      process.stderr.write(`${name}…\n`);
      await run();
      process.stderr.write(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
      for (const row of rows.slice(before)) process.stderr.write(`  ${row.benchmark.trim()}: ${row.result}\n`);
    };
    await step('copy', () => benchCopyAndVerify([a, b], rows, json));
    await step('lag', () => benchLag(a.connectString, b.connectString, rows, json));
    await step('cutover', () => benchCutover(a.connectString, b.connectString, '/bench', rows, json));
  } finally {
    await Promise.all([a.destroy(), b.destroy()]);
  }
  clearInterval(rssTimer);
  rows.push({ benchmark: 'engine RSS (peak, bench process incl. harness)', result: `${Math.round(peakRss / 1024 / 1024)} MB`, target: '', met: null });
  json.peakRssMb = Math.round(peakRss / 1024 / 1024);
  json.rows = rows;

  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => [r.benchmark, r.result, r.target][i].length), ['benchmark', 'result', 'target'][i].length));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  const out = [line(['benchmark', 'result', 'target']), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map((r) => line([r.benchmark, r.result, r.target + (r.met === null ? '' : r.met ? ' ✓' : ' ✗')]))];
  process.stdout.write(out.join('\n') + '\n');
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/sync-engine.json', JSON.stringify(json, null, 2) + '\n');
  process.exit(0);
}

/** The value of the image's `ENV NODE_OPTIONS="…"`. */
function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
  const line = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile);
  if (!line) throw new Error('services/sync-engine/Dockerfile sets no NODE_OPTIONS');
  return line[1];
}

if (process.env.SYNC_BENCH_AS_SHIPPED) void main();
else {
  const options = imageNodeOptions();
  process.stderr.write(`node options (from the image): ${options}\n`);
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${options}`.trim(), SYNC_BENCH_AS_SHIPPED: '1' };
  const run = spawnSync(process.execPath, ['--import', 'tsx', __filename], { stdio: 'inherit', env });
  process.exit(run.status ?? 1);
}
