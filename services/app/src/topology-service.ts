/**
 * Generations and views. A generation is the merged report at one moment, with its connections resolved and its
 * topologies rendered on demand; a view is one query of one topology at one generation, kept with its JSON bytes.
 *
 * Reads never wait for rendering when they need not: the ticker (every 250 ms in the app) makes a new generation
 * when reports changed — at most once per pacing interval, which is at least a second and at least three times what
 * the last generation cost, so rendering stays under a third of a core whatever the load — and rebuilds the views
 * asked for recently, and their JSON (view-json.ts), before it publishes the generation, so a request finds its
 * view's bytes ready. It works in steps and
 * yields to the event loop between them (`tickAsync`), so reports and reads are answered while it renders; until it
 * publishes, reads get the previous generation's views. A request rebuilds a view itself only when nothing keeps it
 * fresh (the last generation is older than `maxStaleMs` and two pacing intervals) or it is the first of its kind.
 */
import { performance } from 'node:perf_hooks';
import { HttpError } from '../../lib/service-http';
import type { NodeDetails, ProbeList, TopologyList, TopologyView } from './api-shapes';
import { ConnectionResolver, ResolvedConnection, wholeReport } from './connection-resolution';
import type { MergedMaps } from './merged-maps';
import type { AppMetrics } from './metrics';
import type { MetricHistory } from './metric-history';
import { nodeDetails } from './node-details';
import type { RenderedTopology, RenderMemo, TopologyRenderer } from './renderers/render-model';
import { RENDERER_BY_NAME, RENDERERS } from './renderers/topology-registry';
import type { ReportWindow } from './report-window';
import { viewJson, viewJsonSteps } from './view-json';
import { buildView, ParsedQuery, parseTopologyQuery } from './view-query';

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
}

interface Generation {
  number: number;
  /** When it was made (the window's clock). */
  at: number;
  /** When the window was last found unchanged since: how stale the generation is. */
  checked: number;
  report: MergedMaps;
  connections?: ResolvedConnection[];
  rendered: Map<string, RenderedTopology>;
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
}

