/**
 * Generations and views. A generation is the merged report at one moment, with its connections resolved and its
 * topologies rendered on demand; a view is one query of one topology at one generation, kept with its JSON bytes.
 *
 * Reads never wait for rendering when they need not: the ticker (every 250 ms in the app) makes a new generation
 * when reports changed — at most once per pacing interval, which is at least a second and at least six times what
 * the last generation cost (`GENERATION_SHARE`), so rendering stays under a sixth of a core whatever the load —
 * and rebuilds the views asked for recently, and their JSON (view-json.ts), then publishes the generation, so a
 * request finds its view's bytes ready. It works in steps and yields to the event loop between them (`tickAsync`), so reports and reads are
 * answered while it renders; each view it rebuilds is given out as soon as it is (with its JSON), the others are the
 * previous generation's until then. A request rebuilds a view itself only when nothing keeps it fresh (the last
 * generation is older than `maxStaleMs` and two pacing intervals) or it is the first of its kind.
 */
import { performance } from 'node:perf_hooks';
import { HttpError } from '../../lib/service-http';
import type { NodeDetails, ProbeList, TopologyList, TopologyView } from './api-shapes';
import { ConnectionResolver, ResolvedConnection, wholeReport } from './connection-resolution';
import type { MergedMaps } from './merged-maps';
import type { AppMetrics } from './metrics';
import type { MetricHistory } from './metric-history';
import { nodeDetails } from './node-details';
import { RenderedTopology, RenderMemo, runToEnd, StepBudget, timeBudget, TopologyRenderer, UNBOUNDED } from './renderers/render-model';
import { RENDERER_BY_NAME, RENDERERS } from './renderers/topology-registry';
import type { ReportWindow } from './report-window';
import { viewJson, viewJsonSteps } from './view-json';
import { buildViewSteps, ParsedQuery, parseTopologyQuery } from './view-query';

/**
 * How long one step of rendering or view building may hold the event loop: long enough that the per-step overhead
 * (a setImmediate round, the generator's resumption) is noise, short enough that a read waiting behind it is not.
 */
export const STEP_MS = 8;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * How many times a read's build starts again on newer data before it holds the window still until it is done, as
 * every build did before: the ticker paces generations at six times their cost, so a build restarted on a fresh
 * generation almost always finishes before the next; the hold only bounds the unlucky case.
 */
const MAX_RESTARTS = 3;

/**
 * The share of the event loop generations may take: a generation's cost sets the least time to the next. It was a
 * third; at the full benchmark fleet the loop also applies ~67 reports a second (~2/3 of a core), so a third more
 * for generations put the app over a core (README, `appperf6`). A sixth leaves generations once a second while
 * they cost under ~170 ms, which a small fleet's do.
 */
export const GENERATION_SHARE = 1 / 6;

/** The least time after a generation that cost `costMs` before the next: `minGenerationMs`, or longer if it was costly. */
export function generationPacing(costMs: number, minGenerationMs: number): number {
  return minGenerationMs === 0 ? 0 : Math.max(minGenerationMs, Math.ceil(costMs / GENERATION_SHARE));
}

/** A read's steps found the window's maps changed under them: it starts again on the newer generation. */
class StaleGeneration extends Error {}

/** What a step budget is for: render and view items are microseconds each, a probe's part a millisecond or so. */
export type StepWork = 'render' | 'merge' | 'resolve';

export interface TopologyServiceOptions {
  window: ReportWindow;
  history: MetricHistory;
  metrics?: AppMetrics;
  /** At least this long between generations; 0 makes every read see every report (tests). */
  minGenerationMs?: number;
  /** A read is answered from a generation at most this old; an older one is refreshed first. */
  maxStaleMs?: number;
  /** A view asked for within this long is rebuilt by every new generation. */
  hotMs?: number;
  maxCachedViews?: number;
  /** JSON bytes kept across the cached views; past it the least recently asked views' bytes are dropped. */
  maxCachedBytes?: number;
  /**
   * The budget of each step of rendering and view building, of the window's advance and of the connections'
   * resolution: `STEP_MS` of work by default.
   */
  stepBudget?: (work: StepWork) => StepBudget;
}

