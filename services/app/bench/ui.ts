/**
 * The UI half of `npm run bench:app`: the monitor's page in headless Chromium (Debian's, software GL, no GPU)
 * against the real app (its own process, as it ships) holding 10,000 containers from 1,000 probes' reports.
 *
 * What is timed, all with the page's own performance.now() (origin: the navigation's start), read by playwright:
 * - first render: navigation start → the first animation frame after the frame that drew the snapshot's graph
 *   (that callback runs once the drawn frame was handed to the compositor, so the graph is on screen). Split into
 *   snapshot received (page load, socket, the app's view), drawn (parse, model, layout, GPU upload, labels) and on
 *   screen (the software rasteriser's frame).
 * - diff: one WebSocket message changing 1 % of the nodes, from the message event (before JSON.parse) → model and
 *   GPU buffers updated ("applied") → drawn → on screen. Made by 10 of the 1,000 probes reporting again: with new
 *   CPU figures (a metrics-only diff, which redraws nothing), or rolling out a new image and starting a task each
 *   (100 containers relabelled and 10 added, which redraws).
 * Beside each wall-clock figure, the CPU the page's renderer and Chromium's GPU process (the software rasteriser)
 * used: on a loaded machine wall time mostly measures waiting for a core, CPU time what the page costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ProbeReportInput } from '../../lib/report/report-schema';
import { buildUi } from '../ui/build-ui';
import { fleetReports, FleetShape } from './report-generator';
import { launchChromium } from '../../../tests/services/app/ui/support/chromium';
import { RealApp, startRealApp, waitForNodes } from '../../../tests/services/app/ui/support/real-app';

export interface UiBenchRow {
  scenario: string;
  /** What the figure is. */
  metric: string;
  runs: number;
  p50Ms: number;
  minMs: number;
  maxMs: number;
  /** p95 where the runs are many enough to have one. */
  p95Ms?: number;
  targetMs?: number;
  limitMs?: number;
  /** 1-minute load average before and after the scenario: the machine is shared. */
  load: [number, number];
  /** The parts of the figure, p50 each. */
  parts?: Record<string, number>;
}

const FLEET: FleetShape = { probes: 1000, containersPerProbe: 10, processesPerContainer: 1, connectionsPerProbe: 20, images: 50, samplesPerSeries: 12 };
const NODES = FLEET.probes * FLEET.containersPerProbe;
/** Probes that report again for one diff: 10 × 10 containers = 1 % of the nodes. */
const DIFF_PROBES = 10;
const VIEWPORT = { width: 1440, height: 900 };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function stats(values: number[]): { p50: number; p95: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), min: s[0], max: s[s.length - 1] };
}

const round = (v: number) => Math.round(v * 10) / 10;

interface FirstRender {
  snapshotReceived: number;
  graphDrawn: number;
  graphPresented: number;
  nodes: number;
  edges: number;
}

/**
 * Loads the page and reads its first-render marks. Playwright's first evaluation in a new document injects a script
 * that costs the page ~80 ms of main thread; polling from the start would put that inside the measured window, so
 * the first look is taken only after a pause (the marks are timestamps, so waiting changes nothing they say).
 */
async function firstRender(page: Page, url: string): Promise<FirstRender> {
  await page.goto(url, { waitUntil: 'commit' });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await page.waitForFunction(() => (window as unknown as MonitorWindow).__monitor?.firstRender?.graphPresented !== undefined, null, { timeout: 60_000, polling: 250 });
  return page.evaluate(() => (window as unknown as MonitorWindow).__monitor.firstRender as FirstRender);
}

/** CPU ms of the browser's renderers and GPU process between two readings (the browser process is not the page's). */
function pageCpu(before: Record<string, number>, after: Record<string, number>): { renderer: number; gpu: number } {
  return { renderer: (after.renderer ?? 0) - (before.renderer ?? 0), gpu: (after['gpu-process'] ?? 0) - (before['gpu-process'] ?? 0) };
}

