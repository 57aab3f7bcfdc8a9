/** Rendering the fixed reports, and reading a rendered topology the way the tests compare it. */
import { resolveConnections } from '../../../../services/app/src/connection-resolution';
import type { MergedMaps } from '../../../../services/app/src/merged-maps';
import type { RenderedTopology, TopologyRenderer } from '../../../../services/app/src/renderers/render-model';
import { merged } from './fixed-reports';

export function render(renderer: TopologyRenderer, report: MergedMaps = merged()): RenderedTopology {
  return renderer.render(report, resolveConnections(report));
}

/** Edges as `source -> target: weight`, sorted. */
export function edgeList(topology: RenderedTopology): string[] {
  return topology.edges.map((e) => `${e.view.source} -> ${e.view.target}: ${e.view.weight}`).sort();
}

export function nodeIds(topology: RenderedTopology): string[] {
  return [...topology.nodes.keys()].sort();
}

export function viewOf(topology: RenderedTopology, id: string) {
  const node = topology.nodes.get(id);
  if (!node) throw new Error(`${topology.name} has no node ${id}; it has ${nodeIds(topology).join(', ')}`);
  return node.view;
}
