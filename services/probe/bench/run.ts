/**
 * npm run bench:probe — the probe as shipped (main.ts bundled by esbuild, started with the node flags of the
 * Dockerfile's ENTRYPOINT) reporting to a local app at its real interval, on this machine's /proc and on a generated
 * large host (2,000 processes, 20,000 sockets, 200 containers): quiet, with 5 % of its connections re-dialled by
 * the same processes every interval (pools, keep-alive recycling), and with 5 % replaced from processes picked at
 * random (the worst case for placing sockets).
 *
 * CPU is the probe process's utime + stime from /proc/<pid>/stat (all its threads) over whole intervals after the
 * first collection, so idle work between collections counts; per collection it is the probe's own
 * probe_collection_cpu_seconds. RSS is VmRSS sampled every 250 ms. The machine's load average is printed beside
 * every figure: on a shared 2-core machine CPU time per unit of work rises with load.
 *
 *   BENCH_INTERVALS=4            measured intervals per scenario (after one warm-up collection)
 *   BENCH_INTERVAL_SECONDS=15    the probe's PROBE_INTERVAL_SECONDS
 *   BENCH_ONLY=real,large,large-v1,large-quiet,large-scattered   (comma-separated; default all)
 *   BENCH_NODE_FLAGS="…"         try other node flags than the image's (the table then is not the image's)
 *   MALLOC_*                     glibc malloc tunables: the Dockerfile's ENV values, overridden by the bench's own
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { GeneratedHost } from '../../../tests/support/generated-host';

const ROOT = join(__dirname, '..', '..', '..');
const INTERVALS = Number(process.env.BENCH_INTERVALS ?? 4);
const INTERVAL_SECONDS = Number(process.env.BENCH_INTERVAL_SECONDS ?? 15);
const TICKS = 100;

interface Scenario {
  name: string;
  key: string;
  host?: () => GeneratedHost;
  /** Connections replaced between two collections: re-dialled by the same two processes, or scattered. */
  churn?: { count: number; scattered?: boolean };
}

const SCENARIOS: Scenario[] = [
  { name: 'this machine (/proc, /sys)', key: 'real' },
  { name: 'large host, v2, 5 % re-dialled', key: 'large', host: () => new GeneratedHost({ processes: 2000, sockets: 20000, containers: 200, cgroup: 'v2', seed: 11 }), churn: { count: 450 } },
  { name: 'large host, v1, 5 % re-dialled', key: 'large-v1', host: () => new GeneratedHost({ processes: 2000, sockets: 20000, containers: 200, cgroup: 'v1', seed: 12 }), churn: { count: 450 } },
  { name: 'large host, v2, no churn', key: 'large-quiet', host: () => new GeneratedHost({ processes: 2000, sockets: 20000, containers: 200, cgroup: 'v2', seed: 13 }) },
  { name: 'large host, v2, 5 % scattered', key: 'large-scattered', host: () => new GeneratedHost({ processes: 2000, sockets: 20000, containers: 200, cgroup: 'v2', seed: 14 }), churn: { count: 450, scattered: true } },
];

interface Result {
  scenario: string;
  processes: number;
  sockets: number;
  containers: number;
  intervalSeconds: number;
  firstCollectionCpuMs: number;
  collectionCpuMs: { median: number; max: number; all: number[] };
  /** Whole-process CPU over the measured intervals, as % of one core. */
  cpuPercentOfCore: number;
  /** fd tables walked per measured collection, on average. */
  fdWalksPerCollection: number;
  cpuMsPerInterval: number;
  rssMb: { median: number; max: number };
  reportRawKb: number;
  /** As sent, compressed (`reportEncoding`). */
  reportSentKb: number;
  reportEncoding: string;
  load: { start: number[]; end: number[] };
}

/** The node flags the image starts the probe with: the ENTRYPOINT of services/probe/Dockerfile, without the script. */
function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'services/probe/Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT'))!;
  const argv = JSON.parse(line.slice('ENTRYPOINT'.length).trim()) as string[];
  return argv.slice(1, -1);
}

