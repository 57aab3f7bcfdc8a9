/**
 * What the page shows, as it stands in the URL: the topology, the query that selects its nodes, the selected node,
 * the expanded clusters and graph or table. Everything a shared link must reproduce lives here and nowhere else, so
 * restoring a view is reading the URL.
 */
import type { TopologyQuery } from '../../src/api-shapes';

export type ViewMode = 'graph' | 'table';

export interface ViewState {
  topology?: string;
  search: string;
  filters: string[];
  groupBy?: string;
  /** Only when the operator (or a link) set one; otherwise the app's default applies. */
  clusterThreshold?: number;
  expand: string[];
  node?: string;
  mode: ViewMode;
}

export function readViewState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const threshold = p.get('clusterThreshold');
  return {
    topology: p.get('topology') || undefined,
    search: p.get('search') ?? '',
    filters: p.getAll('filter').filter(Boolean),
    groupBy: p.get('groupBy') || undefined,
    clusterThreshold: threshold !== null && threshold !== '' && Number.isFinite(Number(threshold)) ? Number(threshold) : undefined,
    expand: p.getAll('expand').filter(Boolean),
    node: p.get('node') || undefined,
    mode: p.get('mode') === 'table' ? 'table' : 'graph',
  };
}

/** The URL's query string for a state; parameters at their defaults are left out so links stay short. */
export function writeViewState(state: ViewState): string {
  const p = new URLSearchParams();
  if (state.topology) p.set('topology', state.topology);
  appendQuery(p, topologyQuery(state));
  if (state.node) p.set('node', state.node);
  if (state.mode !== 'graph') p.set('mode', state.mode);
  const text = p.toString();
  return text ? `?${text}` : '';
}

/** The part of the state the API selects nodes by. */
export function topologyQuery(state: ViewState): TopologyQuery {
  const q: TopologyQuery = {};
  if (state.search) q.search = state.search;
  if (state.filters.length) q.filter = [...state.filters];
  if (state.groupBy) q.groupBy = state.groupBy;
  if (state.clusterThreshold !== undefined) q.clusterThreshold = state.clusterThreshold;
  if (state.expand.length) q.expand = [...state.expand];
  return q;
}

export function appendQuery(p: URLSearchParams, q: TopologyQuery): URLSearchParams {
  if (q.search) p.set('search', q.search);
  for (const f of q.filter ?? []) p.append('filter', f);
  if (q.groupBy) p.set('groupBy', q.groupBy);
  if (q.clusterThreshold !== undefined) p.set('clusterThreshold', String(q.clusterThreshold));
  for (const e of q.expand ?? []) p.append('expand', e);
  return p;
}

/**
 * Two queries that differ only in expanded clusters show the same nodes in the same places (the expanded members
 * take the cluster's disc), so the layout is kept across them; any other change lays the view out anew.
 */
export function layoutKey(topology: string, q: TopologyQuery): string {
  return JSON.stringify([topology, q.search ?? '', q.filter ?? [], q.groupBy ?? '', q.clusterThreshold ?? null]);
}