/**
 * Reports of DIFF_PROBES probes, `round` intervals later. `visible`: their containers roll out a new image (the
 * sublabel changes) and each host starts one more task; otherwise only their CPU figures change.
 */
function diffReports(base: ProbeReportInput[], round: number, visible: boolean): ProbeReportInput[] {
  const t = base[0].timestamp + (round + 1) * 15_000;
  const out: ProbeReportInput[] = [];
  for (let k = 0; k < DIFF_PROBES; k++) {
    const r = structuredClone(base[(round * 97 + k * 101) % base.length]);
    r.timestamp = t;
    const containers = r.topologies.container;
    for (const [id, node] of Object.entries(containers)) {
      node.timestamp = t + 40;
      // A fraction no generated figure has, so every one of these containers really changes.
      node.metrics = { ...node.metrics, cpu_usage_percent: { samples: [[t, 20.25 + ((round * 13 + k) % 60)]] } };
      if (visible) {
        node.labels = { ...node.labels, image: `registry.local/svc-rolled:${round + 2}.0` };
        const started = `container:${(id.slice(10, 58) + round.toString(16).padStart(8, '0') + k.toString(16).padStart(8, '0')).slice(0, 64)}`;
        if (Object.keys(containers).length <= FLEET.containersPerProbe) containers[started] = { ...node, labels: { ...node.labels, id: started.slice(10), name: `mesos-${started.slice(10, 22)}` } };
      }
    }
    out.push(r);
  }
  return out;
}

/** What the page's `window.__monitor` (ui/src/main.ts) offers the benchmark. */
type MonitorWindow = { __monitor: { firstRender?: FirstRender; diffTimings: DiffTiming[] } };

interface DiffTiming {
  changedNodes: number;
  redrawn: boolean;
  received: number;
  applied: number;
  drawn: number;
  presented: number;
}

/** All at once, so one generation (and so one diff) most likely takes them all. */
async function post(app: RealApp, reports: ProbeReportInput[]): Promise<void> {
  await Promise.all(reports.map((r) => app.report(r)));
}

