/**
 * Merging reports. `merge` is a join: commutative, associative and idempotent, so the app can merge reports in any
 * order, from any number of probes, and a report delivered twice changes nothing. Per node:
 *
 * - the newer sample's labels win whole (ties broken by the labels' canonical text, so the choice is the same
 *   whichever side they come from), and the node's timestamp is the newer one;
 * - metric series are unions of samples, one per timestamp (the larger value), the newest REPORT_LIMITS.seriesSamples;
 * - adjacency and parents are set unions.
 *
 * Merged reports are values: nothing here mutates its inputs, and parts only one side has are shared, not copied.
 * Inputs must be normalised (parseProbeReport does it); results are too.
 */
import { ProbeReport, REPORT_LIMITS, ReportNode, Sample, MetricSeries, Topologies, Topology } from './report-schema';

/** What the app knows of one probe from its newest report. */
export interface ProbeSummary {
  id: string;
  version: string;
  host: string;
  /** The newest report's timestamp (ms). */
  timestamp: number;
  intervalSeconds: number;
  droppedReports: number;
  collectionErrors: Record<string, string>;
}

export interface MergedReport {
  /** By probe id. */
  probes: Record<string, ProbeSummary>;
  topologies: Topologies;
}

export const EMPTY_REPORT: MergedReport = Object.freeze({ probes: Object.freeze({}), topologies: Object.freeze({}) }) as MergedReport;

export function fromProbeReport(report: ProbeReport): MergedReport {
  const summary: ProbeSummary = {
    id: report.probe.id,
    version: report.probe.version,
    host: report.host,
    timestamp: report.timestamp,
    intervalSeconds: report.intervalSeconds,
    droppedReports: report.stats.droppedReports,
    collectionErrors: report.stats.collectionErrors,
  };
  return { probes: { [summary.id]: summary }, topologies: report.topologies };
}

export function merge(a: MergedReport, b: MergedReport): MergedReport {
  if (a === b) return a;
  return { probes: mergeMaps(a.probes, b.probes, newerProbe), topologies: mergeMaps(a.topologies, b.topologies, mergeTopology) };
}

/**
 * Merges many reports in one pass over their nodes (pairwise `merge` would copy the growing maps each time). Equal
 * to folding `merge` over them in any order.
 */
export function mergeAll(reports: Iterable<MergedReport>): MergedReport {
  const probes = new Map<string, ProbeSummary>();
  const topologies = new Map<string, Map<string, ReportNode>>();
  for (const report of reports) {
    for (const [id, probe] of Object.entries(report.probes)) {
      const seen = probes.get(id);
      probes.set(id, seen === undefined ? probe : newerProbe(seen, probe));
    }
    for (const [name, topology] of Object.entries(report.topologies)) {
      let nodes = topologies.get(name);
      if (nodes === undefined) topologies.set(name, (nodes = new Map()));
      for (const [id, node] of Object.entries(topology)) {
        const seen = nodes.get(id);
        nodes.set(id, seen === undefined ? node : mergeNode(seen, node));
      }
    }
  }
  const merged: MergedReport = { probes: Object.fromEntries(probes), topologies: {} };
  for (const [name, nodes] of topologies) merged.topologies[name] = Object.fromEntries(nodes);
  return merged;
}

/**
 * What the app shows over a sliding window: the reports taken at or after `cutoff`, each cut to what was sampled at
 * or after it, merged. A probe that stops reporting drops out once its last report is older than the cutoff.
 *
 * Expiring before merging matters: adjacency and parents carry no time, so a node's stale connections would
 * otherwise live as long as any newer sample of it.
 */
export function mergeWindow(reports: Iterable<MergedReport>, cutoff: number): MergedReport {
  const live: MergedReport[] = [];
  for (const report of reports) {
    const expired = expire(report, cutoff);
    if (Object.keys(expired.probes).length > 0 || Object.keys(expired.topologies).length > 0) live.push(expired);
  }
  return mergeAll(live);
}

