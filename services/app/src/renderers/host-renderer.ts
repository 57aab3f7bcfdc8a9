/** The hosts topology: one node per machine a probe runs on; edges are connections between hosts. */
import { HOST_LABELS, TOPOLOGY } from '../../../lib/report/report-keys';
import { MergedMaps, nodesOf } from '../merged-maps';
import type { ResolvedConnection } from '../connection-resolution';
import { definedValues, containerName, latestMetrics, lazy, NodeRef, push, steppedRenderer, TopologyBuilder, TopologyRenderer } from './render-model';

export const hostsRenderer: TopologyRenderer = steppedRenderer(
  { name: 'hosts', title: 'Hosts', description: 'Machines running a probe, and the connections between them', groupBy: ['os'] },
  function* (report: MergedMaps, connections: readonly ResolvedConnection[], budget, memo) {
    const builder = new TopologyBuilder('hosts', report, undefined, memo);
    const hosts = nodesOf(report, TOPOLOGY.host);
    for (const [id, node] of hosts) {
      const name = node.labels[HOST_LABELS.name] ?? id.slice('host:'.length);
      builder.add({
        view: builder.viewOf(node, [], () => ({ id, label: name, sublabel: node.labels[HOST_LABELS.os], kind: 'host', labels: node.labels, metrics: latestMetrics(node), group: definedValues({ os: node.labels[HOST_LABELS.os] }) })),
        members: [id],
      });
      if (budget.spent()) yield;
    }
    const containersOf = lazy(() => {
      const index = new Map<string, NodeRef[]>();
      const containers = nodesOf(report, TOPOLOGY.container);
      for (const [id, node] of containers) {
        const host = node.parents.host?.[0];
        if (host !== undefined) push(index, host, { id, label: containerName(node, id), kind: 'container' });
      }
      return index;
    });
    yield* builder.connect(connections, (owner) => owner.host, budget);
    return builder.build((node) => ({ parents: [], children: containersOf().get(node.view.id) ?? [] }));
  },
);
