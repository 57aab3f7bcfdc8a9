/**
 * `npm run bench:allocator`: runs every scenario in its own process (so RSS is that scenario's), prints a table and
 * writes bench-results/allocator.json. `npm run bench:allocator -- --repeat 3` reports the median of three runs;
 * `npm run bench:allocator -- <scenario>` runs one scenario. Each process runs with the Node flags the service's
 * image starts it with (read from its Dockerfile), so the figures are the service's as shipped.
 *
 * Cycle times are wall clock; CPU time of the same cycles is reported beside them because this machine is shared and
 * wall time there includes waiting for a core.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarios, ScenarioResult } from './scenarios';

const ROOT = join(__dirname, '../../..');
/** The argument that makes this file run one scenario in the current process (the runner's child). */
const CHILD = '--child';

/** The Node flags of the image's `ENTRYPOINT ["node", <flags…>, "<script>"]`. */
function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('services/allocator/Dockerfile has no exec-form ENTRYPOINT');
  const argv = JSON.parse(entrypoint[1]) as string[];
  return argv.slice(1).filter((a) => a.startsWith('--'));
}

async function runOne(name: string): Promise<void> {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario '${name}'; one of ${Object.keys(scenarios).join(', ')}`);
  const result = await scenario();
  result.rssMb = Math.round(process.memoryUsage().rss / 1e6);
  // The most the process ever held: RSS at the end depends on where V8's collector is in its cycle.
  result.peakRssMb = Math.round((process.resourceUsage().maxRSS * 1024) / 1e6);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** The figure a scenario is judged by, lower is better (placements/s is negated). */
function primary(r: ScenarioResult): number {
  if (r.cycleP50Ms !== undefined) return r.cycleP50Ms;
  if (r.offerLatencyP99Ms !== undefined) return r.offerLatencyP99Ms;
  return -(r.placementsPerSec ?? 0);
}

function runScenario(name: string): ScenarioResult {
  const child = spawnSync(process.execPath, [...imageNodeFlags(), '--import', 'tsx', join(__dirname, 'run.ts'), CHILD, name], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) {
    process.stderr.write(`${name} failed:\n${child.stderr.slice(-4000)}\n`);
    return { scenario: name, error: child.stderr.split('\n').filter(Boolean).slice(-1)[0] ?? 'no result' };
  }
  return JSON.parse(line.slice(7)) as ScenarioResult;
}

/**
 * `--repeat N` runs each scenario N times and reports the median run by its main figure, with the spread: on a
 * machine shared with other test suites one run can be twice as slow as the next.
 */
function runAll(repeat: number, names = Object.keys(scenarios)): void {
  process.stderr.write(`node flags (from the image): ${imageNodeFlags().join(' ') || 'none'}\n`);
  const results: ScenarioResult[] = [];
  for (const name of names) {
    if (!scenarios[name]) throw new Error(`unknown scenario '${name}'; one of ${Object.keys(scenarios).join(', ')}`);
    const runs: ScenarioResult[] = [];
    for (let i = 0; i < repeat; i++) {
      process.stderr.write(`running ${name} (${i + 1}/${repeat})…\n`);
      runs.push(runScenario(name));
    }
    const ok = runs.filter((r) => !r.error).sort((a, b) => primary(a) - primary(b));
    if (ok.length === 0) {
      results.push(runs[0]);
      continue;
    }
    const median = ok[Math.floor((ok.length - 1) / 2)];
    if (ok.length > 1) {
      const lo = Math.abs(primary(ok[0]));
      const hi = Math.abs(primary(ok[ok.length - 1]));
      median.runs = ok.length;
      median.notes = `median of ${ok.length} runs (main figure ${Math.min(lo, hi).toFixed(1)}–${Math.max(lo, hi).toFixed(1)}); ${median.notes ?? ''}`;
      median.allRuns = ok.map((r) => primary(r));
    }
    results.push(median);
  }
  printTable(results);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const out = { when: new Date().toISOString(), node: process.version, nodeFlags: imageNodeFlags(), cpus: require('node:os').cpus().length, loadavg: require('node:os').loadavg(), results };
  writeFileSync(join(ROOT, 'bench-results/allocator.json'), JSON.stringify(out, null, 2));
  process.stdout.write(`\nwrote bench-results/allocator.json\n`);
}

function printTable(results: ScenarioResult[]): void {
  const cols: Array<[string, (r: ScenarioResult) => string]> = [
    ['scenario', (r) => r.scenario],
    ['cycle p50 ms', (r) => fmt(r.cycleP50Ms)],
    ['cycle p99 ms', (r) => fmt(r.cycleP99Ms)],
    ['cpu p50 ms', (r) => fmt(r.cycleCpuP50Ms)],
    ['placements/s', (r) => fmt(r.placementsPerSec, 0)],
    ['offer lat p50/p99 ms', (r) => (r.offerLatencyP50Ms === undefined ? '' : `${fmt(r.offerLatencyP50Ms, 2)} / ${fmt(r.offerLatencyP99Ms, 2)}`)],
    ['utilization', (r) => (r.utilization === undefined ? '' : `${(r.utilization * 100).toFixed(1)} %`)],
    ['RSS MB', (r) => fmt(r.rssMb, 0)],
    ['peak RSS MB', (r) => fmt(r.peakRssMb, 0)],
    ['notes', (r) => r.error ?? r.notes ?? ''],
  ];
  const rows = results.map((r) => cols.map(([, f]) => f(r)));
  const widths = cols.map(([h], i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(`${line(cols.map(([h]) => h))}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

function fmt(v: number | undefined, digits = 1): string {
  return v === undefined || Number.isNaN(v) ? '' : v.toFixed(digits);
}

const arg = process.argv[2];
if (arg === CHILD) {
  runOne(process.argv[3]).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
} else if (arg === '--repeat') {
  runAll(Math.max(1, Number(process.argv[3]) || 1));
} else {
  runAll(1, arg ? [arg] : undefined);
}
