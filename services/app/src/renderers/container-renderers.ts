/**
 * Container views: containers themselves, containers by image, and Kubernetes pods by namespace. Edges are
 * connections between containers; an end in no container is its host's pseudo node ("uncontained").
 */
import { CONTAINER_LABELS, RUNNER_LABELS, TOPOLOGY } from '../../../lib/report/report-keys';
import { MergedMaps, nodesOf } from '../merged-maps';
import type { ReportNode } from '../../../lib/report/report-schema';
import type { ResolvedConnection } from '../connection-resolution';
import { addLatest, definedValues, containerName, hostName, latestMetrics, lazy, NodeRef, push, steppedRenderer, TopologyBuilder, TopologyRenderer } from './render-model';

const L = CONTAINER_LABELS;

/** The dimensions a container can be grouped by, and its value of each. */
function containerGroup(host: string | undefined, node: ReportNode): Record<string, string> {
  const labels = node.labels;
  return definedValues({
    host,
    image: labels[L.image],
    namespace: labels[L.podNamespace],
    marathon_app: labels[L.marathonAppId],
    mesos_framework: labels[L.mesosFrameworkId],
    state: labels[L.state],
    runtime: labels[L.runtime],
  });
}

/** Processes by the container they run in, for a container's children. */
function processesByContainer(report: MergedMaps): Map<string, NodeRef[]> {
  const index = new Map<string, NodeRef[]>();
  const processes = nodesOf(report, TOPOLOGY.process);
  for (const [id, node] of processes) {
    const container = node.parents.container?.[0];
    if (container !== undefined) push(index, container, { id, label: node.labels.name ?? id, kind: 'process' });
  }
  return index;
}

export function podId(labels: Record<string, string>): string | undefined {
  const name = labels[RUNNER_LABELS.podName];
  return name === undefined ? undefined : `pod:${labels[RUNNER_LABELS.podNamespace] ?? 'default'}/${name}`;
}

export function marathonAppId(labels: Record<string, string>): string | undefined {
  const app = labels[RUNNER_LABELS.marathonAppId];
  return app === undefined ? undefined : `marathon-app:${app}`;
}

export const containersRenderer: TopologyRenderer = steppedRenderer(
  {
    name: 'containers',
    title: 'Containers',
    description: 'Containers on every host, and the connections between them',
    groupBy: ['host', 'image', 'namespace', 'marathon_app', 'mesos_framework', 'state', 'runtime'],
    defaultGroupBy: 'host',
  },
  function* (report: MergedMaps, connections: readonly ResolvedConnection[], budget, memo) {
    const builder = new TopologyBuilder('containers', report, 'uncontained', memo);
    const containers = nodesOf(report, TOPOLOGY.container);
    for (const [id, node] of containers) {
      const host = hostName(report, node.parents.host?.[0]);
      builder.add(builder.renderedOf(node, id, [host], () => ({ id, label: containerName(node, id), sublabel: node.labels[L.image], kind: 'container', labels: node.labels, metrics: latestMetrics(node), group: containerGroup(host, node) })));
      if (budget.spent()) yield;
    }
    yield* builder.connect(connections, (owner) => owner.container, budget);
    const processes = lazy(() => processesByContainer(report));
    return builder.build((node) => {
      const container = containers.get(node.view.id);
      const parents: NodeRef[] = [];
      const host = container?.parents.host?.[0];
      if (host !== undefined) parents.push({ id: host, label: hostName(report, host) as string, kind: 'host' });
      const pod = container && podId(container.labels);
      if (pod) parents.push({ id: pod, label: container.labels[L.podName], kind: 'pod' });
      const app = container && marathonAppId(container.labels);
      if (app) parents.push({ id: app, label: container.labels[L.marathonAppId], kind: 'marathon-app' });
      return { parents, children: processes().get(node.view.id) ?? [] };
    });
  },
);

/** `registry.local/svc:1.2@sha256:…` → `registry.local/svc`: images are grouped by name, their tags listed. */
export function imageName(image: string): { name: string; tag?: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: at >= 0 ? image.slice(at + 1) : undefined };
}

