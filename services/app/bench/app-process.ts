/**
 * The app as the benchmark runs it: bundled by esbuild as the image bundles it and started with the image's Node
 * flags (read from the Dockerfile's ENTRYPOINT), in a process of its own, on a loopback port; and what /proc says of
 * a process (CPU from utime + stime, RSS and its peak), which on a shared machine is what counts, not wall time.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(__dirname, '../../..');
export const BENCH_TOKEN = 'bench-probe-token-0123456789abcdef';

/**
 * The Node flags of the image's `ENTRYPOINT ["node", <flags…>, "<script>"]`; BENCH_APP_NODE_FLAGS (space-separated)
 * replaces them, to measure others before changing the image.
 */
export function imageNodeFlags(): string[] {
  if (process.env.BENCH_APP_NODE_FLAGS !== undefined) return process.env.BENCH_APP_NODE_FLAGS.split(' ').filter(Boolean);
  const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('services/app/Dockerfile has no exec-form ENTRYPOINT');
  return (JSON.parse(entrypoint[1]) as string[]).slice(1).filter((a) => a.startsWith('--'));
}

/** glibc malloc's settings read from the environment (mallopt's M_ARENA_MAX, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD). */
const MALLOC_VARS = ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'];

/**
 * Each of MALLOC_VARS as the image sets it (an ENV line of its Dockerfile, `NAME=value`), or as BENCH_APP_<NAME>
 * replaces it; none when unset or empty.
 */
export function mallocEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
  const env: Record<string, string> = {};
  for (const name of MALLOC_VARS) {
    const wanted = process.env[`BENCH_APP_${name}`] ?? new RegExp(`^\\s*${name}=(\\d+)\\s*\\\\?\\s*$`, 'm').exec(dockerfile)?.[1] ?? '';
    if (wanted !== '') env[name] = wanted;
  }
  return env;
}

export interface ProcStat {
  cpuSeconds: number;
  rssMb: number;
  peakRssMb: number;
}

const CLOCK_TICKS = 100;

/** CPU (user + system, this process and its threads) and memory of a process, from /proc. */
export function procStat(pid: number): ProcStat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

export function load1(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  pid: number;
  url: string;
  stat(): ProcStat;
  /** The app's Prometheus counter (or gauge) by its full name with labels, e.g. `app_reports_refused_total{reason="overloaded"}`. */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

let bundleDir: string | undefined;

/**
 * Bundles main.ts and the report decode worker's script (which main.js finds beside it) once per benchmark run, with
 * the options tools/docker/bundle-service.mjs uses.
 */
async function bundle(): Promise<string> {
  if (!bundleDir) {
    bundleDir = mkdtempSync(join(tmpdir(), 'app-bench-'));
    const entryPoints = ['main', 'report-decode-worker'].map((name) => join(ROOT, `services/app/src/${name}.ts`));
    await build({ entryPoints, outdir: bundleDir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', keepNames: true, logLevel: 'warning' });
    process.once('exit', () => rmSync(bundleDir as string, { recursive: true, force: true }));
  }
  return join(bundleDir, 'main.js');
}

export async function startAppProcess(env: Record<string, string> = {}): Promise<AppProcess> {
  const main = await bundle();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [...imageNodeFlags(), main], {
    cwd: ROOT,
    // malloc's settings as the image's ENV sets them (README `appperf6`, `apprss`); BENCH_APP_MALLOC_* replace them,
    // '' leaving glibc's default.
    env: { PATH: process.env.PATH, ...mallocEnv(), LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), APP_PROBE_TOKEN: BENCH_TOKEN, APP_UI_DIR: join(ROOT, 'dist/app-ui'), ...env },
    stdio: ['ignore', process.env.BENCH_APP_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      if (i > 300) throw new Error('the app did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid as number,
    url,
    stat: () => procStat(child.pid as number),
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.slice(name.length + 1)) : 0;
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface LoadProcess {
  /** Resolves when the generator has made its templates and starts sending. */
  ready: Promise<void>;
  result: Promise<import('./load-generator').LoadResult>;
  pid: number;
  stop(): void;
}

/** Starts the load generator (load-generator.ts) in its own process. */
export function startLoad(plan: import('./load-generator').LoadPlan): LoadProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'load-generator.ts'), JSON.stringify(plan)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY\n')) onReady();
  });
  const result = new Promise<import('./load-generator').LoadResult>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`the load generator exited ${code} without a result`));
    });
  });
  // Stopped early, the generator has no result; that is not an error unless someone awaits it.
  result.catch(() => undefined);
  return { ready, result, pid: child.pid as number, stop: () => child.kill('SIGTERM') };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
