/**
 * A topology view for a query: filter and search, then clustering by a dimension when too many nodes match, then the
 * edges between what is shown. Pure functions of a rendered topology and a parsed query.
 */
import { HttpError } from '../../lib/service-http';
import type { TopologyQuery, TopologyView, ViewEdge, ViewNode } from './api-shapes';
import { RenderedTopology, runToEnd, StepBudget, TopologyShape, UNBOUNDED } from './renderers/render-model';

/** Above this many matching nodes a view is clustered, unless the query says otherwise. */
export const DEFAULT_CLUSTER_THRESHOLD = 1000;
export const MAX_FILTERS = 20;
export const MAX_EXPAND = 1000;

export type Filter =
  | { kind: 'label'; key: string; op: '=' | '!=' | '~'; value: string }
  | { kind: 'metric'; key: string; op: '>' | '<'; value: number };

export interface ParsedQuery {
  /** Lower-cased. */
  search?: string;
  filters: Filter[];
  groupBy?: string;
  clusterThreshold: number;
  expand: Set<string>;
  /** The query in one canonical string: equal queries, equal keys (view caches, streams). */
  key: string;
}

const FILTER = /^([^=!~<>]+)(!=|=|~|>|<)(.*)$/;

/** Parses and checks a query (URL parameters, strings or arrays of strings), naming the bad field in a 400. */
export function parseTopologyQuery(raw: TopologyQuery | Record<string, unknown>, shape: TopologyShape): ParsedQuery {
  const q = raw as Record<string, unknown>;
  const list = (name: string): string[] => {
    const v = q[name];
    if (v === undefined) return [];
    const items = Array.isArray(v) ? v : [v];
    if (!items.every((i) => typeof i === 'string')) throw new HttpError(400, `${name} must be a string or a list of strings`);
    return items as string[];
  };
  const filters = list('filter').map((text, i): Filter => {
    const m = FILTER.exec(text);
    if (!m) throw new HttpError(400, `filter[${i}] must be key=value, key!=value, key~substring, metric>number or metric<number (got ${JSON.stringify(text)})`);
    const [, key, op, value] = m;
    if (op === '>' || op === '<') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new HttpError(400, `filter[${i}] must compare the metric with a number (got ${JSON.stringify(value)})`);
      return { kind: 'metric', key: key.trim(), op, value: n };
    }
    return { kind: 'label', key: key.trim(), op: op as '=' | '!=' | '~', value };
  });
  if (filters.length > MAX_FILTERS) throw new HttpError(400, `filter must list at most ${MAX_FILTERS} filters`);
  const groupBy = q.groupBy === undefined ? undefined : String(q.groupBy);
  if (groupBy !== undefined && !shape.groupBy.includes(groupBy)) {
    throw new HttpError(400, `groupBy must be one of the dimensions of ${shape.name}: ${shape.groupBy.join(', ') || '(none)'} (got ${JSON.stringify(groupBy)})`);
  }
  let clusterThreshold = DEFAULT_CLUSTER_THRESHOLD;
  if (q.clusterThreshold !== undefined) {
    clusterThreshold = Number(q.clusterThreshold);
    if (!Number.isInteger(clusterThreshold) || clusterThreshold < 0) throw new HttpError(400, `clusterThreshold must be a whole number of nodes, 0 for no clustering (got ${JSON.stringify(q.clusterThreshold)})`);
  }
  const expand = list('expand');
  if (expand.length > MAX_EXPAND) throw new HttpError(400, `expand must list at most ${MAX_EXPAND} clusters`);
  const search = q.search === undefined || q.search === '' ? undefined : String(q.search).toLowerCase();
  const canonicalFilters = filters.map((f) => `${f.key}${f.op}${f.value}`).sort();
  const key = JSON.stringify([search ?? '', canonicalFilters, groupBy ?? '', clusterThreshold, [...new Set(expand)].sort()]);
  return { search, filters, groupBy, clusterThreshold, expand: new Set(expand), key };
}

/** Everything searchable in a node, lower-cased, kept per view node (views are reused across generations). */
const searchTexts = new WeakMap<ViewNode, string>();

function searchText(node: ViewNode): string {
  let text = searchTexts.get(node);
  if (text === undefined) {
    text = [node.id, node.label, node.sublabel ?? '', ...Object.values(node.labels)].join('\u0000').toLowerCase();
    searchTexts.set(node, text);
  }
  return text;
}

export function matches(node: ViewNode, query: ParsedQuery): boolean {
  if (query.search !== undefined && !searchText(node).includes(query.search)) return false;
  for (const f of query.filters) {
    if (f.kind === 'metric') {
      const v = node.metrics[f.key];
      if (v === undefined || (f.op === '>' ? !(v > f.value) : !(v < f.value))) return false;
      continue;
    }
    const v = node.labels[f.key] ?? node.group[f.key];
    if (f.op === '=' && v !== f.value) return false;
    if (f.op === '!=' && v === f.value) return false;
    if (f.op === '~' && (v === undefined || !v.toLowerCase().includes(f.value.toLowerCase()))) return false;
  }
  return true;
}