/** A hot view rebuilt for a generation not yet published, with its JSON. */
interface Staged {
  cached: CachedView;
  view: TopologyView;
  json: Buffer;
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
    const steps = this.tickSteps();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /** `tick`, yielding to the event loop between its steps. */
  async tickAsync(): Promise<boolean> {
    if (this.ticking) return false;
    this.ticking = true;
    try {
      const steps = this.tickSteps();
      for (;;) {
        const step = steps.next();
        if (step.done) return step.value;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.ticking = false;
    }
  }

  private *tickSteps(): Generator<void, boolean> {
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
    const next = timed(() => this.advance(false));
    if (!next) return false;
    yield;
    timed(() => this.connections(next));
    yield;
    const staged: Staged[] = [];
    for (const cached of hot) {
      const renderer = this.renderer(cached.name);
      timed(() => this.renderedIn(next, renderer));
      yield;
      const view = timed(() => this.viewIn(next, renderer, cached.query));
      yield;
      const json = viewJsonSteps(view);
      for (let step = timed(() => json.next()); ; step = timed(() => json.next())) {
        if (step.done) {
          staged.push({ cached, view, json: step.value });
          break;
        }
        yield;
      }
    }
    if (listHot) {
      for (const renderer of RENDERERS) {
        timed(() => this.renderedIn(next, renderer));
        yield;
      }
    }
    this.publish(next, staged);
    this.pace(cost);
    for (const listener of this.listeners) listener();
    return true;
  }

  list(): TopologyList {
    this.listAskedAt = this.clock();
    this.ensureFresh();
    const topologies = RENDERERS.map((r) => ({ ...r.descriptor, nodeCount: this.rendered(r).nodes.size }));
    return { topologies };
  }

  /** The view of `name` for a raw query (URL parameters); 404 for an unknown topology, 400 for a bad query. */
  view(name: string, rawQuery: Record<string, unknown>): CachedView {
    const renderer = this.renderer(name);
    return this.viewFor(renderer, parseTopologyQuery(rawQuery, renderer.descriptor));
  }

  /** The cached view for a parsed query, rebuilt if it is not of the current generation. */
  viewFor(renderer: TopologyRenderer, query: ParsedQuery): CachedView {
    this.ensureFresh();
    const key = `${renderer.descriptor.name}\u0000${query.key}`;
    let cached = this.views.get(key);
    if (!cached) {
      cached = { name: renderer.descriptor.name, query, generation: -1, view: undefined as unknown as TopologyView, lastAsked: 0, subscribers: 0 };
      this.views.set(key, cached);
      this.evict();
    }
    cached.lastAsked = this.clock();
    if (cached.generation !== this.current().number) this.rebuild(cached);
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
    const details = nodeDetails(this.rendered(renderer), id, this.history, this.clock());
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
    if (!this.generation) this.publish(this.advance(true) as Generation, []);
    return this.generation as Generation;
  }

  /** Before a read: a generation to answer from, made now if there is none or the last is too old and no tick runs. */
  private ensureFresh(): void {
    const gen = this.generation;
    if (gen && (this.ticking || this.clock() - gen.checked < Math.max(this.maxStaleMs, 2 * this.pacingMs))) return;
    const next = this.advance(true);
    if (next) this.publish(next, []);
  }

  /**
   * Advances the window if due (or `force`d): the next generation if that changed anything (or there is none yet),
   * not yet published. The window's maps change in place, so until it is published, what the current generation
   * has rendered stays as it was and what it renders anew is of the newer data.
   */
  private advance(force: boolean): Generation | undefined {
    const now = this.clock();
    const gen = this.generation;
    if (gen && !force && now - gen.at < this.pacingMs) return undefined;
    const started = performance.now();
    const { report, changed } = this.window.advance();
    this.metrics?.mergeSeconds.observe((performance.now() - started) / 1000);
    if (gen && !changed) {
      gen.checked = now;
      return undefined;
    }
    return { number: this.window.generation, at: now, checked: now, report, rendered: new Map() };
  }

  private publish(next: Generation, staged: readonly Staged[]): void {
    this.generation = next;
    this.metrics?.generations.inc();
    for (const { cached, view, json } of staged) {
      cached.view = view;
      cached.generation = next.number;
      cached.json = json;
    }
    this.trimJson();
    // Sweeping walks every node of the history: every 10 s is often enough for a retention of minutes.
    if (this.history.series > 0 && next.at - this.sweptAt >= 10_000) {
      this.history.sweep(next.at);
      this.sweptAt = next.at;
    }
  }

  private pace(costMs: number): void {
    this.pacingMs = this.minGenerationMs === 0 ? 0 : Math.max(this.minGenerationMs, Math.ceil(3 * costMs));
  }

  private connections(gen: Generation): ResolvedConnection[] {
    if (!gen.connections) {
      const started = performance.now();
      gen.connections = this.resolver.resolve(gen.report, gen.report.parts ?? [wholeReport(gen.report)]);
      this.metrics?.resolveSeconds.observe((performance.now() - started) / 1000);
    }
    return gen.connections;
  }

  private rendered(renderer: TopologyRenderer): RenderedTopology {
    return this.renderedIn(this.current(), renderer);
  }

  private renderedIn(gen: Generation, renderer: TopologyRenderer): RenderedTopology {
    const name = renderer.descriptor.name;
    let topology = gen.rendered.get(name);
    if (!topology) {
      const connections = this.connections(gen);
      let memo = this.memos.get(name);
      if (!memo) this.memos.set(name, (memo = new WeakMap()));
      const started = performance.now();
      topology = renderer.render(gen.report, connections, memo);
      this.metrics?.renderSeconds.observe({ topology: name }, (performance.now() - started) / 1000);
      gen.rendered.set(name, topology);
    }
    return topology;
  }

  private rebuild(cached: CachedView): void {
    const gen = this.current();
    cached.view = this.viewIn(gen, this.renderer(cached.name), cached.query);
    cached.generation = gen.number;
    cached.json = undefined;
  }

  private viewIn(gen: Generation, renderer: TopologyRenderer, query: ParsedQuery): TopologyView {
    const topology = this.renderedIn(gen, renderer);
    const started = performance.now();
    const view = buildView(topology, query, renderer.descriptor, gen.at);
    this.metrics?.viewSeconds.observe({ topology: renderer.descriptor.name }, (performance.now() - started) / 1000);
    return view;
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
