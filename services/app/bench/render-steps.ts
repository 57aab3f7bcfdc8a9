/**
 * The longest synchronous stretches a generation holds the event loop for, at the full fleet (10,000 containers,
 * 100,000 processes), in this process: the window is filled with every probe's report as ingest would (validated,
 * compacted), the API bench's queries are made hot, and then, round after round, 10 % of the probes report again and
 * the ticker's steps (`TopologyService.steps`) are run and each one timed. Major GCs during the rounds are counted
 * apart (a GC pause lands inside whichever step allocated last, so the step times include them).
 */
import { loadavg } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { parseProbeReport } from '../../lib/report/report-schema';
import { MetricHistory } from '../src/metric-history';
import { compactReport } from '../src/report-compaction';
import { ReportWindow } from '../src/report-window';
import { TopologyService } from '../src/topology-service';
import { BENCH_FLEET, FleetShape, fleetReports, inboundIndex, probeReport } from './report-generator';
import { round } from './ingest-scenario';

export interface RenderStepsRow {
  scenario: string;
  /** The kind of step: `render processes`, `view processes`, `json containers`, `merge`, `resolve`, … */
  step: string;
  steps: number;
  /** Per round: the step's total time, summed over its pieces. */
  totalMsPerRound: number;
  longestMs: number;
  /** The CPU time (the whole process's: with GC helper threads) of the step that took longest in CPU. */
  longestCpuMs: number;
  load: [number, number];
}

export interface RenderStepsResult {
  rows: RenderStepsRow[];
  longestMs: number;
  longestStep: string;
  longestCpuMs: number;
  longestCpuStep: string;
  majorGcs: number;
  majorGcMs: number;
  longestMajorGcMs: number;
  rounds: number;
}

const QUERIES: Array<[string, Record<string, unknown>]> = [
  ['containers', { clusterThreshold: '0' }],
  ['containers', {}],
  ['containers', { clusterThreshold: '0', filter: 'image~svc-1', search: 'mesos' }],
  ['containers-by-image', {}],
  ['hosts', {}],
  ['processes', {}],
];

export async function runRenderSteps(options: { shape?: Partial<FleetShape>; rounds?: number } = {}): Promise<RenderStepsResult> {
  const shape = { ...BENCH_FLEET, ...options.shape };
  const rounds = options.rounds ?? 5;
  let now = Date.now();
  const window = new ReportWindow({ windowMs: 3_600_000, clock: () => now });
  const history = new MetricHistory({ retentionMs: 300_000 });
  const ingest = (input: unknown) => {
    const report = parseProbeReport(input);
    window.add(compactReport(report, window.previous(report.probe.id), (_t, id, series) => history.record(id, series, 15_000)));
  };
  for (const report of fleetReports(shape, now)) ingest(report);
  const service = new TopologyService({ window, history, minGenerationMs: 0, hotMs: Infinity });
  for (const [name, query] of QUERIES) service.json(service.view(name, query));
  service.list();

  const gcs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.push(e.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const loadBefore = round(loadavg()[0], 1);
  const byStep = new Map<string, { steps: number; total: number; longest: number; longestCpu: number }>();
  const inbound = inboundIndex(shape);
  for (let r = 0; r < rounds; r++) {
    now += 15_000;
    for (let i = r % 10; i < shape.probes; i += 10) ingest(probeReport(shape, i, now, inbound));
    const steps = service.steps();
    for (;;) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const step = steps.next();
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000;
      if (step.done) break;
      const kind = step.value;
      const s = byStep.get(kind) ?? { steps: 0, total: 0, longest: 0, longestCpu: 0 };
      s.longestCpu = Math.max(s.longestCpu, cpuMs);
      s.steps++;
      s.total += ms;
      s.longest = Math.max(s.longest, ms);
      byStep.set(kind, s);
      // What the event loop would do between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  const load: [number, number] = [loadBefore, round(loadavg()[0], 1)];
  const rows = [...byStep].map(([step, s]) => ({
    scenario: 'generation steps at 10k containers / 100k processes',
    step,
    steps: s.steps,
    totalMsPerRound: round(s.total / rounds, 1),
    longestMs: round(s.longest, 1),
    longestCpuMs: round(s.longestCpu, 1),
    load,
  }));
  const longest = rows.reduce((a, b) => (b.longestMs > a.longestMs ? b : a));
  const longestCpu = rows.reduce((a, b) => (b.longestCpuMs > a.longestCpuMs ? b : a));
  return {
    rows,
    longestMs: longest.longestMs,
    longestStep: longest.step,
    longestCpuMs: longestCpu.longestCpuMs,
    longestCpuStep: longestCpu.step,
    majorGcs: gcs.length,
    majorGcMs: round(gcs.reduce((a, b) => a + b, 0), 1),
    longestMajorGcMs: round(Math.max(0, ...gcs), 1),
    rounds,
  };
}

if (require.main === module) {
  runRenderSteps({ rounds: Number(process.env.BENCH_ROUNDS ?? 5) }).then((result) => {
    console.table(result.rows.map(({ scenario: _s, load: _l, ...r }) => r));
    const { rows: _rows, ...summary } = result;
    console.log(JSON.stringify({ ...summary, load: result.rows[0]?.load }));
  });
}
