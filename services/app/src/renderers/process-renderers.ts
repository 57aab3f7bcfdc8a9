/**
 * Process views: every process, and processes by name. Edges are connections between the processes holding the
 * sockets; an end whose process the probe could not join to the socket falls back to its container, then its host.
 */
import { parseProcessId } from '../../../lib/report/node-ids';
import { PROCESS_LABELS, TOPOLOGY } from '../../../lib/report/report-keys';
import { MergedMaps, nodesOf } from '../merged-maps';
import type { ReportNode } from '../../../lib/report/report-schema';
import type { ResolvedConnection } from '../connection-resolution';
import { addLatest, containerName, definedValues, hostName, latestMetrics, lazy, NodeRef, push, steppedRenderer, TopologyBuilder, TopologyRenderer } from './render-model';

const P = PROCESS_LABELS;

function processName(node: ReportNode, id: string): string {
  return node.labels[P.name] ?? `pid ${parseProcessId(id)?.pid ?? id}`;
}

export const processesRenderer: TopologyRenderer = steppedRenderer(
  {
    name: 'processes',
    title: 'Processes',
    description: 'Every process on every host, and the connections between them',
    groupBy: ['host', 'container', 'name', 'marathon_app', 'mesos_framework'],
    defaultGroupBy: 'host',
  },
  function* (report: MergedMaps, connections: readonly ResolvedConnection[], budget, memo) {
    const builder = new TopologyBuilder('processes', report, undefined, memo);
    const processes = nodesOf(report, TOPOLOGY.process);
    const containers = nodesOf(report, TOPOLOGY.container);
    for (const [id, node] of processes) {
      const host = hostName(report, node.parents.host?.[0]);
      const containerId = node.parents.container?.[0];
      const container = containerId === undefined ? undefined : containerName(containers.get(containerId), containerId);
      builder.add(
        builder.renderedOf(node, id, [host, container], () => ({
          id,
          label: processName(node, id),
          sublabel: host,
          kind: 'process',
          labels: node.labels,
          metrics: latestMetrics(node),
          group: definedValues({ host, container, name: node.labels[P.name], marathon_app: node.labels[P.marathonAppId], mesos_framework: node.labels[P.mesosFrameworkId] }),
        })),
      );
      if (budget.spent()) yield;
    }
    yield* builder.connect(connections, (owner) => owner.process, budget, true);
    // Children by parent pid on the same host: `process:<host>:<ppid>:` prefixes the parent's id.
    const childrenOf = lazy(() => {
      const index = new Map<string, NodeRef[]>();
      for (const [id, node] of processes) {
        const key = parseProcessId(id);
        const ppid = node.labels[P.ppid];
        if (key && ppid !== undefined) push(index, `${key.host}:${ppid}`, { id, label: processName(node, id), kind: 'process' });
      }
      return index;
    });
    return builder.build((n) => {
      const node = processes.get(n.view.id);
      if (!node) return { parents: [], children: [] };
      const parents: NodeRef[] = [];
      const container = node.parents.container?.[0];
      if (container !== undefined) parents.push({ id: container, label: containerName(containers.get(container), container), kind: 'container' });
      const host = node.parents.host?.[0];
      if (host !== undefined) parents.push({ id: host, label: hostName(report, host) as string, kind: 'host' });
      const key = parseProcessId(n.view.id);
      return { parents, children: key ? childrenOf().get(`${key.host}:${key.pid}`) ?? [] : [] };
    });
  },
);

export const processesByNameRenderer: TopologyRenderer = steppedRenderer(
  { name: 'processes-by-name', title: 'Processes by name', description: 'Processes grouped by executable name across hosts', groupBy: [] },
  function* (report: MergedMaps, connections: readonly ResolvedConnection[], budget) {
    const builder = new TopologyBuilder('processes-by-name', report);
    const processes = nodesOf(report, TOPOLOGY.process);
    const groups = new Map<string, { members: string[]; metrics: Record<string, number>; hosts: Set<string> }>();
    const keyOf = new Map<string, string>();
    for (const [id, node] of processes) {
      const key = `process-name:${processName(node, id)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { members: [], metrics: {}, hosts: new Set() }));
      g.members.push(id);
      addLatest(g.metrics, node);
      const host = node.parents.host?.[0];
      if (host !== undefined) g.hosts.add(host);
      keyOf.set(id, key);
      if (budget.spent()) yield;
    }
    for (const [id, g] of groups) {
      const name = id.slice('process-name:'.length);
      const n = g.members.length;
      builder.add({
        view: { id, label: name, sublabel: `${n} process${n === 1 ? '' : 'es'}`, kind: 'process-name', labels: { name, processes: String(n), hosts: String(g.hosts.size) }, metrics: g.metrics, group: {} },
        members: g.members,
      });
      if (budget.spent()) yield;
    }
    yield* builder.connect(connections, (owner) => (owner.process === undefined ? undefined : keyOf.get(owner.process)), budget, true);
    return builder.build((n) => ({ parents: [], children: n.members.map((id) => ({ id, label: processName(processes.get(id)!, id), kind: 'process' })) }));
  },
);