export async function runUiBench(options: { runs?: number; diffs?: number } = {}): Promise<UiBenchRow[]> {
  const runs = options.runs ?? 5;
  const diffs = options.diffs ?? 20;
  const uiDir = mkdtempSync(join(tmpdir(), 'monitor-ui-bench-'));
  await buildUi(uiDir);
  const app = await startRealApp({ uiDir });
  const browser = await launchChromium(VIEWPORT);
  const rows: UiBenchRow[] = [];
  try {
    // Dated so that every round's reports (15 s apart) are still in the past when they are sent.
    const base = fleetReports(FLEET, Date.now() - (2 * diffs + 4) * 15_000);
    await post(app, base);
    await waitForNodes(app, 'containers', NODES);
    for (const [scenario, query, note] of [
      ['first render, 10,000 nodes drawn', '?topology=containers&clusterThreshold=0', 'all 10,000 nodes and their edges'],
      ['first render, 10,000 nodes clustered', '?topology=containers', 'the default view: 1,000 host clusters'],
    ] as const) {
      const load0 = loadavg()[0];
      const samples: FirstRender[] = [];
      const cpu: Array<{ renderer: number; gpu: number }> = [];
      // One warm-up load: Chromium compiles the bundle and the shaders once per browser.
      for (let i = 0; i <= runs; i++) {
        const page = await browser.page();
        const before = browser.cpuMs();
        const r = await firstRender(page, `${app.url}/${query}`);
        const used = pageCpu(before, browser.cpuMs());
        await page.close();
        if (i > 0) {
          samples.push(r);
          cpu.push(used);
        }
      }
      const total = stats(samples.map((s) => s.graphPresented));
      rows.push({
        scenario,
        metric: `navigation → graph on screen (${note})`,
        runs,
        p50Ms: round(total.p50),
        minMs: round(total.min),
        maxMs: round(total.max),
        targetMs: 1000,
        limitMs: 2000,
        load: [round(load0), round(loadavg()[0])],
        parts: {
          nodes: samples[0].nodes,
          edges: samples[0].edges,
          snapshotReceived: round(stats(samples.map((s) => s.snapshotReceived)).p50),
          drawn: round(stats(samples.map((s) => s.graphDrawn - s.snapshotReceived)).p50),
          onScreen: round(stats(samples.map((s) => s.graphPresented - s.graphDrawn)).p50),
          cpuRenderer: round(stats(cpu.map((c) => c.renderer)).p50),
          cpuGpu: round(stats(cpu.map((c) => c.gpu)).p50),
        },
      });
    }
    for (const churn of [false, true]) {
      const load0 = loadavg()[0];
      const page = await browser.page();
      await firstRender(page, `${app.url}/?topology=containers&clusterThreshold=0`);
      const timings: DiffTiming[] = [];
      const cpuBefore = browser.cpuMs();
      for (let i = 0; i < diffs; i++) {
        const seen = await page.evaluate(() => (window as unknown as MonitorWindow).__monitor.diffTimings.length);
        await post(app, diffReports(base, churn ? diffs + i : i, churn));
        // The app streams at most once a second; a round's reports can straddle two diffs, so wait for both.
        await page.waitForFunction(
          ([n, want]) => {
            const t = (window as unknown as MonitorWindow).__monitor.diffTimings.slice(n);
            return t.reduce((s, d) => s + d.changedNodes, 0) >= want && t.every((d) => d.presented !== undefined);
          },
          [seen, DIFF_PROBES * FLEET.containersPerProbe] as const,
          { timeout: 60_000 },
        ).catch(async (err: Error) => {
          const got = await page.evaluate((n) => (window as unknown as MonitorWindow).__monitor.diffTimings.slice(n).map((d) => d.changedNodes), seen);
          throw new Error(`round ${i}${churn ? ' (visible)' : ''}: diffs of ${JSON.stringify(got)} nodes arrived, waited for ${DIFF_PROBES * FLEET.containersPerProbe}: ${err.message}`);
        });
        const got = await page.evaluate((n) => (window as unknown as MonitorWindow).__monitor.diffTimings.slice(n), seen);
        timings.push(got.reduce((a, b) => (b.changedNodes > a.changedNodes ? b : a)));
      }
      const cpu = pageCpu(cpuBefore, browser.cpuMs());
      await page.close();
      const load = [round(load0), round(loadavg()[0])] as [number, number];
      // Per diff, including the page's idle frames while playwright polls: an upper bound of what a diff costs.
      const changed = stats(timings.map((t) => t.changedNodes));
      const cpuParts = { changedNodesP50: changed.p50, cpuRendererPerDiff: round(cpu.renderer / diffs), cpuGpuPerDiff: round(cpu.gpu / diffs), redrawn: timings.filter((t) => t.redrawn).length };
      const what = churn ? '100 relabelled + 10 added' : '100 nodes’ metrics';
      const applied = stats(timings.map((t) => t.applied - t.received));
      const drawn = stats(timings.map((t) => t.drawn - t.received));
      const onScreen = stats(timings.map((t) => t.presented - t.received));
      const scenario = `1 % diff (${what})`;
      rows.push({ scenario, metric: 'message → model and GPU buffers updated', runs: diffs, p50Ms: round(applied.p50), p95Ms: round(applied.p95), minMs: round(applied.min), maxMs: round(applied.max), targetMs: 50, load, parts: cpuParts });
      rows.push({ scenario, metric: 'message → frame drawn (+ upload, labels)', runs: diffs, p50Ms: round(drawn.p50), p95Ms: round(drawn.p95), minMs: round(drawn.min), maxMs: round(drawn.max), load });
      rows.push({ scenario, metric: 'message → frame on screen (software GL)', runs: diffs, p50Ms: round(onScreen.p50), p95Ms: round(onScreen.p95), minMs: round(onScreen.min), maxMs: round(onScreen.max), load });
    }
  } finally {
    await browser.close();
    await app.stop();
    rmSync(uiDir, { recursive: true, force: true });
  }
  return rows;
}
