/**
 * Generations and views. A generation is the merged report at one moment, with its connections resolved and its
 * topologies rendered on demand; a view is one query of one topology at one generation, kept with its JSON.
 *
 * Reads never wait for rendering when they need not: `tick` (every 250 ms in the app) makes a new generation when
 * reports changed — at most once per pacing interval, which is at least a second and at least three times what the
 * last generation cost, so rendering stays under a third of a core whatever the load — and rebuilds the views asked
 * for recently, so a request finds its view ready. A request rebuilds itself only when nothing has kept its view
 * fresh (the last generation is older than `maxStaleMs`) or it is the first of its kind.
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
  json?: string;
}

export class TopologyService {
  private readonly window: ReportWindow;
  private readonly history: MetricHistory;
  private readonly metrics?: AppMetrics;
  private readonly minGenerationMs: number;
  private readonly maxStaleMs: number;
  private readonly hotMs: number;
  private readonly maxCachedViews: number;
  private readonly resolver = new ConnectionResolver();
  private readonly memos = new Map<string, RenderMemo>();
  private readonly views = new Map<string, CachedView>();
  private readonly listeners: Array<() => void> = [];
  private generation?: Generation;
  private pacingMs: number;
  private listAskedAt = -Infinity;

  constructor(options: TopologyServiceOptions) {
    this.window = options.window;
    this.history = options.history;
    this.metrics = options.metrics;
    this.minGenerationMs = options.minGenerationMs ?? 1000;
    this.maxStaleMs = Math.max(options.maxStaleMs ?? 5000, this.minGenerationMs);
    this.hotMs = options.hotMs ?? 30_000;
    this.maxCachedViews = options.maxCachedViews ?? 64;
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
   * Makes a new generation if reports changed and the pacing allows, then rebuilds the hot views and tells the
   * listeners. Returns whether there is a new generation.
   */
  tick(): boolean {
    const now = this.clock();
    const hot = this.hotViews(now);
    if (hot.length === 0 && now - this.listAskedAt > this.hotMs) return false;
    const started = performance.now();
    if (!this.refresh()) return false;
    if (now - this.listAskedAt <= this.hotMs) this.list(false);
    for (const cached of hot) this.rebuild(cached);
    this.pace(performance.now() - started);
    for (const listener of this.listeners) listener();
    return true;
  }

  list(asked = true): TopologyList {
    if (asked) {
      this.listAskedAt = this.clock();
      this.ensureFresh();
    }
    const topologies = RENDERERS.map((r) => ({ ...r.descriptor, nodeCount: this.rendered(r).nodes.size }));
    return { topologies };
  }

  /** The view of `name` for a raw query (URL parameters); 404 for an unknown topology, 400 for a bad query. */
  view(name: string, rawQuery: Record<string, unknown>): CachedView {
    const renderer = this.renderer(name);
    return this.viewFor(renderer, parseTopologyQuery(rawQuery, renderer.descriptor));
  }

  /** The cached view for a parsed query, rebuilt if it is not of the current generation. */
  viewFor(renderer: TopologyRenderer, query: ParsedQuery, asked = true): CachedView {
    if (asked) this.ensureFresh();
    const key = `${renderer.descriptor.name}\u0000${query.key}`;
    let cached = this.views.get(key);
    if (!cached) {
      cached = { name: renderer.descriptor.name, query, generation: -1, view: undefined as unknown as TopologyView, lastAsked: 0, subscribers: 0 };
      this.views.set(key, cached);
      this.evict();
    }
    if (asked) cached.lastAsked = this.clock();
    if (cached.generation !== this.current().number) this.rebuild(cached);
    return cached;
  }

  /** The view's JSON, made once per view. */
  json(cached: CachedView): string {
    return (cached.json ??= JSON.stringify(cached.view));
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
    if (!this.generation) this.refresh(true);
    return this.generation as Generation;
  }

  private ensureFresh(): void {
    const gen = this.generation;
    if (!gen || this.clock() - gen.checked >= this.maxStaleMs) this.refresh(true);
  }

  /** Advances the window if due (or `force`d); true if that made a new generation. */
  private refresh(force = false): boolean {
    const now = this.clock();
    const gen = this.generation;
    if (gen && !force && now - gen.at < this.pacingMs) return false;
    const started = performance.now();
    const { report, changed } = this.window.advance();
    this.metrics?.mergeSeconds.observe((performance.now() - started) / 1000);
    if (gen && !changed) {
      gen.checked = now;
      return false;
    }
    this.generation = { number: this.window.generation, at: now, checked: now, report, rendered: new Map() };
    this.metrics?.generations.inc();
    if (this.history.series > 0) this.history.sweep(now);
    return true;
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
    const gen = this.current();
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
    const renderer = this.renderer(cached.name);
    const topology = this.rendered(renderer);
    const started = performance.now();
    cached.view = buildView(topology, cached.query, renderer.descriptor, gen.at);
    cached.generation = gen.number;
    cached.json = undefined;
    this.metrics?.viewSeconds.observe({ topology: cached.name }, (performance.now() - started) / 1000);
  }

  private hotViews(now: number): CachedView[] {
    const out: CachedView[] = [];
    for (const cached of this.views.values()) if (cached.subscribers > 0 || now - cached.lastAsked <= this.hotMs) out.push(cached);
    return out;
  }

  private evict(): void {
    if (this.views.size <= this.maxCachedViews) return;
    let oldest: [string, CachedView] | undefined;
    for (const entry of this.views) if (entry[1].subscribers === 0 && (!oldest || entry[1].lastAsked < oldest[1].lastAsked)) oldest = entry;
    if (oldest) this.views.delete(oldest[0]);
  }
}
