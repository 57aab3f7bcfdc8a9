/**
 * The model on the canvas: puts each node where the group layout says, styles it by kind, and passes on only what
 * changed. A live update never moves a node that is already drawn and never moves the camera.
 */
import type { ViewNode } from '../../src/api-shapes';
import { GroupLayout, NODE_RADIUS } from './group-layout';
import { kindRgb } from './node-kinds';
import type { SlotNode } from './node-slots';
import type { ModelChanges, TopologyModel } from './topology-model';
import { GraphHandlers, WebGLGraph } from './webgl-graph';

/** A cluster is drawn a little inside its group's disc, so two neighbouring clusters never touch. */
const CLUSTER_FILL = 0.9;

export class GraphView {
  readonly graph: WebGLGraph;
  private layout = new GroupLayout(undefined);

  constructor(container: HTMLElement, handlers: GraphHandlers) {
    this.graph = new WebGLGraph(container, handlers);
  }

  /** Lays the whole model out anew (another topology, query or grouping) and fits it on screen. */
  reset(model: TopologyModel, dimension: string | undefined): void {
    this.layout = new GroupLayout(dimension);
    this.layout.layout([...model.nodes.values()]);
    this.graph.clear();
    for (const node of model.nodes.values()) this.graph.setNode(node.id, this.slotNode(node));
    this.graph.setEdges([...model.edges.values()]);
    this.graph.fit();
  }

  /**
   * Applies a snapshot's or diff's changes in place. Returns whether anything on screen changed: an update of
   * metrics alone (most of what probes send) changes nothing drawn, and costs no frame.
   */
  update(model: TopologyModel, changes: ModelChanges): boolean {
    let visible = changes.removed.length > 0 || changes.added.length > 0;
    for (const id of changes.removed) {
      this.layout.remove(id);
      this.graph.removeNode(id);
    }
    for (const node of changes.added) this.graph.setNode(node.id, this.slotNode(node));
    for (const node of changes.updated) if (this.graph.setNode(node.id, this.slotNode(node))) visible = true;
    if (changes.edgesChanged || changes.added.length > 0) {
      this.graph.setEdges([...model.edges.values()]);
      visible = true;
    }
    return visible;
  }

  get dimension(): string | undefined {
    return this.layout.dimension;
  }

  private slotNode(node: ViewNode): SlotNode {
    const p = this.layout.place(node);
    const cluster = node.cluster !== undefined;
    return {
      x: p.x,
      y: p.y,
      radius: cluster ? (this.layout.clusterRadius(node.id) ?? 1) * CLUSTER_FILL : NODE_RADIUS,
      color: kindRgb(node.kind),
      label: node.label,
      sublabel: cluster ? node.sublabel ?? `${node.cluster!.size} nodes` : node.sublabel,
      cluster,
      weight: node.cluster?.size ?? 1,
    };
  }
}
