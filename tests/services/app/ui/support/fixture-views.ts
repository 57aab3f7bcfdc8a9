/**
 * Topology views in the public API's shapes, made up for the UI's unit tests (layout, model): containers spread over
 * hosts, images, namespaces and Marathon apps, each talking to a few others, and `queryView` with the API's
 * documented query semantics. Generated from a seed, so two runs get the same view. The Chromium tests and the
 * benchmark use the real app instead (real-app.ts).
 */
import { seeded } from '../../../../../services/lib/seeded-random';
import type { TopologyDescriptor, TopologyQuery, TopologyView, ViewEdge, ViewNode } from '../../../../../services/app/src/api-shapes';

export const GROUP_DIMENSIONS = ['host', 'image', 'namespace', 'marathon_app'];

const IMAGES = ['nginx:1.27', 'redis:7.2', 'postgres:16', 'envoy:1.31', 'kafka:3.8', 'zookeeper:3.8', 'marathon-lb:1.14', 'node:20-bookworm-slim', 'python:3.12-slim', 'java:21-jre'];
const NAMESPACES = ['payments', 'search', 'checkout', 'identity', 'platform', 'analytics'];
const APPS = ['/web', '/api', '/worker', '/cache', '/db', '/queue', '/gateway', '/batch'];

/** Fixtures must not change between runs. */
const random = seeded;

export interface FixtureTopology {
  descriptor: TopologyDescriptor;
  nodes: ViewNode[];
  edges: ViewEdge[];
}

/** One container node, its place in the platform named by its index. */
export function containerNode(i: number, hosts: number, rand: () => number = random(i)): ViewNode {
  const host = `node-${String(i % hosts).padStart(4, '0')}`;
  const app = APPS[i % APPS.length];
  const image = IMAGES[(i * 7) % IMAGES.length];
  const namespace = NAMESPACES[(i * 3) % NAMESPACES.length];
  const id = `container:${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${String(i).padStart(8, '0')}`;
  const name = `${app.slice(1)}-${namespace}-${i}`;
  return {
    id,
    label: name,
    sublabel: image,
    kind: 'container',
    labels: { name, image, state: 'running', runtime: 'docker', host, pod_namespace: namespace, marathon_app_id: app, mesos_task_id: `${app.slice(1)}.${i}` },
    metrics: {
      cpu_usage_percent: Math.round(rand() * 1000) / 10,
      memory_working_set_bytes: Math.round((50 + rand() * 900) * 1024 * 1024),
      pids: 1 + Math.floor(rand() * 40),
    },
    group: { host, image, namespace, marathon_app: app },
  };
}

/**
 * A containers topology of `count` nodes on `count / 10` hosts (at least one), each container connected to up to
 * two others of a neighbouring app, as a front end calls its API and the API its database.
 */
export function containersTopology(count: number, seed = 1): FixtureTopology {
  const rand = random(seed);
  const hosts = Math.max(1, Math.floor(count / 10));
  const nodes: ViewNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(containerNode(i, hosts, rand));
  const edges: ViewEdge[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count && count > 1; i++) {
    for (let k = 0; k < 2; k++) {
      // The next app (web → api → worker …) on a nearby host: services mostly call their neighbours, a few call
      // far away, as on a platform where an app's tasks are spread over a rack or two.
      const far = rand() < 0.1;
      const hop = far ? Math.floor(rand() * count) : Math.floor(rand() * 24);
      const j = (i + APPS.length * hop + 1) % count;
      if (j === i) continue;
      const id = `${nodes[i].id}|${nodes[j].id}`;
      if (seen.has(id)) continue;
      seen.add(id);
      edges.push({ id, source: nodes[i].id, target: nodes[j].id, weight: 1 + Math.floor(rand() * 20) });
    }
  }
  return {
    descriptor: {
      name: 'containers',
      title: 'Containers',
      description: 'Every container on every host',
      nodeCount: count,
      groupBy: GROUP_DIMENSIONS,
      defaultGroupBy: 'host',
    },
    nodes,
    edges,
  };
}

