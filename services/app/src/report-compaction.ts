/**
 * What the window keeps of a validated report: the report normalised as `normalizeReport` would, with every metric
 * series cut to its latest sample, and with the labels, adjacency and parents of a node that did not change since
 * the probe's previous report shared with that report instead of held twice.
 *
 * Why the latest sample is enough: views show a node's latest value of each metric, and the latest sample of a merge
 * is the later (on a tie, the larger) of each side's latest sample, so cutting series before or after merging and
 * expiring gives the same latest values. The samples themselves go to the metric history (metric-history.ts), which
 * the details charts read. Why sharing: at 1,000 probes the window holds ~1.2 M nodes across two reports per probe,
 * and most of a node's parts are the same from one report to the next.
 */
import type { MetricSeries, ProbeReport, ReportNode, Topologies, Topology } from '../../lib/report/report-schema';

/** Receives every node's series as the probe sent them (not yet in time order). */
export type SampleSink = (topology: string, id: string, metrics: Record<string, MetricSeries>) => void;

const EMPTY_METRICS: Record<string, MetricSeries> = Object.freeze({}) as Record<string, MetricSeries>;
const EMPTY_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const EMPTY_PARENTS: Record<string, string[]> = Object.freeze({}) as Record<string, string[]>;
const EMPTY_IDS: string[] = Object.freeze([]) as unknown as string[];

/**
 * `report` as validated (report-validation.ts), `previous` the same probe's last compacted report. Fields the
 * schema does not know are dropped here, as `parseProbeReport` drops them.
 */
export function compactReport(report: ProbeReport, previous: ProbeReport | undefined, sink?: SampleSink): ProbeReport {
  const topologies: Topologies = {};
  const shared: SharedParents = new Map();
  for (const name of Object.keys(report.topologies)) {
    const before = previous?.topologies[name];
    const source = report.topologies[name];
    const out: Topology = {};
    for (const id of Object.keys(source)) {
      const node = source[id];
      if (sink) sink(name, id, node.metrics);
      out[id] = compactNode(node, before?.[id], shared);
    }
    topologies[name] = out;
  }
  const stats = report.stats;
  return {
    schemaVersion: report.schemaVersion,
    probe: { id: report.probe.id, version: report.probe.version },
    host: report.host,
    timestamp: report.timestamp,
    intervalSeconds: report.intervalSeconds,
    topologies,
    stats: {
      droppedReports: stats.droppedReports,
      collectionErrors: copyStrings(stats.collectionErrors, undefined),
      ...(stats.collectionCpuSeconds === undefined ? {} : { collectionCpuSeconds: stats.collectionCpuSeconds }),
    },
  };
}

/**
 * Parents objects by content within one report: a process's sockets all name the same process, container and host,
 * and sharing one object lets the connection resolver find an endpoint's owner by identity instead of by text.
 */
type SharedParents = Map<string, Record<string, string[]>>;

function compactNode(node: ReportNode, before: ReportNode | undefined, shared: SharedParents): ReportNode {
  let parents = parentLists(node.parents, before?.parents);
  if (parents !== EMPTY_PARENTS) {
    const key = parentsKey(parents);
    const seen = shared.get(key);
    if (seen) parents = seen;
    else shared.set(key, parents);
  }
  return {
    timestamp: node.timestamp,
    labels: copyStrings(node.labels, before?.labels),
    metrics: latestSamples(node.metrics),
    adjacency: idList(node.adjacency, before?.adjacency),
    parents,
  };
}

function parentsKey(parents: Record<string, string[]>): string {
  let key = '';
  for (const k in parents) key += `${k}\u0000${parents[k].join('\u0000')}\u0001`;
  return key;
}

/** Each series as its latest sample: the later one, and of two at one time the larger value (normalizeSamples' rule). */
function latestSamples(metrics: Record<string, MetricSeries>): Record<string, MetricSeries> {
  let out: Record<string, MetricSeries> | undefined;
  for (const name of Object.keys(metrics)) {
    if (name === '__proto__') continue;
    const samples = metrics[name].samples;
    if (samples.length === 0) {
      (out ??= {})[name] = { samples: [] };
      continue;
    }
    let best = samples[0];
    for (let i = 1; i < samples.length; i++) {
      const s = samples[i];
      if (s[0] > best[0] || (s[0] === best[0] && s[1] > best[1])) best = s;
    }
    (out ??= {})[name] = { samples: [[best[0], best[1]]] };
  }
  return out ?? EMPTY_METRICS;
}

/** A copy of a string map without `__proto__` (zod's records drop it too), or `before` when equal to it. */
function copyStrings(map: Record<string, string>, before: Record<string, string> | undefined): Record<string, string> {
  const keys = Object.keys(map);
  if (before !== undefined && sameStrings(map, keys, before)) return before;
  if (keys.length === 0) return EMPTY_LABELS;
  const out: Record<string, string> = {};
  for (const k of keys) if (k !== '__proto__') out[k] = map[k];
  return out;
}

function sameStrings(map: Record<string, string>, keys: string[], before: Record<string, string>): boolean {
  let n = 0;
  for (const k in before) {
    if (map[k] !== before[k] || !Object.prototype.hasOwnProperty.call(map, k)) return false;
    n++;
  }
  return n === keys.length;
}

/** Sorted without repeats (as normalizeNode makes them), or `before` when equal to it. */
function idList(ids: readonly string[], before: readonly string[] | undefined): string[] {
  const list = isSortedUnique(ids) ? ids : sortedUnique(ids);
  if (before !== undefined && sameList(list, before)) return before as string[];
  return list.length === 0 ? EMPTY_IDS : (list as string[]);
}

function parentLists(parents: Record<string, string[]>, before: Record<string, string[]> | undefined): Record<string, string[]> {
  const keys = Object.keys(parents);
  if (keys.length === 0) return EMPTY_PARENTS;
  let same = before !== undefined;
  let n = 0;
  const out: Record<string, string[]> = {};
  for (const k of keys) {
    if (k === '__proto__') continue;
    const prior = before?.[k];
    const list = idList(parents[k], prior);
    if (list !== prior) same = false;
    out[k] = list;
    n++;
  }
  if (same && before !== undefined && Object.keys(before).length === n) return before;
  return out;
}

function isSortedUnique(ids: readonly string[]): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) return false;
  return true;
}

function sortedUnique(ids: readonly string[]): string[] {
  const sorted = [...ids].sort();
  return sorted.filter((id, i) => i === 0 || id !== sorted[i - 1]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A node with each series cut to its latest sample (what `compactReport` does to a report), for comparisons. */
export function latestOnly(node: ReportNode): ReportNode {
  return { ...node, metrics: latestSamples(node.metrics) };
}