/** glibc's malloc tunables the image sets (ENV MALLOC_…=… in the Dockerfile), then any the bench itself was given. */
function mallocEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(ROOT, 'services/probe/Dockerfile'), 'utf8');
  const out: Record<string, string> = {};
  for (const m of dockerfile.matchAll(/^(?:ENV\s+|\s+)(MALLOC_[A-Z_]+)=(\S+)/gm)) out[m[1]] = m[2];
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('MALLOC_') && v !== undefined) out[k] = v;
  return out;
}

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]) / 1024;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function runScenario(scenario: Scenario, bundle: string, flags: string[]): Promise<Result> {
  const host = scenario.host?.();
  const reports: Array<{ raw: number; sent: number; encoding: string; at: number }> = [];
  let onReport: () => void = () => {};
  const app: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const encoding = String(req.headers['content-encoding']);
      reports.push({ raw: (encoding === 'br' ? brotliDecompressSync(body) : gunzipSync(body)).length, sent: body.length, encoding, at: Date.now() });
      res.writeHead(202).end('{}');
      onReport();
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    PROBE_APP_URL: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    PROBE_TOKEN: 'bench',
    PROBE_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    PROBE_HOSTNAME: host ? host.hostname : 'bench-host',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    LOG_LEVEL: 'error',
    ...mallocEnv(),
    ...(host ? { PROBE_PROC_ROOT: host.procRoot, PROBE_SYS_ROOT: host.sysRoot, PROBE_DOCKER_SOCKET: join(host.root, 'no-docker.sock') } : {}),
  };
  const loadStart = loadavg().map((l) => Math.round(l * 10) / 10);
  const child: ChildProcess = spawn(process.execPath, [...flags, bundle], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const pid = child.pid!;
  const rss: number[] = [];
  let measuring = false;
  const sampler = setInterval(() => {
    if (measuring) rss.push(rssMb(pid));
  }, 250);
  const cpuMs: number[] = [];
  let firstCollectionCpuMs = 0;
  let walksAtFirst = 0;
  let walks = 0;
  let cpuAtFirst = 0;
  let timeAtFirst = 0;
  let lastSum = 0;
  let measured = { cpu: 0, seconds: 1 };
  let counts = { processes: 0, sockets: 0, containers: 0 };
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the probe exited with ${code}`)));
      onReport = () => {
        void (async () => {
          const sum = await metric(port, 'probe_collection_cpu_seconds_sum');
          const n = reports.length;
          if (n === 1) {
            firstCollectionCpuMs = sum * 1000;
            walksAtFirst = await metric(port, 'probe_fd_table_walks_total');
            cpuAtFirst = procCpuSeconds(pid);
            timeAtFirst = Date.now();
            measuring = true;
          } else cpuMs.push((sum - lastSum) * 1000);
          lastSum = sum;
          if (n > INTERVALS) {
            const cpu = procCpuSeconds(pid) - cpuAtFirst;
            const seconds = (Date.now() - timeAtFirst) / 1000;
            walks = (await metric(port, 'probe_fd_table_walks_total')) - walksAtFirst;
            counts = {
              processes: await metric(port, 'probe_report_nodes\\{topology="process"\\}'),
              sockets: await metric(port, 'probe_tcp_sockets'),
              containers: await metric(port, 'probe_report_nodes\\{topology="container"\\}'),
            };
            child.removeAllListeners('exit');
            measured = { cpu, seconds };
            resolve();
            return;
          }
          if (host && scenario.churn) {
            if (scenario.churn.scattered) host.churnScattered(scenario.churn.count);
            else host.churn(scenario.churn.count);
          }
        })().catch(reject);
      };
    });
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  }
  const { cpu, seconds } = measured;
  const sizes = reports.slice(1);
  host?.remove();
  return {
    scenario: scenario.name,
    ...counts,
    intervalSeconds: INTERVAL_SECONDS,
    firstCollectionCpuMs: Math.round(firstCollectionCpuMs),
    collectionCpuMs: { median: Math.round(median(cpuMs)), max: Math.round(Math.max(...cpuMs)), all: cpuMs.map(Math.round) },
    cpuPercentOfCore: Math.round((cpu / seconds) * 1000) / 10,
    fdWalksPerCollection: Math.round(walks / INTERVALS),
    cpuMsPerInterval: Math.round((cpu / seconds) * INTERVAL_SECONDS * 1000),
    rssMb: { median: Math.round(median(rss) * 10) / 10, max: Math.round(Math.max(...rss) * 10) / 10 },
    reportRawKb: Math.round(median(sizes.map((s) => s.raw)) / 1024),
    reportSentKb: Math.round(median(sizes.map((s) => s.sent)) / 1024),
    reportEncoding: sizes[0]?.encoding ?? '',
    load: { start: loadStart, end: loadavg().map((l) => Math.round(l * 10) / 10) },
  };
}

function table(rows: Result[]): string {
  const head = ['scenario', 'procs', 'sockets', 'ctrs', 'first coll. CPU', 'CPU/coll. median (max)', 'fd walks/coll.', 'CPU at interval', 'RSS median (max)', 'report raw / sent', 'load 1m start→end'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.processes),
    String(r.sockets),
    String(r.containers),
    `${r.firstCollectionCpuMs} ms`,
    `${r.collectionCpuMs.median} ms (${r.collectionCpuMs.max})`,
    String(r.fdWalksPerCollection),
    `${r.cpuPercentOfCore} % of a core (${r.cpuMsPerInterval} ms / ${r.intervalSeconds} s)`,
    `${r.rssMb.median} MB (${r.rssMb.max})`,
    `${r.reportRawKb} KB / ${r.reportSentKb} KB ${r.reportEncoding}`,
    `${r.load.start[0]} → ${r.load.end[0]}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'probe-bench-'));
  try {
    const bundle = join(dir, 'probe.js');
    buildSync({ entryPoints: [join(ROOT, 'services/probe/src/main.ts')], bundle: true, platform: 'node', target: 'node20', outfile: bundle, keepNames: true, logLevel: 'warning' });
    const flags = process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : imageNodeFlags();
    const only = process.env.BENCH_ONLY?.split(',');
    const rows: Result[] = [];
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.key))) {
      const malloc = Object.entries(mallocEnv()).map(([k, v]) => `${k}=${v} `).join('');
      process.stderr.write(`[bench:probe] ${scenario.name}: ${INTERVALS} intervals of ${INTERVAL_SECONDS} s after a warm-up collection (${malloc}node ${flags.join(' ')})\n`);
      rows.push(await runScenario(scenario, bundle, flags));
    }
    process.stdout.write(`${table(rows)}\n`);
    const outDir = join(ROOT, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `probe-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ nodeFlags: flags, intervals: INTERVALS, results: rows }, null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:probe: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