/** The report without what was sampled before `cutoff`: probes, nodes and samples. */
export function expire(report: MergedReport, cutoff: number): MergedReport {
  const probes: Record<string, ProbeSummary> = {};
  for (const [id, probe] of Object.entries(report.probes)) if (probe.timestamp >= cutoff) probes[id] = probe;
  const topologies: Topologies = {};
  for (const [name, topology] of Object.entries(report.topologies)) {
    const kept: Topology = {};
    let any = false;
    for (const [id, node] of Object.entries(topology)) {
      if (node.timestamp < cutoff) continue;
      kept[id] = expireSamples(node, cutoff);
      any = true;
    }
    if (any) topologies[name] = kept;
  }
  return { probes, topologies };
}

export function mergeTopology(a: Topology, b: Topology): Topology {
  return mergeMaps(a, b, mergeNode);
}

export function mergeNode(a: ReportNode, b: ReportNode): ReportNode {
  if (a === b) return a;
  const winner = compareSamples(a, b) >= 0 ? a : b;
  return {
    timestamp: winner.timestamp,
    labels: winner.labels,
    metrics: mergeMaps(a.metrics, b.metrics, mergeSeries),
    adjacency: unionSorted(a.adjacency, b.adjacency),
    parents: mergeMaps(a.parents, b.parents, unionSorted),
  };
}

export function mergeSeries(a: MetricSeries, b: MetricSeries): MetricSeries {
  if (a === b) return a;
  return { samples: mergeSamples(a.samples, b.samples) };
}

/** Orders two samples of one node: the newer first, then the one whose labels sort later. */
function compareSamples(a: ReportNode, b: ReportNode): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  if (a.labels === b.labels) return 0;
  const ka = canonicalLabels(a.labels);
  const kb = canonicalLabels(b.labels);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function canonicalLabels(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

function newerProbe(a: ProbeSummary, b: ProbeSummary): ProbeSummary {
  if (a === b || a.timestamp > b.timestamp) return a;
  if (b.timestamp > a.timestamp) return b;
  return JSON.stringify(a) >= JSON.stringify(b) ? a : b;
}

function expireSamples(node: ReportNode, cutoff: number): ReportNode {
  let changed = false;
  const metrics: Record<string, MetricSeries> = {};
  for (const [name, series] of Object.entries(node.metrics)) {
    const samples = series.samples;
    if (samples.length === 0 || samples[0][0] >= cutoff) {
      metrics[name] = series;
      continue;
    }
    changed = true;
    const kept = samples.filter((s) => s[0] >= cutoff);
    if (kept.length > 0) metrics[name] = { samples: kept };
  }
  return changed ? { ...node, metrics } : node;
}

/** Two time-ordered sample lists as one: one sample per timestamp (the larger value), the newest ones kept. */
function mergeSamples(a: readonly Sample[], b: readonly Sample[]): Sample[] {
  if (a.length === 0) return b as Sample[];
  if (b.length === 0) return a as Sample[];
  const out: Sample[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x[0] < y[0])) out.push(a[i++]);
    else if (x === undefined || y[0] < x[0]) out.push(b[j++]);
    else {
      out.push(x[1] >= y[1] ? x : y);
      i++;
      j++;
    }
  }
  return out.length > REPORT_LIMITS.seriesSamples ? out.slice(out.length - REPORT_LIMITS.seriesSamples) : out;
}

/** The union of two sorted, duplicate-free lists, sorted and duplicate-free. */
function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  if (a === b || b.length === 0) return a as string[];
  if (a.length === 0) return b as string[];
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) out.push(a[i++]);
    else if (b[j] < a[i]) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

/** Keys of either map; where both have one, `join` of the two values. Values only one side has are shared. */
function mergeMaps<V>(a: Record<string, V>, b: Record<string, V>, join: (x: V, y: V) => V): Record<string, V> {
  if (a === b) return a;
  const out: Record<string, V> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Object.prototype.hasOwnProperty.call(a, k) ? join(a[k], v) : v;
  return out;
}
