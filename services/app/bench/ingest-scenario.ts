/**
 * Ingest: 1,000 probes × (10 containers, 100 processes, 500 connections) every 15 s into the app, sustained, with
 * two WebSocket viewers (containers and hosts) so that generations are made and rendered as when someone watches.
 * After a warm-up (the window fills, V8 settles), the app's CPU from /proc over the measured span, divided by the
 * reports it accepted in that span, is the CPU per report; its cores used is that CPU over the span's wall time.
 */
import WebSocket from 'ws';
import type { FleetShape } from './report-generator';
import { BENCH_FLEET } from './report-generator';
import { BENCH_TOKEN, load1, sleep, startAppProcess, startLoad } from './app-process';

export interface IngestRow {
  scenario: string;
  probes: number;
  nodesPerReport: number;
  reportsPerSecond: number;
  accepted: number;
  refused: number;
  refusedByReason: Record<string, number>;
  cpuMsPerReport: number;
  appCores: number;
  rssMb: number;
  maxRssMb: number;
  peakRssMb: number;
  /** At the largest RSS seen: the main thread's V8 heap as committed and as used then (live and garbage). */
  heapAtMaxRss: { totalMb: number; usedMb: number; externalMb: number };
  generations: number;
  websocketMessages: number;
  generatorCpuSeconds: number;
  postP50Ms: number;
  postP99Ms: number;
  measuredSeconds: number;
  load: [number, number];
}

const REASONS = ['unauthorized', 'overloaded', 'too_large', 'unsupported_encoding', 'bad_json', 'unsupported_version', 'bad_report'];

export async function runIngestBench(options: { shape?: Partial<FleetShape>; warmupSeconds?: number; measureSeconds?: number } = {}): Promise<IngestRow> {
  const shape = { ...BENCH_FLEET, ...options.shape };
  const warmup = options.warmupSeconds ?? 40;
  const measure = options.measureSeconds ?? 60;
  const loadBefore = load1();
  const app = await startAppProcess();
  const load = startLoad({ url: app.url, token: BENCH_TOKEN, shape, durationSeconds: warmup + measure + 2 });
  try {
    await load.ready;
    let messages = 0;
    const viewers = ['containers', 'hosts'].map((name) => {
      const ws = new WebSocket(`${app.url.replace('http', 'ws')}/api/topology/${name}/ws`);
      ws.on('message', () => messages++);
      ws.on('error', () => {});
      return ws;
    });
    await sleep(warmup * 1000);
    const before = { stat: app.stat(), accepted: await app.metric('app_reports_accepted_total'), refused: await refusals(app), generations: await app.metric('app_generations_total'), messages, at: Date.now() };
    let maxRss = 0;
    let heapAtMaxRss = { totalMb: 0, usedMb: 0, externalMb: 0 };
    for (let s = 0; s < measure; s++) {
      await sleep(1000);
      const rss = app.stat().rssMb;
      if (rss <= maxRss) continue;
      maxRss = rss;
      const mb = async (name: string) => Math.round((await app.metric(name)) / 1048576);
      heapAtMaxRss = { totalMb: await mb('nodejs_heap_size_total_bytes'), usedMb: await mb('nodejs_heap_size_used_bytes'), externalMb: await mb('nodejs_external_memory_bytes') };
    }
    const after = { stat: app.stat(), accepted: await app.metric('app_reports_accepted_total'), refused: await refusals(app), generations: await app.metric('app_generations_total'), messages, at: Date.now() };
    for (const ws of viewers) ws.close();
    const result = await load.result;
    const seconds = (after.at - before.at) / 1000;
    const accepted = after.accepted - before.accepted;
    const cpu = after.stat.cpuSeconds - before.stat.cpuSeconds;
    const refusedByReason: Record<string, number> = {};
    for (const r of REASONS) if (after.refused[r] - before.refused[r] > 0) refusedByReason[r] = after.refused[r] - before.refused[r];
    return {
      scenario: `ingest ${shape.probes} probes / 15 s`,
      probes: shape.probes,
      nodesPerReport: 1 + shape.containersPerProbe * (1 + shape.processesPerContainer) + shape.connectionsPerProbe + 2 * shape.containersPerProbe,
      reportsPerSecond: round(accepted / seconds, 1),
      accepted,
      refused: Object.values(refusedByReason).reduce((a, b) => a + b, 0),
      refusedByReason,
      cpuMsPerReport: round((cpu * 1000) / Math.max(1, accepted), 2),
      appCores: round(cpu / seconds, 2),
      rssMb: after.stat.rssMb,
      maxRssMb: maxRss,
      peakRssMb: after.stat.peakRssMb,
      heapAtMaxRss,
      generations: after.generations - before.generations,
      websocketMessages: after.messages - before.messages,
      generatorCpuSeconds: result.generatorCpuSeconds,
      postP50Ms: result.latencyP50Ms,
      postP99Ms: result.latencyP99Ms,
      measuredSeconds: round(seconds, 1),
      load: [loadBefore, load1()],
    };
  } finally {
    load.stop();
    await app.stop();
  }
}

async function refusals(app: { metric(name: string): Promise<number> }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of REASONS) out[r] = await app.metric(`app_reports_refused_total{reason="${r}"}`);
  return out;
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
