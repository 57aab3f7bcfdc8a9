/**
 * The sliding window over probe reports, and the merged report the renderers read.
 *
 * The merged report is `mergeWindow` of the contract applied per probe (each probe's reports cut at its own cutoff)
 * and joined across probes, with series cut to their latest sample (report-compaction.ts says why that changes no
 * view). It is kept incrementally, because at 1,000 probes it holds ~600k nodes and re-merging it all for every
 * generation would cost more than ingesting: a probe's *contribution* (the join of its live reports) is recomputed
 * only when it sent a report or when the cutoff passed one of its timestamps, and only the ids that contribution
 * touches are re-joined in the merged maps. Ingest only queues; `advance` does that work, once per generation, so
 * the merged report stays the same between generations and every view of one generation sees the same data.
 *
 * A probe's window is the configured window, but never less than its own interval plus a grace: with the defaults
 * (15 s both) a report would otherwise age out just before the next one arrives and the probe would blink out.
 *
 * A report keeps only what no newer report of its probe dominates (see `dominates`): a node the next report has
 * again, with the same or more adjacency and parents and later samples, would add nothing to any join at any later
 * cutoff, so holding it is memory for nothing. With steady connections a probe holds one report, not two; what
 * stays of the older one is what changed (connections that closed, processes that exited), until it ages out.
 */
import { expire, fromProbeReport, MergedReport, mergeNode, ProbeSummary } from '../../lib/report/report-merge';
import type { MetricSeries, ProbeReport, ReportNode, Topologies, Topology } from '../../lib/report/report-schema';
import type { ProbeStatus } from './api-shapes';
import type { MergedMaps } from './merged-maps';
import { latestTime, latestValue } from './report-compaction';
import { runToEnd, StepBudget, UNBOUNDED } from './renderers/render-model';

export interface ReportWindowOptions {
  windowMs: number;
  /** Added to a probe's interval where that exceeds the window: collection time, delivery, a retry after a 503. */
  graceMs?: number;
  /** How long a probe that aged out stays in `probes()` as gone. */
  goneRetentionMs?: number;
  /** Live reports kept per probe; beyond it the two oldest are folded into one (a probe reporting far too often). */
  maxReportsPerProbe?: number;
  /** Probes remembered (live, gone, or only ever refused); beyond it new ids are not tracked. */
  maxProbes?: number;
  clock?: () => number;
}

/** A report as the window holds it, with the span of its timestamps so most cutoffs need no look inside. */
interface WindowedReport {
  part: MergedReport;
  /** The report's own timestamp, which orders a probe's reports. */
  at: number;
  /** The smallest report, node or latest-sample timestamp in it: nothing expires before the cutoff passes this. */
  oldest: number;
  /** The largest: the report is gone once the cutoff passes this. */
  newest: number;
}

interface ProbeEntry {
  id: string;
  reports: WindowedReport[];
  /** The newest report received (by timestamp), live or not: its summary and the base for the next compaction. */
  newest?: ProbeReport;
  refused: number;
  contribution: Topologies;
  /** Ids of its contribution another probe reported too (they go to the shared part). */
  sharedIds: number;
  /** Its part of the merged report: the contribution without the shared ids. */
  part?: Topologies;
  /** The newest live report's summary: what the merged report lists for this probe. */
  summary?: ProbeSummary;
  /** The contribution changes through time alone once the cutoff passes this. */
  nextChange: number;
  dirty: boolean;
}

/** One topology's merged nodes and, beside them, which probe (or probes) reported each id. */
interface TopologyMaps {
  owners: Map<string, ProbeEntry | ProbeEntry[]>;
  nodes: Map<string, ReportNode>;
}

/** Slack on a probe's interval before it counts as late. */
const OK_SLACK_MS = 2000;

export class ReportWindow {
  readonly windowMs: number;
  private readonly graceMs: number;
  private readonly goneRetentionMs: number;
  private readonly maxReports: number;
  private readonly maxProbes: number;
  readonly clock: () => number;
  private readonly entries = new Map<string, ProbeEntry>();
  private readonly merged = new Map<string, Map<string, ReportNode>>();
  private readonly owners = new Map<string, Map<string, ProbeEntry | ProbeEntry[]>>();
  private probeSummaries: Record<string, ProbeSummary> = {};
  private parts: Topologies[] = [];
  /** Ids more than one probe reported, by topology. */
  private readonly shared = new Map<string, Set<string>>();
  private pending = false;
  private gen = 0;
  private mapVersion = 0;

