/**
 * One node's details: its view, the series of what it stands for (summed when it stands for many), what it belongs
 * to and holds, and its connections in and out, by the node at the other end and the server port.
 */
import type { Sample } from '../../lib/report/report-schema';
import type { ConnectionSummary, NodeDetails, ViewNode } from './api-shapes';
import type { MetricHistory } from './metric-history';
import type { RenderedEdge, RenderedNode, RenderedTopology } from './renderers/render-model';
import { clusterId } from './view-query';

/** Members whose series an aggregate's chart sums; beyond it the chart is of these. */
export const MAX_SERIES_MEMBERS = 500;
/** Time grid an aggregate's members are summed on. */
export const SUM_BUCKET_MS = 5000;

/** Edges by the node at each end, built once per rendered topology. */
const edgeIndexes = new WeakMap<RenderedTopology, Map<string, { inbound: RenderedEdge[]; outbound: RenderedEdge[] }>>();

function edgesOf(topology: RenderedTopology, id: string): { inbound: RenderedEdge[]; outbound: RenderedEdge[] } {
  let index = edgeIndexes.get(topology);
  if (!index) {
    index = new Map();
    const at = (node: string) => {
      let e = index!.get(node);
      if (!e) index!.set(node, (e = { inbound: [], outbound: [] }));
      return e;
    };
    for (const edge of topology.edges) {
      at(edge.view.source).outbound.push(edge);
      at(edge.view.target).inbound.push(edge);
    }
    edgeIndexes.set(topology, index);
  }
  return index.get(id) ?? { inbound: [], outbound: [] };
}

/** The details of node `id`, or of a cluster `cluster:<dimension>:<value>` of the whole topology; undefined if neither. */
export function nodeDetails(topology: RenderedTopology, id: string, history: MetricHistory, now: number): NodeDetails | undefined {
  const node = topology.nodes.get(id);
  if (node) {
    const relations = topology.relations(node);
    const edges = edgesOf(topology, id);
    return {
      topology: topology.name,
      node: node.view,
      series: seriesOf(node.members, history, now),
      parents: relations.parents,
      children: relations.children,
      connections: { inbound: summaries(topology, edges.inbound, 'source'), outbound: summaries(topology, edges.outbound, 'target') },
    };
  }
  return clusterDetails(topology, id, history, now);
}

function clusterDetails(topology: RenderedTopology, id: string, history: MetricHistory, now: number): NodeDetails | undefined {
  const m = /^cluster:([^:]+):(.*)$/.exec(id);
  if (!m) return undefined;
  const [, dimension, value] = m;
  const members: RenderedNode[] = [];
  for (const n of topology.nodes.values()) if (n.view.group[dimension] === value) members.push(n);
  if (members.length === 0) return undefined;
  const inside = new Set(members.map((n) => n.view.id));
  const metrics: Record<string, number> = {};
  for (const n of members) for (const k in n.view.metrics) metrics[k] = (metrics[k] ?? 0) + n.view.metrics[k];
  const view: ViewNode = {
    id: clusterId(dimension, value),
    label: value,
    sublabel: `${members.length} nodes`,
    kind: 'cluster',
    labels: { [dimension]: value, size: String(members.length) },
    metrics,
    group: { [dimension]: value },
    cluster: { dimension, value, size: members.length },
  };
  const inbound: RenderedEdge[] = [];
  const outbound: RenderedEdge[] = [];
  for (const n of members) {
    const e = edgesOf(topology, n.view.id);
    for (const edge of e.inbound) if (!inside.has(edge.view.source)) inbound.push(edge);
    for (const edge of e.outbound) if (!inside.has(edge.view.target)) outbound.push(edge);
  }
  return {
    topology: topology.name,
    node: view,
    series: seriesOf(members.flatMap((n) => n.members), history, now),
    parents: [],
    children: members.map((n) => ({ id: n.view.id, label: n.view.label, kind: n.view.kind })),
    connections: { inbound: summaries(topology, inbound, 'source'), outbound: summaries(topology, outbound, 'target') },
  };
}

/** One summary per (node at the other end, server port), most connections first. */
function summaries(topology: RenderedTopology, edges: readonly RenderedEdge[], other: 'source' | 'target'): ConnectionSummary[] {
  const byKey = new Map<string, ConnectionSummary>();
  for (const edge of edges) {
    const node = edge.view[other];
    const label = topology.nodes.get(node)?.view.label ?? node;
    for (let i = 0; i < edge.ports.length; i += 2) {
      const port = edge.ports[i];
      const key = `${node}|${port}`;
      const seen = byKey.get(key);
      if (seen) seen.count += edge.ports[i + 1];
      else byKey.set(key, { node, label, port, count: edge.ports[i + 1] });
    }
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || (a.node < b.node ? -1 : a.node > b.node ? 1 : (a.port ?? 0) - (b.port ?? 0)));
}

/** The members' series; of several members, their sum on a SUM_BUCKET_MS grid. */
export function seriesOf(members: readonly string[], history: MetricHistory, now: number): Record<string, Sample[]> {
  if (members.length === 1) return history.read(members[0], now);
  return sumSeries(members.slice(0, MAX_SERIES_MEMBERS).map((id) => history.read(id, now)));
}

/**
 * Sums series sampled at different moments: each member's value in a bucket is its last sample up to the bucket's
 * end, held for up to two buckets until its next sample (so members reporting out of phase do not make the sum
 * saw-tooth) but not past the newest bucket any member has; a bucket's sum is over the members with a value there.
 */
export function sumSeries(all: ReadonlyArray<Record<string, Sample[]>>): Record<string, Sample[]> {
  const out: Record<string, Sample[]> = {};
  const names = new Set<string>();
  for (const s of all) for (const name in s) names.add(name);
  for (const name of names) {
    const members: Array<Map<number, number>> = [];
    let newest = -Infinity;
    for (const member of all) {
      const samples = member[name];
      if (!samples || samples.length === 0) continue;
      const byBucket = new Map<number, number>();
      for (const [t, v] of samples) byBucket.set(Math.floor(t / SUM_BUCKET_MS), v);
      members.push(byBucket);
      for (const b of byBucket.keys()) if (b > newest) newest = b;
    }
    const sums = new Map<number, number>();
    for (const byBucket of members) {
      const buckets = [...byBucket.keys()].sort((a, b) => a - b);
      for (let i = 0; i < buckets.length; i++) {
        const end = Math.min(i + 1 < buckets.length ? buckets[i + 1] : Infinity, buckets[i] + 3, newest + 1);
        const v = byBucket.get(buckets[i]) as number;
        for (let b = buckets[i]; b < end; b++) sums.set(b, (sums.get(b) ?? 0) + v);
      }
    }
    out[name] = [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([b, v]) => [b * SUM_BUCKET_MS, v] as Sample);
  }
  return out;
}
