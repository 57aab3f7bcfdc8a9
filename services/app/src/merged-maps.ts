/**
 * The merged report as the window keeps it and the renderers read it: the same value as the contract's
 * `MergedReport`, with each topology a Map instead of an object. At 1,000 probes the endpoint topology has ~500k
 * ids, and iterating an object that large (V8 keeps it as a dictionary, and `for…in` orders its keys each time)
 * measured 20-40 times slower than iterating a Map; deleting from it is no cheaper either.
 */
import type { MergedReport, ProbeSummary } from '../../lib/report/report-merge';
import type { ReportNode, Topologies, Topology } from '../../lib/report/report-schema';

export type TopologyMap = ReadonlyMap<string, ReportNode>;

export interface MergedMaps {
  probes: Readonly<Record<string, ProbeSummary>>;
  topologies: ReadonlyMap<string, TopologyMap>;
  /**
   * The same nodes split by the probe that reported them, each id in exactly one part, each part the same object
   * while its content is: what lets per-probe work be kept between generations (connection-resolution.ts).
   */
  parts?: readonly Topologies[];
}

const EMPTY: TopologyMap = new Map();

/** The topology's nodes, or an empty map. */
export function nodesOf(report: MergedMaps, topology: string): TopologyMap {
  return report.topologies.get(topology) ?? EMPTY;
}

export function mapsOf(report: MergedReport): MergedMaps {
  const topologies = new Map<string, TopologyMap>();
  for (const [name, topology] of Object.entries(report.topologies)) topologies.set(name, new Map(Object.entries(topology)));
  return { probes: report.probes, topologies };
}

export function reportOf(maps: MergedMaps): MergedReport {
  const topologies: Topologies = {};
  for (const [name, nodes] of maps.topologies) {
    const topology: Topology = {};
    for (const [id, node] of nodes) topology[id] = node;
    topologies[name] = topology;
  }
  return { probes: { ...maps.probes }, topologies };
}
