/**
 * `npm run bench:app`: the app's benchmark, one part after another, each printing its table; everything is also
 * written to bench-results/app.json. `npm run bench:app -- ingest` (or `api`, `steps`, `ui`) runs one part.
 *
 * Parts: ingest (ingest-scenario.ts) and api (api-scenario.ts) run the bundled app in a process of its own, fed by
 * the load generator in another (load-generator.ts); CPU is the app's, read from /proc. ui (ui.ts, headless
 * Chromium) drives the web UI against the real app fed by a generated fleet. steps (render-steps.ts) times the
 * ticker's steps at the full fleet in this process. The machine is shared, so every row
 * carries the 1-minute load average before and after it.
 *
 * BENCH_PROBES (default 1000) shrinks the fleet for a quick look; BENCH_WARMUP_SECONDS and BENCH_MEASURE_SECONDS
 * set the ingest span.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ApiRow, runApiBench } from './api-scenario';
import { imageNodeFlags, mallocEnv } from './app-process';
import { IngestRow, runIngestBench } from './ingest-scenario';
import { runRenderSteps } from './render-steps';
import { runUiBench, UiBenchRow } from './ui';

const ROOT = join(__dirname, '../../..');
type Row = Record<string, unknown>;

const env = (name: string) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
const shape = env('BENCH_PROBES') === undefined ? undefined : { probes: env('BENCH_PROBES') as number };

const parts: Record<string, () => Promise<Row[]>> = {
  ingest: async () => [(await runIngestBench({ shape, warmupSeconds: env('BENCH_WARMUP_SECONDS'), measureSeconds: env('BENCH_MEASURE_SECONDS') })) as unknown as Row],
  api: async () => (await runApiBench({ shape })) as unknown as Row[],
  steps: async () => {
    const result = await runRenderSteps({ shape, rounds: env('BENCH_ROUNDS') });
    process.stderr.write(`longest step ${result.longestMs} ms (${result.longestStep}); ${result.majorGcs} major GCs in ${result.rounds} generations, ${result.majorGcMs} ms, longest ${result.longestMajorGcMs} ms\n`);
    return result.rows as unknown as Row[];
  },
  ui: async () => (await runUiBench({ runs: env('BENCH_UI_RUNS') ?? 5, diffs: env('BENCH_UI_DIFFS') ?? 20 })) as unknown as Row[],
};
type Column = [header: string, cell: (r: Row) => string];

const ingestColumns: Column[] = [
  ['scenario', (r) => String(r.scenario)],
  ['nodes/report', (r) => String(r.nodesPerReport)],
  ['reports/s', (r) => String(r.reportsPerSecond)],
  ['accepted', (r) => String(r.accepted)],
  ['refused', (r) => `${r.refused}${Object.keys(r.refusedByReason as object).length ? ` ${JSON.stringify(r.refusedByReason)}` : ''}`],
  ['CPU ms/report', (r) => String(r.cpuMsPerReport)],
  ['app cores', (r) => String(r.appCores)],
  ['RSS MB (max / peak)', (r) => `${r.maxRssMb} / ${r.peakRssMb}`],
  ['at max RSS: heap total / used, external MB', (r) => { const h = r.heapAtMaxRss as IngestRow['heapAtMaxRss']; return `${h.totalMb} / ${h.usedMb}, ${h.externalMb}`; }],
  ['generations', (r) => String(r.generations)],
  ['ws msgs', (r) => String(r.websocketMessages)],
  ['POST p50/p99 ms', (r) => `${r.postP50Ms} / ${r.postP99Ms}`],
  ['load 1m', (r) => (r.load as number[]).join(' → ')],
];

const apiColumns: Column[] = [
  ['phase', (r) => String(r.phase)],
  ['query', (r) => String(r.query)],
  ['nodes', (r) => String(r.nodes)],
  ['edges', (r) => String(r.edges)],
  ['KB', (r) => String(Math.round((r.bytes as number) / 1024))],
  ['requests', (r) => String(r.requests)],
  ['not 200', (r) => String(r.notOk ?? '')],
  ['first ms', (r) => String(r.firstMs)],
  ['p50 ms', (r) => String(r.p50Ms)],
  ['p99 ms', (r) => String(r.p99Ms)],
  ['max ms', (r) => String(r.maxMs)],
  ['app render / view ms', (r) => (r.appRenderMs === undefined ? '' : `${r.appRenderMs} / ${r.appViewMs ?? ''}`)],
  ['app cores', (r) => String(r.appCores)],
  ['RSS MB', (r) => String(r.rssMb)],
  ['loop max ms', (r) => String(r.loopMaxMs)],
  ['read restarts', (r) => String(r.readRestarts ?? '')],
  ['major GCs (ms)', (r) => `${r.majorGcs} (${r.majorGcMs})`],
  ['load 1m', (r) => (r.load as number[]).join(' → ')],
];

const stepColumns: Column[] = [
  ['step', (r) => String(r.step)],
  ['steps', (r) => String(r.steps)],
  ['ms per generation', (r) => String(r.totalMsPerRound)],
  ['longest ms (wall / CPU)', (r) => `${r.longestMs} / ${r.longestCpuMs}`],
  ['load 1m', (r) => (r.load as number[]).join(' → ')],
];

const ui = (r: Row) => r as unknown as UiBenchRow;
const uiColumns: Column[] = [
  ['scenario', (r) => ui(r).scenario],
  ['figure', (r) => ui(r).metric],
  ['runs', (r) => String(ui(r).runs)],
  ['p50 ms', (r) => String(ui(r).p50Ms)],
  ['p95 ms', (r) => (ui(r).p95Ms === undefined ? '' : String(ui(r).p95Ms))],
  ['min–max ms', (r) => `${ui(r).minMs}–${ui(r).maxMs}`],
  ['target', (r) => (ui(r).targetMs === undefined ? '' : `< ${ui(r).targetMs}${ui(r).limitMs ? ` (limit ${ui(r).limitMs})` : ''}`)],
  ['parts (p50 ms)', (r) => Object.entries(ui(r).parts ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')],
  ['load 1m', (r) => ui(r).load.join(' → ')],
  ['', (r) => uiVerdict(ui(r))],
];

function uiVerdict(r: UiBenchRow): string {
  if (r.targetMs === undefined) return '';
  if (r.p50Ms <= r.targetMs) return 'meets target';
  return r.limitMs !== undefined && r.p50Ms <= r.limitMs ? 'within limit' : 'MISSES';
}

const COLUMNS: Record<string, Column[]> = { ingest: ingestColumns, api: apiColumns, steps: stepColumns, ui: uiColumns };

function printTable(title: string, rows: Row[], columns: Column[]): void {
  const cells = rows.map((r) => columns.map(([, f]) => f(r)));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(columns.map(([h]) => h))}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${cells.map(line).join('\n')}\n`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(parts);
  for (const n of names) if (!parts[n]) throw new Error(`unknown part '${n}'; one of ${Object.keys(parts).join(', ')}`);
  process.stderr.write(`app node flags (from its Dockerfile): ${imageNodeFlags().join(' ') || 'none'}; malloc: ${JSON.stringify(mallocEnv())}\n`);
  const results: Record<string, Row[]> = {};
  for (const name of names) {
    process.stderr.write(`running ${name}…\n`);
    results[name] = await parts[name]();
    printTable(`app bench: ${name}`, results[name], COLUMNS[name]);
  }
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const out = join(ROOT, 'bench-results/app.json');
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, nodeFlags: imageNodeFlags(), malloc: mallocEnv(), cores: cpus().length, loadAtEnd: loadavg(), results }, null, 2)}\n`);
  process.stdout.write(`\nwritten ${out}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:app failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

export type { ApiRow, IngestRow, UiBenchRow };
