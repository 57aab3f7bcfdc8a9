/**
 * What changed between two views of one query: nodes and edges added, updated and removed. The WebSocket sends it
 * as a TopologyDiff; `applyTopologyDiff` is its inverse, which the tests hold it to (and a client may use, the UI
 * included).
 */
import type { TopologyDiff, TopologyView, ViewNode } from './api-shapes';

export type ViewChanges = Pick<TopologyDiff, 'generatedAt' | 'totalNodes' | 'matchedNodes' | 'nodes' | 'edges'>;

export function diffViews(before: TopologyView, after: TopologyView): ViewChanges {
  const nodes = diffById(before.nodes, after.nodes, sameNode);
  const edges = diffById(before.edges, after.edges, (a, b) => a === b || (a.weight === b.weight && a.source === b.source && a.target === b.target));
  return { generatedAt: after.generatedAt, totalNodes: after.totalNodes, matchedNodes: after.matchedNodes, nodes, edges };
}

/**
 * Whether a diff from `before` says nothing a client would show: no node or edge changed and the counts are the
 * same. A newer `generatedAt` alone is not worth a message a second per socket.
 */
export function isEmptyDiff(changes: ViewChanges, before: TopologyView): boolean {
  const { nodes, edges } = changes;
  if (nodes.added.length + nodes.updated.length + nodes.removed.length + edges.added.length + edges.updated.length + edges.removed.length > 0) return false;
  return changes.totalNodes === before.totalNodes && changes.matchedNodes === before.matchedNodes;
}

/** The view a client holds after applying `diff` to `view` (the same nodes and edges; their order aside). */
export function applyTopologyDiff(view: TopologyView, diff: ViewChanges): TopologyView {
  return {
    ...view,
    generatedAt: diff.generatedAt,
    totalNodes: diff.totalNodes,
    matchedNodes: diff.matchedNodes,
    nodes: applyById(view.nodes, diff.nodes),
    edges: applyById(view.edges, diff.edges),
  };
}

function diffById<T extends { id: string }>(before: readonly T[], after: readonly T[], same: (a: T, b: T) => boolean): { added: T[]; updated: T[]; removed: string[] } {
  const old = new Map<string, T>();
  for (const item of before) old.set(item.id, item);
  const added: T[] = [];
  const updated: T[] = [];
  for (const item of after) {
    const was = old.get(item.id);
    if (was === undefined) added.push(item);
    else {
      if (!same(was, item)) updated.push(item);
      old.delete(item.id);
    }
  }
  return { added, updated, removed: [...old.keys()] };
}

function applyById<T extends { id: string }>(items: readonly T[], change: { added: T[]; updated: T[]; removed: string[] }): T[] {
  const byId = new Map<string, T>();
  for (const item of items) byId.set(item.id, item);
  for (const id of change.removed) byId.delete(id);
  for (const item of change.updated) byId.set(item.id, item);
  for (const item of change.added) byId.set(item.id, item);
  return [...byId.values()];
}

function sameNode(a: ViewNode, b: ViewNode): boolean {
  if (a === b) return true;
  return (
    a.label === b.label &&
    a.sublabel === b.sublabel &&
    a.kind === b.kind &&
    sameRecord(a.labels, b.labels) &&
    sameRecord(a.metrics, b.metrics) &&
    sameRecord(a.group, b.group) &&
    a.cluster?.dimension === b.cluster?.dimension &&
    a.cluster?.value === b.cluster?.value &&
    a.cluster?.size === b.cluster?.size
  );
}

function sameRecord(a: Record<string, string | number>, b: Record<string, string | number>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _k in b) n--;
  return n === 0;
}