interface Generation {
  number: number;
  /** When it was made (the window's clock). */
  at: number;
  /** When the window was last found unchanged since: how stale the generation is. */
  checked: number;
  report: MergedMaps;
  /** The window's `version` when it was merged: the maps hold this generation's data while the two are equal. */
  version: number;
  connections?: ResolvedConnection[];
  /** A resolution of its connections is under way in steps: callers between turns of the event loop wait for it. */
  resolving?: boolean;
  rendered: Map<string, RenderedTopology>;
  /** Topologies a read is rendering for this generation, in steps: a second read waits for the same one. */
  rendering: Map<string, Promise<RenderedTopology>>;
  /**
   * The views the ticker rebuilds for this generation before it publishes it (set once it has merged), each with
   * what settles when that view is rebuilt (or the tick is over).
   */
  staging?: ReadonlyMap<CachedView, Promise<void>>;
}

export interface CachedView {
  name: string;
  query: ParsedQuery;
  generation: number;
  view: TopologyView;
  lastAsked: number;
  /** WebSocket subscribers; a view with any stays cached and hot. */
  subscribers: number;
  /** The view's JSON, made by the ticker with the view or by the first read of it. */
  json?: Buffer;
  /** A read building this view in steps (on the newest data): other reads of it wait for that. */
  building?: { done: Promise<void> };
}

export class TopologyService {
  private readonly window: ReportWindow;
  private readonly history: MetricHistory;
  private readonly metrics?: AppMetrics;
  private readonly minGenerationMs: number;
  private readonly maxStaleMs: number;
  private readonly hotMs: number;
  private readonly maxCachedViews: number;
  private readonly maxCachedBytes: number;
  private readonly resolver = new ConnectionResolver();
  private readonly memos = new Map<string, RenderMemo>();
  private readonly views = new Map<string, CachedView>();
  private readonly listeners: Array<() => void> = [];
  private generation?: Generation;
  private pacingMs: number;
  private listAskedAt = -Infinity;
  private ticking = false;
  /** The ticker's generation once merged, until it publishes it: the data the window's maps hold meanwhile. */
  private next?: Generation;
  /** Settles when the window's advance running in steps is done; the maps are half-merged until then. */
  private merging?: Promise<void>;
  /** Reads that restarted `MAX_RESTARTS` times and now hold the window still until they are done. */
  private holds = 0;
  private readonly stepBudget: (work: StepWork) => StepBudget;
  private sweptAt = -Infinity;

  constructor(options: TopologyServiceOptions) {
    this.window = options.window;
    this.history = options.history;
    this.metrics = options.metrics;
    this.minGenerationMs = options.minGenerationMs ?? 1000;
    this.maxStaleMs = Math.max(options.maxStaleMs ?? 5000, this.minGenerationMs);
    this.hotMs = options.hotMs ?? 30_000;
    this.maxCachedViews = options.maxCachedViews ?? 64;
    this.maxCachedBytes = options.maxCachedBytes ?? 256 * 1024 * 1024;
    this.pacingMs = this.minGenerationMs;
    this.stepBudget = options.stepBudget ?? ((work) => timeBudget(STEP_MS, work === 'render' ? 64 : 1));
  }

  get clock(): () => number {
    return this.window.clock;
  }

  /** The least time between generations now (it grows with their cost). */
  get pacing(): number {
    return this.pacingMs;
  }

  get generationNumber(): number {
    return this.generation?.number ?? 0;
  }