export function clusterId(dimension: string, value: string): string {
  return `cluster:${dimension}:${value}`;
}

export function buildView(topology: RenderedTopology, query: ParsedQuery, shape: TopologyShape, generatedAt: number): TopologyView {
  return runToEnd(buildViewSteps(topology, query, shape, generatedAt, UNBOUNDED));
}

/** `buildView` in steps, yielding whenever `budget` is spent (the topology must not change meanwhile). */
export function* buildViewSteps(topology: RenderedTopology, query: ParsedQuery, shape: TopologyShape, generatedAt: number, budget: StepBudget): Generator<void, TopologyView> {
  const filtering = query.search !== undefined || query.filters.length > 0;
  const matched: ViewNode[] = [];
  for (const node of topology.nodes.values()) {
    if (!filtering || matches(node.view, query)) matched.push(node.view);
    if (budget.spent()) yield;
  }
  const dimension = query.groupBy ?? shape.defaultGroupBy;
  const clustering = dimension !== undefined && query.clusterThreshold > 0 && matched.length > query.clusterThreshold;
  const base = { topology: topology.name, generatedAt, totalNodes: topology.nodes.size, matchedNodes: matched.length };
  if (!filtering && !clustering) return { ...base, nodes: matched, edges: topology.edges.map((e) => e.view) };

  // Where each matched node is shown: as itself, or as its cluster.
  const shownAs = new Map<string, string>();
  const nodes: ViewNode[] = [];
  if (clustering) {
    const members = new Map<string, ViewNode[]>();
    for (const node of matched) {
      if (budget.spent()) yield;
      const value = node.group[dimension];
      if (value === undefined) {
        nodes.push(node);
        shownAs.set(node.id, node.id);
        continue;
      }
      const list = members.get(value);
      if (list) list.push(node);
      else members.set(value, [node]);
    }
    for (const [value, list] of members) {
      const id = clusterId(dimension, value);
      if (list.length === 1 || query.expand.has(id)) {
        for (const node of list) {
          nodes.push(node);
          shownAs.set(node.id, node.id);
        }
        continue;
      }
      nodes.push(clusterNode(dimension, value, list));
      for (const node of list) shownAs.set(node.id, id);
      if (budget.spent()) yield;
    }
  } else {
    for (const node of matched) {
      nodes.push(node);
      shownAs.set(node.id, node.id);
      if (budget.spent()) yield;
    }
  }
  const edges = yield* edgesBetween(topology, shownAs, budget);
  return { ...base, nodes, edges, ...(clustering ? { clustered: { dimension, threshold: query.clusterThreshold } } : {}) };
}

function clusterNode(dimension: string, value: string, members: ViewNode[]): ViewNode {
  const metrics: Record<string, number> = {};
  const kinds = new Set<string>();
  for (const m of members) {
    kinds.add(m.kind);
    for (const k in m.metrics) metrics[k] = (metrics[k] ?? 0) + m.metrics[k];
  }
  const kind = kinds.size === 1 ? [...kinds][0] : 'node';
  return {
    id: clusterId(dimension, value),
    label: value,
    sublabel: `${members.length} ${kind === 'process' ? 'processes' : `${kind}s`}`,
    kind: 'cluster',
    labels: { [dimension]: value, size: String(members.length), kinds: [...kinds].sort().join(',') },
    metrics,
    group: { [dimension]: value },
    cluster: { dimension, value, size: members.length },
  };
}

/** The topology's edges between shown nodes, clustered ends merged, weights summed, edges within one node dropped. */
function* edgesBetween(topology: RenderedTopology, shownAs: Map<string, string>, budget: StepBudget): Generator<void, ViewEdge[]> {
  const table = new Map<string, Map<string, ViewEdge>>();
  const out: ViewEdge[] = [];
  for (const { view } of topology.edges) {
    if (budget.spent()) yield;
    const source = shownAs.get(view.source);
    const target = shownAs.get(view.target);
    if (source === undefined || target === undefined || source === target) continue;
    if (source === view.source && target === view.target) {
      out.push(view);
      continue;
    }
    let byTarget = table.get(source);
    if (!byTarget) table.set(source, (byTarget = new Map()));
    const seen = byTarget.get(target);
    if (seen) seen.weight += view.weight;
    else {
      const edge = { id: `${source}|${target}`, source, target, weight: view.weight };
      byTarget.set(target, edge);
      out.push(edge);
    }
  }
  return out;
}