/** One filter expression of TopologyQuery against a node. */
function matchesFilter(node: ViewNode, expr: string): boolean {
  const m = /^([^=!~<>]+)(!=|=|~|>|<)(.*)$/.exec(expr);
  if (!m) return true;
  const [, key, op, value] = m;
  if (op === '>' || op === '<') {
    const v = node.metrics[key];
    return v !== undefined && (op === '>' ? v > Number(value) : v < Number(value));
  }
  const actual = key === 'kind' ? node.kind : node.labels[key];
  if (op === '=') return actual === value;
  if (op === '!=') return actual !== value;
  return actual !== undefined && actual.toLowerCase().includes(value.toLowerCase());
}

function matchesSearch(node: ViewNode, search: string): boolean {
  const s = search.toLowerCase();
  if (node.id.toLowerCase().includes(s) || node.label.toLowerCase().includes(s)) return true;
  return Object.values(node.labels).some((v) => v.toLowerCase().includes(s));
}

export const DEFAULT_CLUSTER_THRESHOLD = 500;

/**
 * The view a query asks for, with the app's documented semantics: filter and search first, then, above the
 * threshold, one cluster node per value of the grouping dimension except the expanded ones; edges between members
 * of two clusters become one edge between the clusters, weights added.
 */
export function queryView(topology: FixtureTopology, query: TopologyQuery, generatedAt = Date.now()): TopologyView {
  const matched = topology.nodes.filter((n) => (!query.search || matchesSearch(n, query.search)) && (query.filter ?? []).every((f) => matchesFilter(n, f)));
  const matchedIds = new Set(matched.map((n) => n.id));
  const edges = topology.edges.filter((e) => matchedIds.has(e.source) && matchedIds.has(e.target));
  const threshold = query.clusterThreshold ?? DEFAULT_CLUSTER_THRESHOLD;
  const dimension = query.groupBy ?? topology.descriptor.defaultGroupBy;
  const base = { topology: topology.descriptor.name, generatedAt, totalNodes: topology.nodes.length, matchedNodes: matched.length };
  if (!dimension || threshold === 0 || matched.length <= threshold) return { ...base, nodes: matched, edges };
  return { ...base, ...clusterNodes(matched, edges, dimension, new Set(query.expand ?? [])), clustered: { dimension, threshold } };
}

function clusterNodes(nodes: ViewNode[], edges: ViewEdge[], dimension: string, expand: Set<string>): { nodes: ViewNode[]; edges: ViewEdge[] } {
  const owner = new Map<string, string>();
  const clusters = new Map<string, ViewNode>();
  const out: ViewNode[] = [];
  for (const node of nodes) {
    const value = node.group[dimension] ?? '(none)';
    const id = `cluster:${dimension}:${value}`;
    if (expand.has(id)) {
      out.push(node);
      owner.set(node.id, node.id);
      continue;
    }
    owner.set(node.id, id);
    let cluster = clusters.get(id);
    if (!cluster) {
      cluster = { id, label: value, sublabel: `${dimension}`, kind: 'cluster', labels: { [dimension]: value }, metrics: {}, group: { [dimension]: value }, cluster: { dimension, value, size: 0 } };
      clusters.set(id, cluster);
      out.push(cluster);
    }
    cluster.cluster!.size++;
    cluster.sublabel = `${cluster.cluster!.size} ${node.kind}s`;
  }
  const merged = new Map<string, ViewEdge>();
  for (const edge of edges) {
    const source = owner.get(edge.source)!;
    const target = owner.get(edge.target)!;
    if (source === target) continue;
    const id = `${source}|${target}`;
    const prev = merged.get(id);
    if (prev) prev.weight += edge.weight;
    else merged.set(id, { id, source, target, weight: edge.weight });
  }
  return { nodes: out, edges: [...merged.values()] };
}
