/**
 * Rendering and view building in bounded steps give exactly what one step gives: every renderer and `buildView`,
 * stepped at any budget, against the same work run at once, on a generated fleet; and a read of a view nobody has
 * asked yet, built in steps, is the view the one-step path builds — also when the ticker advances the window
 * under it, when it waits for the ticker's build of the view instead, and when it holds the window still; and the
 * window's advance and the connections' resolution in steps are the same work at once.
 */
import fc from 'fast-check';
import { BENCH_FLEET, fleetReports } from '../../../services/app/bench/report-generator';
import { ConnectionResolver, resolveConnections } from '../../../services/app/src/connection-resolution';
import { MergedMaps, reportOf } from '../../../services/app/src/merged-maps';
import { MetricHistory } from '../../../services/app/src/metric-history';
import { AppMetrics, createMetrics } from '../../../services/app/src/metrics';
import { countBudget, RenderedTopology, runToEnd } from '../../../services/app/src/renderers/render-model';
import { RENDERERS } from '../../../services/app/src/renderers/topology-registry';
import { compactReport } from '../../../services/app/src/report-compaction';
import { ReportWindow } from '../../../services/app/src/report-window';
import { TopologyService } from '../../../services/app/src/topology-service';
import * as viewJson from '../../../services/app/src/view-json';
import { buildView, buildViewSteps, parseTopologyQuery } from '../../../services/app/src/view-query';
import { parseProbeReport } from '../../../services/lib/report/report-schema';

const SHAPE = { ...BENCH_FLEET, probes: 12, containersPerProbe: 4, processesPerContainer: 3, connectionsPerProbe: 20, images: 5 };
const T = 1_800_000_000_000;

function fleetWindow(clock = () => T + 1000): ReportWindow {
  const window = new ReportWindow({ windowMs: 3_600_000, clock });
  addReports(window, fleetReports(SHAPE, T));
  return window;
}

