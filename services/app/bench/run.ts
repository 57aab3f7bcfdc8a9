/**
 * `npm run bench:app`: the app's benchmark, one part after another, each printing its table; everything is also
 * written to bench-results/app.json. `npm run bench:app -- ui` runs one part. Figures are wall clock on a shared
 * machine, so every row carries the 1-minute load average before and after it.
 *
 * Parts: ui (ui.ts, headless Chromium). The ingest and topology-API parts plug in here the same way.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { runUiBench, UiBenchRow } from './ui';

const ROOT = join(__dirname, '../../..');

const parts: Record<string, () => Promise<UiBenchRow[]>> = {
  ui: () => runUiBench({ runs: Number(process.env.BENCH_UI_RUNS ?? 5), diffs: Number(process.env.BENCH_UI_DIFFS ?? 20) }),
};

function verdict(r: UiBenchRow): string {
  if (r.targetMs === undefined) return '';
  if (r.p50Ms <= r.targetMs) return 'meets target';
  if (r.limitMs !== undefined && r.p50Ms <= r.limitMs) return 'within limit';
  return 'MISSES';
}

function printTable(title: string, rows: UiBenchRow[]): void {
  const header = ['scenario', 'figure', 'runs', 'p50 ms', 'p95 ms', 'min–max ms', 'target', 'parts (p50 ms)', 'load 1m', ''];
  const lines = rows.map((r) => [
    r.scenario,
    r.metric,
    String(r.runs),
    String(r.p50Ms),
    r.p95Ms === undefined ? '' : String(r.p95Ms),
    `${r.minMs}–${r.maxMs}`,
    r.targetMs === undefined ? '' : `< ${r.targetMs}${r.limitMs ? ` (limit ${r.limitMs})` : ''}`,
    r.parts ? Object.entries(r.parts).map(([k, v]) => `${k} ${v}`).join(', ') : '',
    `${r.load[0]} → ${r.load[1]}`,
    verdict(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`\n${title}\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(fmt).join('\n')}\n`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(parts);
  for (const n of names) if (!parts[n]) throw new Error(`unknown part '${n}'; one of ${Object.keys(parts).join(', ')}`);
  const results: Record<string, UiBenchRow[]> = {};
  for (const name of names) {
    results[name] = await parts[name]();
    printTable(`app bench: ${name}`, results[name]);
  }
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const out = join(ROOT, 'bench-results/app.json');
  writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, loadAtEnd: loadavg(), results }, null, 2)}\n`);
  process.stdout.write(`\nwritten ${out}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench:app failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