function registryOf(name: string): string {
  const first = name.split('/')[0];
  return name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

interface Aggregate {
  members: string[];
  metrics: Record<string, number>;
  hosts: Set<string>;
  values: Map<string, Set<string>>;
}

/** Aggregates containers under a key: members, summed metrics, hosts, and the distinct values of some labels. */
class ContainerAggregates {
  readonly byKey = new Map<string, Aggregate>();
  readonly keyOf = new Map<string, string>();

  add(key: string, id: string, node: ReportNode, collect: Record<string, string | undefined>): void {
    let agg = this.byKey.get(key);
    if (!agg) this.byKey.set(key, (agg = { members: [], metrics: {}, hosts: new Set(), values: new Map() }));
    agg.members.push(id);
    addLatest(agg.metrics, node);
    const host = node.parents.host?.[0];
    if (host !== undefined) agg.hosts.add(host);
    for (const k in collect) {
      const v = collect[k];
      if (v === undefined) continue;
      let set = agg.values.get(k);
      if (!set) agg.values.set(k, (set = new Set()));
      set.add(v);
    }
    this.keyOf.set(id, key);
  }
}

function joined(set: Set<string> | undefined): string | undefined {
  return set === undefined ? undefined : [...set].sort().join(',');
}

function containerRefs(report: MergedMaps, members: readonly string[]): NodeRef[] {
  const containers = nodesOf(report, TOPOLOGY.container);
  return members.map((id) => ({ id, label: containerName(containers.get(id), id), kind: 'container' }));
}

export const containersByImageRenderer: TopologyRenderer = steppedRenderer(
  { name: 'containers-by-image', title: 'Containers by image', description: 'Containers grouped by image name, with their tags', groupBy: ['registry'] },
  function* (report: MergedMaps, connections: readonly ResolvedConnection[], budget) {
    const builder = new TopologyBuilder('containers-by-image', report, 'uncontained');
    const aggregates = new ContainerAggregates();
    const containers = nodesOf(report, TOPOLOGY.container);
    for (const [id, node] of containers) {
      const image = node.labels[L.image];
      if (image === undefined) continue;
      const { name, tag } = imageName(image);
      aggregates.add(`image:${name}`, id, node, { tag });
      if (budget.spent()) yield;
    }
    for (const [id, agg] of aggregates.byKey) {
      const name = id.slice('image:'.length);
      const count = agg.members.length;
      builder.add({
        view: {
          id,
          label: name,
          sublabel: `${count} container${count === 1 ? '' : 's'}`,
          kind: 'image',
          labels: definedValues({ image: name, tags: joined(agg.values.get('tag')), containers: String(count), hosts: String(agg.hosts.size) }),
          metrics: agg.metrics,
          group: { registry: registryOf(name) },
        },
        members: agg.members,
      });
    }
    yield* builder.connect(connections, (owner) => (owner.container === undefined ? undefined : aggregates.keyOf.get(owner.container)), budget);
    return builder.build((node) => ({ parents: [], children: containerRefs(report, node.members) }));
  },
);

export const podsRenderer: TopologyRenderer = steppedRenderer(
  { name: 'pods', title: 'Pods', description: 'Kubernetes pods by namespace, from their containers', groupBy: ['namespace', 'host'], defaultGroupBy: 'namespace' },
  function* (report: MergedMaps, connections: readonly ResolvedConnection[], budget) {
    const builder = new TopologyBuilder('pods', report, 'outside any pod');
    const aggregates = new ContainerAggregates();
    const containers = nodesOf(report, TOPOLOGY.container);
    for (const [id, node] of containers) {
      const labels = node.labels;
      const pod = podId(labels);
      if (pod !== undefined) aggregates.add(pod, id, node, { uid: labels[L.podUid] });
      if (budget.spent()) yield;
    }
    for (const [id, agg] of aggregates.byKey) {
      const labels = containers.get(agg.members[0])!.labels;
      const namespace = labels[L.podNamespace] ?? 'default';
      const hosts = [...agg.hosts].map((h) => hostName(report, h) as string).sort();
      builder.add({
        view: {
          id,
          label: labels[L.podName],
          sublabel: namespace,
          kind: 'pod',
          labels: definedValues({ [L.podName]: labels[L.podName], [L.podNamespace]: namespace, [L.podUid]: joined(agg.values.get('uid')), host: hosts.join(','), containers: String(agg.members.length) }),
          metrics: agg.metrics,
          group: definedValues({ namespace, host: hosts[0] }),
        },
        members: agg.members,
      });
      if (budget.spent()) yield;
    }
    yield* builder.connect(connections, (owner) => (owner.container === undefined ? undefined : aggregates.keyOf.get(owner.container)), budget);
    return builder.build((node) => {
      const host = containers.get(node.members[0])?.parents.host?.[0];
      return { parents: host === undefined ? [] : [{ id: host, label: hostName(report, host) as string, kind: 'host' }], children: containerRefs(report, node.members) };
    });
  },
);