function addReports(window: ReportWindow, inputs: ReturnType<typeof fleetReports>): void {
  for (const input of inputs) {
    const report = parseProbeReport(input);
    window.add(compactReport(report, window.previous(report.probe.id)));
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const restarts = async (metrics: AppMetrics) => (await metrics.readRestarts.get()).values[0]?.value ?? 0;

/** How many views of `topology` were built: the count of `app_view_seconds`. */
const viewBuilds = async (metrics: AppMetrics, topology: string) =>
  (await metrics.viewSeconds.get()).values.find((v) => (v as { metricName?: string }).metricName === 'app_view_seconds_count' && v.labels.topology === topology)?.value ?? 0;

/** Everything a rendered topology gives out: nodes in order, edges in order, and each node's relations. */
function contents(topology: RenderedTopology) {
  return { name: topology.name, nodes: [...topology.nodes.values()].map((n) => ({ ...n, relations: topology.relations(n) })), edges: topology.edges };
}

/** Runs steps to the end, counting the steps. */
function stepsOf<T>(steps: Generator<void, T>): { value: T; steps: number } {
  let count = 0;
  for (;;) {
    const step = steps.next();
    if (step.done) return { value: step.value, steps: count };
    count++;
  }
}

describe('stepped rendering', () => {
  let report: MergedMaps;
  beforeAll(() => {
    report = fleetWindow().advance().report;
  });

  it('every renderer, stepped at any budget, renders exactly what it renders in one step', () => {
    const connections = resolveConnections(report);
    for (const renderer of RENDERERS) {
      const once = contents(renderer.render(report, connections));
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 400 }), (every) => {
          const { value, steps } = stepsOf(renderer.steps(report, connections, countBudget(every)));
          expect(contents(value)).toEqual(once);
          // A small budget really splits the work (the fleet has hundreds of nodes and connections per topology).
          if (every === 1) expect(steps).toBeGreaterThan(10);
        }),
        { numRuns: 15 },
      );
    }
  });

  it('the connections resolved in steps, at any budget, are the connections resolved at once', () => {
    const once = resolveConnections(report);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (every) => {
        const { value, steps } = stepsOf(new ConnectionResolver().resolveSteps(report, report.parts ?? [], countBudget(every)));
        expect(value).toEqual(once);
        // One probe's part or fewer a step at the smallest budget: twice as many steps as probes, digest and join.
        if (every === 1) expect(steps).toBeGreaterThanOrEqual(2 * SHAPE.probes - 1);
      }),
      { numRuns: 10 },
    );
  });

  it('buildView in steps is buildView, for any query and budget', () => {
    const connections = resolveConnections(report);
    const topologies = RENDERERS.map((r) => ({ renderer: r, topology: r.render(report, connections) }));
    const queries = fc.record({
      clusterThreshold: fc.constantFrom('0', '1', '5', '1000'),
      search: fc.option(fc.constantFrom('svc-1', 'mesos', 'node', 'zz-nothing'), { nil: undefined }),
      filter: fc.option(fc.constantFrom('image~svc', 'cpu_usage_percent>1', 'state=running'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...topologies), queries, fc.integer({ min: 1, max: 300 }), ({ renderer, topology }, raw, every) => {
        const query = parseTopologyQuery(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)), renderer.descriptor);
        const once = buildView(topology, query, renderer.descriptor, T);
        expect(runToEnd(buildViewSteps(topology, query, renderer.descriptor, T, countBudget(every)))).toEqual(once);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a read of a view not yet built', () => {
  const service = () => new TopologyService({ window: fleetWindow(), history: new MetricHistory({ retentionMs: 300_000 }), minGenerationMs: 0 });

  it('builds it in steps, with its JSON, equal to the view built in one step', async () => {
    const stepped = service();
    const once = service();
    for (const [name, query] of [
      ['processes', {}],
      ['containers', { clusterThreshold: '0' }],
      ['marathon-apps', {}],
    ] as const) {
      const read = await stepped.viewReady(name, query);
      const built = once.view(name, query);
      expect(read.view).toEqual(built.view);
      expect(read.json?.toString()).toBe(JSON.stringify(built.view));
    }
    expect(await stepped.listReady()).toEqual(once.list());
    const container = [...once.view('containers', { clusterThreshold: '0' }).view.nodes][0].id;
    expect(await stepped.detailsReady('containers', container)).toEqual(once.details('containers', container));
  });

  it('answers reads that arrive together from one build', async () => {
    const s = service();
    const [a, b] = await Promise.all([s.viewReady('processes', {}), s.viewReady('processes', {})]);
    expect(a).toBe(b);
    expect(a.generation).toBe(s.generationNumber);
  });
});

describe('a read while reports arrive', () => {
  // Two more probes of a larger fleet join the window (the generator's connections depend on the fleet's size, so
  // the window of them all is SHAPE's reports and then those two).
  const LARGER = { ...SHAPE, probes: SHAPE.probes + 2 };
  const joined = () => {
    const window = fleetWindow();
    addReports(window, fleetReports(LARGER, T).slice(SHAPE.probes));
    return window;
  };

  it('lets the ticker make a generation while it builds, and gives the ticker\'s build of the view for it, whole, made once', async () => {
    const window = fleetWindow();
    const metrics = createMetrics();
    const s = new TopologyService({ window, history: new MetricHistory({ retentionMs: 300_000 }), metrics, minGenerationMs: 0, stepBudget: () => countBudget(3) });
    const jsonBuilds = jest.spyOn(viewJson, 'viewJsonSteps');
    let answered = false;
    const read = s.viewReady('processes', {}).then((cached) => ((answered = true), cached));
    // Its first step is the window's first advance, in steps too; then the render.
    while (s.generationNumber === 0) await turn();
    await turn();
    expect(answered).toBe(false);
    const before = s.generationNumber;
    addReports(window, fleetReports(LARGER, T).slice(SHAPE.probes));
    expect(await s.tickAsync()).toBe(true);
    expect(s.generationNumber).toBeGreaterThan(before);
    const cached = await read;
    expect(cached.generation).toBe(s.generationNumber);
    const whole = new TopologyService({ window: joined(), history: new MetricHistory({ retentionMs: 300_000 }), minGenerationMs: 0 });
    expect(cached.view).toEqual(whole.view('processes', {}).view);
    expect(cached.json?.toString()).toBe(JSON.stringify(cached.view));
    // The tick built the view the read asked for; the read, its first build abandoned, waited for that one.
    expect(await viewBuilds(metrics, 'processes')).toBe(1);
    expect(jsonBuilds).toHaveBeenCalledTimes(1);
    expect(await restarts(metrics)).toBe(0);
    jsonBuilds.mockRestore();
  });

  it('holds the window still once a read has started again three times, until the read is done', async () => {
    let now = T + 1000;
    const window = fleetWindow(() => now);
    const metrics = createMetrics();
    // Renders one item a step, the window's advance and the resolution in one: the read renders 100s of steps,
    // each tick far fewer (it renders only the small hosts topology), so every tick moves the window under the read.
    const s = new TopologyService({ window, history: new MetricHistory({ retentionMs: 300_000 }), metrics, minGenerationMs: 0, stepBudget: (work) => countBudget(work === 'render' ? 1 : 1000) });
    s.view('hosts', {});
    const whole = new TopologyService({ window: fleetWindow(), history: new MetricHistory({ retentionMs: 300_000 }), minGenerationMs: 0 });
    const processId = [...whole.view('processes', { clusterThreshold: '0' }).view.nodes].find((n) => n.kind === 'process')?.id as string;
    let answered = false;
    const details = s.detailsReady('processes', processId).then((d) => ((answered = true), d));
    const reportAgain = () => {
      now += 1000;
      addReports(window, fleetReports(SHAPE, now - 1000));
    };
    for (let round = 0; round < 3; round++) {
      await turn();
      reportAgain();
      expect(await s.tickAsync()).toBe(true);
      expect(answered).toBe(false);
    }
    expect(await restarts(metrics)).toBe(3);
    const held = s.generationNumber;
    reportAgain();
    expect(await s.tickAsync()).toBe(false);
    expect(s.generationNumber).toBe(held);
    expect((await details).node.id).toBe(processId);
    expect(await restarts(metrics)).toBe(3);
    expect(await s.tickAsync()).toBe(true);
    expect(s.generationNumber).toBeGreaterThan(held);
  });

  it('gives list and details of the newer generation when the window advances under them', async () => {
    const window = fleetWindow();
    const s = new TopologyService({ window, history: new MetricHistory({ retentionMs: 300_000 }), minGenerationMs: 0, stepBudget: () => countBudget(3) });
    s.view('hosts', {});
    const whole = new TopologyService({ window: joined(), history: new MetricHistory({ retentionMs: 300_000 }), minGenerationMs: 0 });
    const added = [...whole.view('containers', { clusterThreshold: '0' }).view.nodes].map((n) => n.id).find((id) => !s.view('containers', { clusterThreshold: '0' }).view.nodes.some((n) => n.id === id));
    const list = s.listReady();
    await turn();
    addReports(window, fleetReports(LARGER, T).slice(SHAPE.probes));
    const ticking = s.tickAsync();
    const details = s.detailsReady('containers', added as string);
    expect(await list).toEqual(whole.list());
    expect(await details).toEqual(whole.details('containers', added as string));
    expect(await ticking).toBe(true);
  });
});

describe('the window advanced in steps', () => {
  it('applies what one advance applies, yielding between probes', () => {
    const once = fleetWindow().advance();
    let yields = 0;
    const steps = fleetWindow().advanceSteps(countBudget(1));
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBeGreaterThanOrEqual(SHAPE.probes - 1);
    expect(reportOf(step.value.report)).toEqual(reportOf(once.report));
    expect(step.value.changed).toBe(once.changed);
  });
});