  constructor(options: ReportWindowOptions) {
    this.windowMs = options.windowMs;
    this.graceMs = options.graceMs ?? 5000;
    this.goneRetentionMs = options.goneRetentionMs ?? 10 * 60_000;
    this.maxReports = options.maxReportsPerProbe ?? 64;
    this.maxProbes = options.maxProbes ?? 20_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Increases whenever `advance` changed the merged report. */
  get generation(): number {
    return this.gen;
  }

  /** True when reports arrived since the last `advance` (expiry is found only by advancing). */
  get hasPending(): boolean {
    return this.pending;
  }

  /** The newest report this probe sent, for compacting its next one against. */
  previous(probeId: string): ProbeReport | undefined {
    return this.entries.get(probeId)?.newest;
  }

  /** Queues a compacted report; it shows after the next `advance`. */
  add(report: ProbeReport): void {
    const entry = this.entry(report.probe.id);
    if (!entry) return;
    let windowed: WindowedReport | undefined = windowedReport(fromProbeReport(report), report.timestamp);
    let at = entry.reports.length;
    while (at > 0 && entry.reports[at - 1].at > report.timestamp) at--;
    // Older reports lose what the new one dominates; a report that arrived late loses what newer ones dominate.
    const reports: WindowedReport[] = [];
    for (let i = 0; i < at; i++) {
      const reduced = reduceBy(entry.reports[i], windowed);
      if (reduced) reports.push(reduced);
    }
    for (let i = at; i < entry.reports.length && windowed; i++) windowed = reduceBy(windowed, entry.reports[i]);
    if (windowed) reports.push(windowed);
    for (let i = at; i < entry.reports.length; i++) reports.push(entry.reports[i]);
    entry.reports = reports;
    if (entry.reports.length > this.maxReports) {
      const [a, b] = entry.reports.splice(0, 2);
      entry.reports.unshift(windowedReport(joinParts([a.part, b.part]), b.at));
    }
    if (!entry.newest || report.timestamp >= entry.newest.timestamp) entry.newest = report;
    entry.dirty = true;
    this.pending = true;
  }

  /** Counts a refused report against the probe that sent it, when it said who it is. */
  refused(probeId: string | undefined): void {
    if (probeId === undefined || probeId === '' || probeId.length > 128) return;
    const entry = this.entry(probeId);
    if (entry) entry.refused++;
  }

  /**
   * Increases whenever the merged maps change in place (an id set or deleted). A reader working across event-loop
   * turns compares it before each step to know the maps it read from are still the ones it started on.
   */
  get version(): number {
    return this.mapVersion;
  }

  /** Applies queued reports and expiry at the current time; returns the merged report and whether it changed. */
  advance(): { report: MergedMaps; changed: boolean } {
    return runToEnd(this.advanceSteps(UNBOUNDED));
  }

  /**
   * `advance` in steps: yields between probes once `budget` is spent (it is asked once per probe recomputed), so
   * seconds of queued reports are not applied in one stretch of the event loop. Between its steps the merged maps
   * are part old, part new (`version` has moved): nothing may render from them until it returns.
   */
  *advanceSteps(budget: StepBudget): Generator<void, { report: MergedMaps; changed: boolean }> {
    const now = this.clock();
    let changed = false;
    // Reports queued while the steps run mark their probe dirty again; one already passed waits for the next advance.
    this.pending = false;
    for (const entry of this.entries.values()) {
      const cutoff = now - this.windowOf(entry);
      if (entry.dirty || cutoff > entry.nextChange) {
        changed = this.recompute(entry, cutoff) || changed;
        if (budget.spent()) yield;
      }
      if (entry.reports.length === 0 && now - (entry.newest?.timestamp ?? 0) > this.goneRetentionMs + this.windowOf(entry)) this.entries.delete(entry.id);
    }
    if (changed) {
      this.gen++;
      const probes: Record<string, ProbeSummary> = {};
      for (const entry of this.entries.values()) if (entry.summary) probes[entry.id] = entry.summary;
      this.probeSummaries = probes;
      this.parts = this.makeParts();
    }
    return { report: { probes: this.probeSummaries, topologies: this.merged, parts: this.parts }, changed };
  }

  /** Every probe known: live, late, gone (for a while) and those only ever refused. */
  probes(): ProbeStatus[] {
    const now = this.clock();
    const out: ProbeStatus[] = [];
    for (const entry of this.entries.values()) {
      const newest = entry.newest;
      const lastSeen = newest?.timestamp ?? 0;
      const intervalMs = (newest?.intervalSeconds ?? 0) * 1000;
      const age = now - lastSeen;
      out.push({
        id: entry.id,
        host: newest?.host ?? '',
        version: newest?.probe.version ?? '',
        lastSeen,
        intervalSeconds: newest?.intervalSeconds ?? 0,
        droppedReports: newest?.stats.droppedReports ?? 0,
        refusedReports: entry.refused,
        collectionErrors: newest?.stats.collectionErrors ?? {},
        status: newest && age <= intervalMs + OK_SLACK_MS ? 'ok' : newest && age <= this.windowOf(entry) ? 'late' : 'gone',
      });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Nodes the window holds per topology, and live reports in all. */
  size(): { nodes: Record<string, number>; reports: number } {
    const nodes: Record<string, number> = {};
    for (const [name, owners] of this.owners) nodes[name] = owners.size;
    let reports = 0;
    for (const entry of this.entries.values()) reports += entry.reports.length;
    return { nodes, reports };
  }

  /** Each probe's contribution, without what another probe reported too; those ids, joined, as one more part. */
  private makeParts(): Topologies[] {
    const parts: Topologies[] = [];
    for (const entry of this.entries.values()) {
      if (entry.sharedIds === 0) entry.part = entry.contribution;
      else if (entry.part === undefined) {
        const part: Topologies = {};
        for (const name of Object.keys(entry.contribution)) {
          const ids = this.shared.get(name);
          const topology: Topology = {};
          for (const id of Object.keys(entry.contribution[name])) if (!ids?.has(id)) topology[id] = entry.contribution[name][id];
          part[name] = topology;
        }
        entry.part = part;
      }
      if (Object.keys(entry.part).length > 0) parts.push(entry.part);
    }
    if (this.shared.size > 0) {
      const part: Topologies = {};
      for (const [name, ids] of this.shared) {
        const topology: Topology = (part[name] = {});
        const nodes = this.merged.get(name)!;
        for (const id of ids) topology[id] = nodes.get(id)!;
      }
      parts.push(part);
    }
    return parts;
  }

  /** Marks an id as reported by several probes, or by one again; their parts are rebuilt. */
  private markShared(name: string, id: string, entries: readonly ProbeEntry[], shared: boolean): void {
    let ids = this.shared.get(name);
    if (shared) {
      if (!ids) this.shared.set(name, (ids = new Set()));
      ids.add(id);
    } else if (ids) {
      ids.delete(id);
      if (ids.size === 0) this.shared.delete(name);
    }
    for (const e of entries) {
      e.sharedIds += shared ? 1 : -1;
      e.part = undefined;
    }
  }

  private windowOf(entry: ProbeEntry): number {
    const interval = (entry.newest?.intervalSeconds ?? 0) * 1000;
    return Math.max(this.windowMs, interval + this.graceMs);
  }

  private entry(id: string): ProbeEntry | undefined {
    let entry = this.entries.get(id);
    if (!entry) {
      if (this.entries.size >= this.maxProbes) return undefined;
      entry = { id, reports: [], refused: 0, contribution: {}, sharedIds: 0, nextChange: Infinity, dirty: false };
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Recomputes one probe's contribution at `cutoff` and re-joins the ids it touches. True if anything changed. */
  private recompute(entry: ProbeEntry, cutoff: number): boolean {
    const live: WindowedReport[] = [];
    let next = Infinity;
    for (const r of entry.reports) {
      if (r.newest < cutoff) continue;
      const kept = r.oldest >= cutoff ? r : windowedReport(expire(r.part, cutoff), r.at);
      live.push(kept);
      if (kept.oldest < next) next = kept.oldest;
    }
    entry.reports = live;
    entry.nextChange = next;
    entry.dirty = false;
    let summary: ProbeSummary | undefined;
    for (const r of live) {
      const s = r.part.probes[entry.id];
      if (s && (!summary || s.timestamp >= summary.timestamp)) summary = s;
    }
    let changed = summary !== entry.summary;
    entry.summary = summary;
    const before = entry.contribution;
    const after = live.length === 0 ? {} : live.length === 1 ? live[0].part.topologies : joinParts(live.map((r) => r.part)).topologies;
    entry.contribution = after;
    entry.part = undefined;
    for (const name of Object.keys(before)) {
      const now = after[name];
      for (const id of Object.keys(before[name])) {
        if (now === undefined || now[id] === undefined) {
          this.removeOwner(name, id, entry);
          changed = true;
        }
      }
    }
    for (const name of Object.keys(after)) {
      const was = before[name];
      const topology = after[name];
      // Every node of every report passes here (~42k a second at the benchmark's fleet), and a lookup in maps of
      // ~630k ids is a cache miss or two: the maps are looked up once per topology (nothing below removes them), and
      // a node the probe owned alone before needs no look at its owner.
      let maps: TopologyMaps | undefined;
      for (const id of Object.keys(topology)) {
        const prior = was?.[id];
        const node = topology[id];
        if (prior === node) continue;
        maps ??= this.mapsOf(name);
        changed = true;
        // An id it had before and none of whose ids another probe reports: it owns the id alone, as it did.
        if (prior !== undefined && entry.sharedIds === 0) {
          this.mapVersion++;
          maps.nodes.set(id, node);
        } else this.setOwner(maps, name, id, entry, node);
      }
    }
    return changed;
  }

  private mapsOf(name: string): TopologyMaps {
    let owners = this.owners.get(name);
    if (!owners) {
      this.owners.set(name, (owners = new Map()));
      this.merged.set(name, new Map());
    }
    return { owners, nodes: this.merged.get(name)! };
  }

  private setOwner(maps: TopologyMaps, name: string, id: string, entry: ProbeEntry, node: ReportNode): void {
    this.mapVersion++;
    const { owners, nodes: topology } = maps;
    const owner = owners.get(id);
    if (owner === entry) {
      topology.set(id, node);
      return;
    }
    if (owner === undefined) {
      owners.set(id, entry);
      topology.set(id, node);
      return;
    }
    const list = Array.isArray(owner) ? owner : [owner];
    if (!list.includes(entry)) {
      this.markShared(name, id, list.length === 1 ? [list[0], entry] : [entry], true);
      list.push(entry);
    }
    owners.set(id, list);
    topology.set(id, joinOwners(list, name, id));
  }

  private removeOwner(name: string, id: string, entry: ProbeEntry): void {
    this.mapVersion++;
    const { owners, nodes: topology } = this.mapsOf(name);
    const owner = owners.get(id);
    if (owner === entry) {
      owners.delete(id);
      topology.delete(id);
      if (owners.size === 0) {
        this.owners.delete(name);
        this.merged.delete(name);
      }
      return;
    }
    if (!Array.isArray(owner)) return;
    const list = owner.filter((e) => e !== entry);
    if (list.length === 1) {
      this.markShared(name, id, [entry, list[0]], false);
    } else {
      entry.sharedIds--;
      entry.part = undefined;
    }
    owners.set(id, list.length === 1 ? list[0] : list);
    topology.set(id, joinOwners(list, name, id));
  }
}

function joinOwners(list: ProbeEntry[], name: string, id: string): ReportNode {
  let node: ReportNode | undefined;
  for (const e of list) {
    const n = e.contribution[name][id];
    node = node === undefined ? n : joinNodes(node, n);
  }
  return node!;
}

function windowedReport(part: MergedReport, at: number): WindowedReport {
  let oldest = Infinity;
  let newest = -Infinity;
  const see = (t: number) => {
    if (t < oldest) oldest = t;
    if (t > newest) newest = t;
  };
  for (const summary of Object.values(part.probes)) see(summary.timestamp);
  for (const topology of Object.values(part.topologies)) {
    for (const id in topology) {
      const node = topology[id];
      see(node.timestamp);
      for (const m in node.metrics) {
        const t = latestTime(node.metrics[m]);
        if (t !== undefined) see(t);
      }
    }
  }
  return { part, at, oldest, newest };
}

/**
 * `older` without what `newer` dominates; undefined when nothing is left. `newer` must not be older than `older`.
 */
function reduceBy(older: WindowedReport, newer: WindowedReport): WindowedReport | undefined {
  const probes: Record<string, ProbeSummary> = {};
  let changed = false;
  for (const [id, summary] of Object.entries(older.part.probes)) {
    const later = newer.part.probes[id];
    if (later && (later.timestamp > summary.timestamp || JSON.stringify(later) === JSON.stringify(summary))) changed = true;
    else probes[id] = summary;
  }
  const topologies: Topologies = {};
  let kept = Object.keys(probes).length;
  for (const name of Object.keys(older.part.topologies)) {
    const from = older.part.topologies[name];
    const over = newer.part.topologies[name];
    let topology: Topology | undefined;
    for (const id in from) {
      if (over !== undefined && over[id] !== undefined && dominates(over[id], from[id])) {
        changed = true;
        continue;
      }
      (topology ??= {})[id] = from[id];
      kept++;
    }
    if (topology) topologies[name] = topology;
  }
  if (!changed) return older;
  return kept === 0 ? undefined : windowedReport({ probes, topologies }, older.at);
}

/**
 * Whether `a` makes `b` redundant in every join at every cutoff: sampled no earlier (so it expires no earlier, and
 * its labels win — on a tie only if they are the same labels), every adjacency and parent of `b` in `a` (and every
 * parents key, even an empty one), and every metric of `b` with a sample in `a` no earlier and no smaller.
 */
function dominates(a: ReportNode, b: ReportNode): boolean {
  if (a === b) return true;
  if (a.timestamp < b.timestamp) return false;
  if (a.timestamp === b.timestamp && a.labels !== b.labels && JSON.stringify(a.labels) !== JSON.stringify(b.labels)) return false;
  if (!containsAll(a.adjacency, b.adjacency)) return false;
  if (a.parents !== b.parents) {
    for (const k in b.parents) if (a.parents[k] === undefined || !containsAll(a.parents[k], b.parents[k])) return false;
  }
  for (const m in b.metrics) {
    const series = a.metrics[m];
    if (series === undefined || laterSample(b.metrics[m], series)) return false;
    // An empty series never expires with its samples; only another empty one outlives it.
    if (latestTime(b.metrics[m]) === undefined && latestTime(series) !== undefined) return false;
  }
  return true;
}

/** Whether sorted, duplicate-free `a` holds every element of sorted `b`. */
function containsAll(a: readonly string[], b: readonly string[]): boolean {
  if (a === b || b.length === 0) return true;
  let i = 0;
  for (const x of b) {
    while (i < a.length && a[i] < x) i++;
    if (i === a.length || a[i] !== x) return false;
    i++;
  }
  return true;
}

/** `mergeAll` of latest-only reports, keeping series latest-only. */
function joinParts(parts: MergedReport[]): MergedReport {
  const probes: Record<string, ProbeSummary> = {};
  const topologies: Topologies = {};
  for (const part of parts) {
    for (const [id, summary] of Object.entries(part.probes)) if (!probes[id] || summary.timestamp >= probes[id].timestamp) probes[id] = summary;
    for (const name of Object.keys(part.topologies)) {
      const from = part.topologies[name];
      const into: Topology = (topologies[name] ??= {});
      for (const id in from) {
        const seen = into[id];
        into[id] = seen === undefined ? from[id] : joinNodes(seen, from[id]);
      }
    }
  }
  return { probes, topologies };
}

/**
 * `mergeNode` of two latest-only nodes, latest-only again. The common case, the same node in consecutive reports of
 * one probe with its labels, adjacency and parents shared by compaction, costs no allocation beyond the result.
 */
export function joinNodes(a: ReportNode, b: ReportNode): ReportNode {
  if (a === b) return a;
  if (a.labels === b.labels && a.adjacency === b.adjacency && a.parents === b.parents) {
    const [older, newer] = a.timestamp <= b.timestamp ? [a, b] : [b, a];
    const metrics = joinMetrics(older.metrics, newer.metrics);
    return metrics === newer.metrics ? newer : { ...newer, metrics };
  }
  const merged = mergeNode(a, b);
  return { ...merged, metrics: joinMetrics(a.metrics, b.metrics) };
}

/** Per metric the later sample (on a tie the larger value); `b` itself when it already holds every winner. */
function joinMetrics(a: Record<string, MetricSeries>, b: Record<string, MetricSeries>): Record<string, MetricSeries> {
  if (a === b) return a;
  let out: Record<string, MetricSeries> | undefined;
  for (const name in a) {
    const series = b[name];
    if (series !== undefined && !laterSample(a[name], series)) continue;
    (out ??= { ...b })[name] = a[name];
  }
  return out ?? b;
}

/** Whether `a`'s latest sample beats `b`'s: later, or at the same time larger. An empty series never beats. */
function laterSample(a: MetricSeries, b: MetricSeries): boolean {
  const x = latestTime(a);
  if (x === undefined) return false;
  const y = latestTime(b);
  return y === undefined || x > y || (x === y && latestValue(a) > latestValue(b));
}