  /** Called after every new generation (streams send their diffs from it). */
  onGeneration(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Makes a new generation if reports changed and the pacing allows, rebuilds the hot views for it, publishes it and
   * tells the listeners. Returns whether there is a new generation. Runs to the end at once (tests); the app uses
   * `tickAsync`.
   */
  tick(): boolean {
    const steps = this.tickSteps(false);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The steps of one tick (what `tickAsync` runs, yielding to the event loop after each): each `next()` does one
   * bounded piece of work and yields what it was (`render processes`, `json containers`, …), so a caller can time
   * the longest synchronous stretch a generation holds the event loop for (bench/render-steps.ts).
   */
  steps(): Generator<string, boolean> {
    return this.tickSteps(false);
  }

  /**
   * `tick`, yielding to the event loop between its steps. It runs while reads build views in steps: they notice
   * the window moved (its `version`) and start again on the new generation, see `onNewest`.
   */
  async tickAsync(): Promise<boolean> {
    if (this.ticking || this.merging || this.holds > 0) return false;
    this.ticking = true;
    try {
      const steps = this.tickSteps(true);
      for (;;) {
        const step = steps.next();
        if (step.done) return step.value;
        await nextTurn();
      }
    } finally {
      this.ticking = false;
      this.next = undefined;
    }
  }

  /** `canWait`: between turns of the event loop, so a topology a read is rendering for it can be waited for. */
  private *tickSteps(canWait: boolean): Generator<string, boolean> {
    const now = this.clock();
    const hot = this.hotViews(now);
    const listHot = now - this.listAskedAt <= this.hotMs;
    if (hot.length === 0 && !listHot) return false;
    let cost = 0;
    const timed = <T>(work: () => T): T => {
      const started = performance.now();
      try {
        return work();
      } finally {
        cost += performance.now() - started;
      }
    };
    // Runs bounded steps, each yielding `label`, their time counted into the generation's cost.
    const run = function* <T>(steps: Generator<void, T>, label: string): Generator<string, T> {
      for (;;) {
        const step = timed(() => steps.next());
        if (step.done) return step.value;
        yield label;
      }
    };
    const budget = this.stepBudget('render');
    const next = yield* run(this.advanceSteps(false, this.stepBudget('merge')), 'merge');
    if (!next) return false;
    this.next = next;
    const rebuilt = new Map<CachedView, () => void>();
    next.staging = new Map(hot.map((cached) => [cached, new Promise<void>((resolve) => rebuilt.set(cached, resolve))]));
    try {
      const render = (renderer: TopologyRenderer) => this.renderShared(next, renderer, budget, canWait);
      yield 'merge';
      yield* run(this.connectionSteps(next, this.stepBudget('resolve'), canWait), 'resolve');
      yield 'resolve';
      for (const cached of hot) {
        const renderer = this.renderer(cached.name);
        const topology = yield* run(render(renderer), `render ${cached.name}`);
        yield `render ${cached.name}`;
        const view = yield* run(this.viewSteps(next, renderer, topology, cached.query, budget), `view ${cached.name}`);
        yield `view ${cached.name}`;
        const json = viewJsonSteps(view, { expectedBytes: cached.json?.length });
        for (let step = timed(() => json.next()); ; step = timed(() => json.next())) {
          if (step.done) {
            // Given out at once, before the generation is published, as a read's own build of it would be: a read
            // waiting for this view (`builtByTicker`) need not wait for the rest of the tick.
            this.commit(cached, next, view, step.value);
            rebuilt.get(cached)?.();
            break;
          }
          yield `json ${cached.name}`;
        }
      }
      if (listHot) {
        for (const renderer of RENDERERS) {
          yield* run(render(renderer), `render ${renderer.descriptor.name}`);
          yield `render ${renderer.descriptor.name}`;
        }
      }
    } finally {
      for (const settle of rebuilt.values()) settle();
    }
    this.publish(next);
    this.pace(cost);
    for (const listener of this.listeners) listener();
    return true;
  }

  /** The topologies and their node counts, rendering what is missing at once (tests; the API uses `listReady`). */
  list(): TopologyList {
    this.listAskedAt = this.clock();
    this.ensureFresh();
    const gen = this.current();
    return this.listOf(gen);
  }

  /** `list`, with what is missing rendered in steps that yield to the event loop. */
  async listReady(): Promise<TopologyList> {
    this.listAskedAt = this.clock();
    await this.freshReady();
    return this.onNewest(async (gen) => {
      for (const renderer of RENDERERS) await this.renderReady(gen, renderer);
      return this.listOf(gen);
    });
  }

  /**
   * The view of `name` for a raw query (URL parameters); 404 for an unknown topology, 400 for a bad query. Builds a
   * missing view at once (tests, and the sync paths); the API uses `viewReady`.
   */
  view(name: string, rawQuery: Record<string, unknown>): CachedView {
    const renderer = this.renderer(name);
    return this.viewFor(renderer, parseTopologyQuery(rawQuery, renderer.descriptor));
  }

  /** The cached view for a parsed query, rebuilt at once if it is older than the current generation. */
  viewFor(renderer: TopologyRenderer, query: ParsedQuery): CachedView {
    this.ensureFresh();
    const cached = this.cachedView(renderer, query);
    if (cached.generation < this.current().number) this.rebuild(cached);
    return cached;
  }

  /**
   * `view`, for a read: a view that is not built for the current generation is built in steps that yield to the
   * event loop (its topology rendered too, if need be), with its JSON, and other reads of it wait for the same build.
   * A read does not wait for the ticker, nor hold it off: it builds on the newest data and starts again if the
   * window moves under it (`onNewest`), so it may give a view of a generation not yet published.
   */
  async viewReady(name: string, rawQuery: Record<string, unknown>): Promise<CachedView> {
    const renderer = this.renderer(name);
    const query = parseTopologyQuery(rawQuery, renderer.descriptor);
    await this.freshReady();
    const cached = this.cachedView(renderer, query);
    if (cached.generation >= this.current().number) return cached;
    if (!cached.building) {
      const done = this.build(cached, renderer);
      cached.building = { done };
      const forget = () => cached.building?.done === done && (cached.building = undefined);
      done.then(forget, forget);
    }
    await cached.building.done;
    return cached;
  }

  /** The view's JSON, made once per view and generation. */
  json(cached: CachedView): Buffer {
    if (!cached.json) {
      cached.json = viewJson(cached.view);
      this.trimJson();
    }
    return cached.json;
  }

  details(name: string, id: string): NodeDetails {
    const renderer = this.renderer(name);
    this.ensureFresh();
    return this.detailsIn(this.rendered(renderer), name, id);
  }

  /** `details`, rendering a missing topology in steps. */
  async detailsReady(name: string, id: string): Promise<NodeDetails> {
    const renderer = this.renderer(name);
    await this.freshReady();
    return this.onNewest(async (gen) => this.detailsIn(await this.renderReady(gen, renderer), name, id));
  }

  private detailsIn(topology: RenderedTopology, name: string, id: string): NodeDetails {
    const details = nodeDetails(topology, id, this.history, this.clock());
    if (!details) throw new HttpError(404, `${name} has no node ${JSON.stringify(id)} (now)`);
    return details;
  }

  probes(): ProbeList {
    return { probes: this.window.probes() };
  }

  renderer(name: string): TopologyRenderer {
    const renderer = RENDERER_BY_NAME.get(name);
    if (!renderer) throw new HttpError(404, `no topology ${JSON.stringify(name)}; the topologies are ${RENDERERS.map((r) => r.descriptor.name).join(', ')}`);
    return renderer;
  }

  /** Keeps a view cached and hot while a stream watches it. */
  retain(cached: CachedView, delta: 1 | -1): void {
    cached.subscribers += delta;
  }

  private current(): Generation {
    if (!this.generation) this.publish(this.advance(true) as Generation);
    return this.generation as Generation;
  }

  /** Whether a read should bring the window up to date itself: no generation, or the last is old and no tick runs. */
  private stale(): boolean {
    const gen = this.generation;
    if (!gen) return true;
    if (this.ticking || this.merging || this.holds > 0) return false;
    return this.clock() - gen.checked >= Math.max(this.maxStaleMs, 2 * this.pacingMs);
  }

  /** Before a synchronous read: a generation to answer from, made now if `stale`. */
  private ensureFresh(): void {
    if (!this.stale()) return;
    const next = this.advance(true);
    if (next) this.publish(next);
  }

  /** `ensureFresh` for a read that can wait: the advance in bounded steps; reads arriving meanwhile wait for it. */
  private async freshReady(): Promise<void> {
    while (this.merging) await this.merging;
    if (!this.stale()) return;
    const steps = this.advanceSteps(true, this.stepBudget('merge'));
    for (;;) {
      const step = steps.next();
      if (step.done) {
        if (step.value) this.publish(step.value);
        return;
      }
      await nextTurn();
    }
  }

  private advance(force: boolean): Generation | undefined {
    return runToEnd(this.advanceSteps(force, UNBOUNDED));
  }

  /**
   * Advances the window if due (or `force`d), in steps: the next generation if that changed anything (or there is
   * none yet), not yet published. The window's maps change in place — a generation is not a snapshot of them, and
   * copying ~600k ids per generation would cost what the incremental window saves — so what a generation has
   * rendered stays as it was, and whatever renders from the maps afterwards sees the newer data: reads working in
   * steps check the window's `version` before each step (`stepped`) and start again when it moved.
   */
  private *advanceSteps(force: boolean, budget: StepBudget): Generator<void, Generation | undefined> {
    const now = this.clock();
    const gen = this.generation;
    if (gen && !force && now - gen.at < this.pacingMs) return undefined;
    let settle = () => {};
    this.merging = new Promise<void>((resolve) => (settle = resolve));
    try {
      const { report, changed } = yield* timedSteps(this.window.advanceSteps(budget), (ms) => this.metrics?.mergeSeconds.observe(ms / 1000));
      if (gen && !changed) {
        gen.checked = now;
        return undefined;
      }
      return { number: this.window.generation, at: now, checked: now, report, version: this.window.version, rendered: new Map(), rendering: new Map() };
    } finally {
      this.merging = undefined;
      settle();
    }
  }

  private publish(next: Generation): void {
    this.generation = next;
    if (this.next === next) this.next = undefined;
    this.metrics?.generations.inc();
    this.trimJson();
    // Sweeping walks every node of the history: every 10 s is often enough for a retention of minutes.
    if (this.history.series > 0 && next.at - this.sweptAt >= 10_000) {
      this.history.sweep(next.at);
      this.sweptAt = next.at;
    }
  }

  private pace(costMs: number): void {
    this.pacingMs = generationPacing(costMs, this.minGenerationMs);
  }

  /**
   * The generation's connections, resolved in steps if it has none yet (the metric is the steps' time). One
   * resolution per generation: a caller that runs between turns of the event loop (`canWait`) waits for one under
   * way, the ticker's or a read's, and marks its own so that others wait for it.
   */
  private *connectionSteps(gen: Generation, budget: StepBudget, canWait: boolean): Generator<void, ResolvedConnection[]> {
    while (canWait && gen.resolving && !gen.connections) yield;
    if (gen.connections) return gen.connections;
    if (canWait) gen.resolving = true;
    try {
      const parts = gen.report.parts ?? [wholeReport(gen.report)];
      const connections = yield* timedSteps(this.resolver.resolveSteps(gen.report, parts, budget), (ms) => this.metrics?.resolveSeconds.observe(ms / 1000));
      // A synchronous read may have resolved them meanwhile: keep the list the generation already gave out.
      gen.connections ??= connections;
      return gen.connections;
    } finally {
      if (canWait) gen.resolving = false;
    }
  }

  private rendered(renderer: TopologyRenderer): RenderedTopology {
    return this.renderedIn(this.current(), renderer);
  }

  private renderedIn(gen: Generation, renderer: TopologyRenderer): RenderedTopology {
    return runToEnd(this.renderSteps(gen, renderer, UNBOUNDED, false));
  }

  /**
   * The generation's rendering of a topology, made in steps if it has none (the metric is the steps' time), its
   * connections resolved first if need be (`canWait`: between turns of the event loop, see `connectionSteps`).
   */
  private *renderSteps(gen: Generation, renderer: TopologyRenderer, budget: StepBudget, canWait: boolean): Generator<void, RenderedTopology> {
    const name = renderer.descriptor.name;
    const done = gen.rendered.get(name);
    if (done) return done;
    const connections = yield* this.connectionSteps(gen, budget === UNBOUNDED ? UNBOUNDED : this.stepBudget('resolve'), canWait);
    let memo = this.memos.get(name);
    if (!memo) this.memos.set(name, (memo = new WeakMap()));
    const topology = yield* timedSteps(renderer.steps(gen.report, connections, budget, memo), (ms) => this.metrics?.renderSeconds.observe({ topology: name }, ms / 1000));
    // A synchronous read may have rendered it meanwhile: keep the one the generation already gave out.
    const first = gen.rendered.get(name) ?? topology;
    gen.rendered.set(name, first);
    return first;
  }

  /**
   * The ticker's rendering of a topology for its generation, shared with reads of it (`canWait`: run between turns
   * of the event loop): one rendering a read began is waited for, and one the ticker begins is given to the reads
   * that ask meanwhile, so a read and the ticker never render the same topology twice for one generation.
   */
  private *renderShared(gen: Generation, renderer: TopologyRenderer, budget: StepBudget, canWait: boolean): Generator<void, RenderedTopology> {
    const name = renderer.descriptor.name;
    if (!canWait) return yield* this.renderSteps(gen, renderer, budget, false);
    while (gen.rendering.has(name) && !gen.rendered.has(name)) yield;
    const done = gen.rendered.get(name);
    if (done) return done;
    let settle: { resolve: (t: RenderedTopology) => void; reject: (e: unknown) => void } | undefined;
    const shared = new Promise<RenderedTopology>((resolve, reject) => (settle = { resolve, reject }));
    shared.catch(() => {});
    gen.rendering.set(name, shared);
    try {
      const topology = yield* this.renderSteps(gen, renderer, budget, true);
      settle?.resolve(topology);
      return topology;
    } catch (error) {
      settle?.reject(error);
      throw error;
    } finally {
      gen.rendering.delete(name);
    }
  }

  /** A read's rendering of a topology for `gen`, in steps; one per generation and topology at a time. */
  private renderReady(gen: Generation, renderer: TopologyRenderer): Promise<RenderedTopology> {
    const name = renderer.descriptor.name;
    const done = gen.rendered.get(name);
    if (done) return Promise.resolve(done);
    let pending = gen.rendering.get(name);
    if (!pending) {
      pending = this.stepped(gen, this.renderSteps(gen, renderer, this.stepBudget('render'), true));
      gen.rendering.set(name, pending);
      const forget = () => gen.rendering.delete(name);
      pending.then(forget, forget);
    }
    return pending;
  }

  /**
   * Runs a read's steps for `gen`, yielding to the event loop between them. Before each step it checks that the
   * window's maps still hold `gen`'s data: the ticker may have advanced them meanwhile, and a renderer resumed on
   * them would mix two generations (and its iterators would walk maps changed under them). Then the steps are
   * abandoned (StaleGeneration; their `finally` blocks run, so a resolution they marked under way is unmarked) and
   * the read starts again (`onNewest`).
   */
  private async stepped<T>(gen: Generation, steps: Generator<void, T>): Promise<T> {
    for (;;) {
      if (this.window.version !== gen.version) {
        steps.return(undefined as T);
        throw new StaleGeneration();
      }
      const step = steps.next();
      if (step.done) return step.value;
      await nextTurn();
    }
  }

  /**
   * A read's stepped work, on the newest generation the window's maps hold: the ticker's once it has merged (it
   * is published when its hot views are built; a read need not wait for those), else the published one. When the
   * window moves under the work, it starts again on the newer data — restarting rather than finishing on the old
   * generation, because the maps are shared and changed in place (see `advanceSteps`); unless `builtElsewhere`
   * says the work is done for that generation (a view the ticker rebuilt), which is no restart. After
   * `MAX_RESTARTS` the read holds the window still (no tick or catch-up starts) until it is done.
   */
  private async onNewest<T>(work: (gen: Generation) => Promise<T>): Promise<T>;
  private async onNewest(work: (gen: Generation) => Promise<void>, builtElsewhere: (gen: Generation) => Promise<boolean>): Promise<void>;
  private async onNewest<T>(work: (gen: Generation) => Promise<T>, builtElsewhere?: (gen: Generation) => Promise<boolean>): Promise<T | void> {
    for (let attempt = 0; ; attempt++) {
      const hold = attempt >= MAX_RESTARTS;
      if (hold) this.holds++;
      try {
        while (this.merging) await this.merging;
        const gen = this.next ?? this.current();
        if (await builtElsewhere?.(gen)) return;
        if (attempt > 0) this.metrics?.readRestarts.inc();
        return await work(gen);
      } catch (error) {
        if (!(error instanceof StaleGeneration)) throw error;
      } finally {
        if (hold) this.holds--;
      }
    }
  }

  /**
   * A read's build of a view: render (or wait for the rendering), then view and JSON, in steps, on the newest data;
   * or, when the ticker rebuilds this view for the newest generation, the ticker's build (`builtByTicker`).
   */
  private async build(cached: CachedView, renderer: TopologyRenderer): Promise<void> {
    const built = async (gen: Generation) => cached.generation >= gen.number || (await this.builtByTicker(cached, gen));
    await this.onNewest(async (gen) => {
      const topology = await this.renderReady(gen, renderer);
      const budget = this.stepBudget('render');
      const { view, json } = await this.stepped(
        gen,
        (function* (service: TopologyService) {
          const view = yield* service.viewSteps(gen, renderer, topology, cached.query, budget);
          return { view, json: yield* viewJsonSteps(view, { expectedBytes: cached.json?.length }) };
        })(this),
      );
      this.commit(cached, gen, view, json);
    }, built);
  }

  /**
   * When `gen` is the running tick's, merged and not yet published, and `cached` is one of the views it rebuilds,
   * waits for the tick to rebuild it and says whether it did: then a read neither builds the view and its JSON a
   * second time for the same generation nor, having started on the older data, starts again on the tick's.
   */
  private async builtByTicker(cached: CachedView, gen: Generation): Promise<boolean> {
    const rebuilt = gen === this.next ? gen.staging?.get(cached) : undefined;
    if (!rebuilt) return false;
    await rebuilt;
    return cached.generation >= gen.number;
  }

  private commit(cached: CachedView, gen: Generation, view: TopologyView, json: Buffer): void {
    // A generation published meanwhile may have rebuilt it already.
    if (cached.generation >= gen.number) return;
    cached.view = view;
    cached.generation = gen.number;
    cached.json = json;
    this.trimJson();
  }

  private rebuild(cached: CachedView): void {
    const gen = this.current();
    const renderer = this.renderer(cached.name);
    cached.view = runToEnd(this.viewSteps(gen, renderer, this.renderedIn(gen, renderer), cached.query, UNBOUNDED));
    cached.generation = gen.number;
    cached.json = undefined;
  }

  private viewSteps(gen: Generation, renderer: TopologyRenderer, topology: RenderedTopology, query: ParsedQuery, budget: StepBudget): Generator<void, TopologyView> {
    return timedSteps(buildViewSteps(topology, query, renderer.descriptor, gen.at, budget), (ms) => this.metrics?.viewSeconds.observe({ topology: renderer.descriptor.name }, ms / 1000));
  }

  /** The cached view for a query (made empty if new), marked as asked now. */
  private cachedView(renderer: TopologyRenderer, query: ParsedQuery): CachedView {
    const key = `${renderer.descriptor.name}\u0000${query.key}`;
    let cached = this.views.get(key);
    if (!cached) {
      cached = { name: renderer.descriptor.name, query, generation: -1, view: undefined as unknown as TopologyView, lastAsked: 0, subscribers: 0 };
      this.views.set(key, cached);
      this.evict();
    }
    cached.lastAsked = this.clock();
    return cached;
  }

  private listOf(gen: Generation): TopologyList {
    return { topologies: RENDERERS.map((r) => ({ ...r.descriptor, nodeCount: this.renderedIn(gen, r).nodes.size })) };
  }

  private hotViews(now: number): CachedView[] {
    const out: CachedView[] = [];
    for (const cached of this.views.values()) if (cached.subscribers > 0 || now - cached.lastAsked <= this.hotMs) out.push(cached);
    return out;
  }

  /** Drops the JSON of the least recently asked views while the cached JSON is over its bound. */
  private trimJson(): void {
    let bytes = 0;
    for (const cached of this.views.values()) bytes += cached.json?.length ?? 0;
    if (bytes <= this.maxCachedBytes) return;
    const byAge = [...this.views.values()].filter((c) => c.json).sort((a, b) => a.lastAsked - b.lastAsked);
    for (const cached of byAge) {
      if (bytes <= this.maxCachedBytes) break;
      bytes -= (cached.json as Buffer).length;
      cached.json = undefined;
    }
  }

  private evict(): void {
    if (this.views.size <= this.maxCachedViews) return;
    let oldest: [string, CachedView] | undefined;
    for (const entry of this.views) if (entry[1].subscribers === 0 && (!oldest || entry[1].lastAsked < oldest[1].lastAsked)) oldest = entry;
    if (oldest) this.views.delete(oldest[0]);
  }
}

/** Runs `steps`, passing on their yields, and reports the time spent inside them (not the waits between) to `done`. */
function* timedSteps<T>(steps: Generator<void, T>, done: (ms: number) => void): Generator<void, T> {
  let ms = 0;
  for (;;) {
    const started = performance.now();
    const step = steps.next();
    ms += performance.now() - started;
    if (step.done) {
      done(ms);
      return step.value;
    }
    yield;
  }
}
