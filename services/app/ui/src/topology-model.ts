/**
 * The view the page holds: nodes and edges by id as the API last described them, kept current by snapshots and
 * diffs. Both come down to the same three lists (added, updated, removed), which is all the graph and the table
 * need to redraw just what changed.
 */
import type { TopologyDiff, TopologyView, ViewEdge, ViewNode } from '../../src/api-shapes';

export interface ModelChanges {
  added: ViewNode[];
  updated: ViewNode[];
  removed: string[];
  edgesChanged: boolean;
}

export class TopologyModel {
  readonly nodes = new Map<string, ViewNode>();
  readonly edges = new Map<string, ViewEdge>();
  /**
   * Edge ids by node, both directions. Arrays, not sets: a node has a handful of edges, and 10,000 sets made for
   * one snapshot were most of its cost in the browser.
   */
  private readonly incident = new Map<string, string[]>();
  topology = '';
  generatedAt = 0;
  totalNodes = 0;
  matchedNodes = 0;
  clustered?: TopologyView['clustered'];

  /** Takes a whole view, as the difference from what was held: nodes kept keep their identity. */
  replace(view: TopologyView): ModelChanges {
    const changes: ModelChanges = { added: [], updated: [], removed: [], edgesChanged: true };
    const incoming = new Set<string>();
    for (const node of view.nodes) {
      incoming.add(node.id);
      (this.nodes.has(node.id) ? changes.updated : changes.added).push(node);
      this.nodes.set(node.id, node);
    }
    for (const id of this.nodes.keys()) if (!incoming.has(id)) changes.removed.push(id);
    for (const id of changes.removed) this.nodes.delete(id);
    this.edges.clear();
    this.incident.clear();
    for (const edge of view.edges) this.addEdge(edge);
    this.topology = view.topology;
    this.generatedAt = view.generatedAt;
    this.totalNodes = view.totalNodes;
    this.matchedNodes = view.matchedNodes;
    this.clustered = view.clustered;
    return changes;
  }

  apply(diff: TopologyDiff): ModelChanges {
    for (const node of diff.nodes.added) this.nodes.set(node.id, node);
    for (const node of diff.nodes.updated) this.nodes.set(node.id, node);
    for (const id of diff.nodes.removed) this.nodes.delete(id);
    for (const id of diff.edges.removed) this.removeEdge(id);
    for (const edge of diff.edges.added) this.addEdge(edge);
    for (const edge of diff.edges.updated) this.addEdge(edge);
    // An edge whose node went is gone too, whether or not the diff said so.
    for (const id of diff.nodes.removed) for (const edgeId of (this.incident.get(id) ?? []).slice()) this.removeEdge(edgeId);
    this.generatedAt = diff.generatedAt;
    this.totalNodes = diff.totalNodes;
    this.matchedNodes = diff.matchedNodes;
    const edgesChanged = diff.edges.added.length + diff.edges.updated.length + diff.edges.removed.length + diff.nodes.removed.length > 0;
    return { added: diff.nodes.added, updated: diff.nodes.updated, removed: diff.nodes.removed, edgesChanged };
  }

  /** The nodes an edge joins this one to, either direction. */
  neighbours(id: string): string[] {
    const out = new Set<string>();
    for (const edgeId of this.incident.get(id) ?? []) {
      const e = this.edges.get(edgeId);
      if (e) out.add(e.source === id ? e.target : e.source);
    }
    return [...out];
  }

  degree(id: string): number {
    return this.incident.get(id)?.length ?? 0;
  }

  private addEdge(edge: ViewEdge): void {
    const known = this.edges.has(edge.id);
    this.edges.set(edge.id, edge);
    if (known) return;
    this.link(edge.source, edge.id);
    if (edge.target !== edge.source) this.link(edge.target, edge.id);
  }

  private link(node: string, edgeId: string): void {
    const list = this.incident.get(node);
    if (list) list.push(edgeId);
    else this.incident.set(node, [edgeId]);
  }

  private unlink(node: string, edgeId: string): void {
    const list = this.incident.get(node);
    const i = list ? list.indexOf(edgeId) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  private removeEdge(id: string): void {
    const edge = this.edges.get(id);
    if (!edge) return;
    this.edges.delete(id);
    this.unlink(edge.source, id);
    this.unlink(edge.target, id);
  }
}
