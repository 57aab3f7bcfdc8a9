/**
 * The shapes of the monitoring app's public API: what the REST routes answer and the WebSocket sends. The web UI
 * consumes exactly these, like any other client; the routes' JSON schemas are written to match them.
 *
 *   GET  /api/topology                       TopologyList
 *   GET  /api/topology/{name}?…              TopologyView      (query: TopologyQuery)
 *   GET  /api/topology/{name}/{id}           NodeDetails       (id URL-encoded)
 *   GET  /api/topology/{name}/ws?…           WebSocket: one TopologySnapshot, then TopologyDiff at most once a second
 *   GET  /api/probes                         ProbeList
 *   POST /api/report                         a probe report (services/lib/report), bearer token, br, gzip or identity
 */
import type { Sample } from '../../lib/report/report-schema';

/** One entry of `GET /api/topology`. */
export interface TopologyDescriptor {
  /** URL name: hosts, containers, containers-by-image, pods, marathon-apps, mesos-frameworks, processes, processes-by-name. */
  name: string;
  title: string;
  description: string;
  /** Nodes in the topology now, before any filter. */
  nodeCount: number;
  /** The dimensions its nodes can be grouped (and clustered) by, e.g. host, image, namespace, marathon_app. */
  groupBy: string[];
  /** The dimension a large view is clustered by when the query names none. */
  defaultGroupBy?: string;
}

export interface TopologyList {
  topologies: TopologyDescriptor[];
}

/**
 * The query a view is asked for with. Every field is optional; the same parameters select what a WebSocket streams.
 * As URL parameters: `search=…&filter=key=value&filter=cpu_usage_percent>50&groupBy=host&clusterThreshold=500&expand=<cluster id>`.
 */
export interface TopologyQuery {
  /** Case-insensitive substring of a node's id, label or any label value. */
  search?: string;
  /** `key=value` (label equals), `key!=value`, `key~substring`, or `metric>number` / `metric<number` (latest value). */
  filter?: string[];
  /** Dimension to group by; nodes carry their value in `group`. */
  groupBy?: string;
  /** Above this many nodes the view is clustered by `groupBy` (or the default). 0 turns clustering off. */
  clusterThreshold?: number;
  /** Cluster ids to show expanded: their member nodes instead of the cluster node. */
  expand?: string[];
}

export interface ViewNode {
  /** The report's node id (e.g. `container:…`), a rendered id (`marathon-app:/web`), or `cluster:<dimension>:<value>`. */
  id: string;
  /** Short display name. */
  label: string;
  /** A second line: the image of a container, the host of a process, … */
  sublabel?: string;
  /** host, container, image, pod, namespace, marathon-app, mesos-task, mesos-framework, process, process-name, cluster, internet. */
  kind: string;
  /** Everything known as text, for search, filters and the table view. */
  labels: Record<string, string>;
  /** The latest value of each metric. */
  metrics: Record<string, number>;
  /** This node's value of each grouping dimension: `{ host: "node-1", image: "nginx:1.27" }`. */
  group: Record<string, string>;
  /** Set on a cluster node: what it stands for and how many nodes it holds. */
  cluster?: { dimension: string; value: string; size: number };
}

export interface ViewEdge {
  /** `<source>|<target>`. */
  id: string;
  source: string;
  target: string;
  /** Connections the edge stands for. */
  weight: number;
}

export interface TopologyView {
  topology: string;
  /** When the merged report behind this view was made (ms). */
  generatedAt: number;
  /** Nodes in the topology before the query's filter and search. */
  totalNodes: number;
  /** Nodes that matched, before clustering. */
  matchedNodes: number;
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Present when the view is clustered. */
  clustered?: { dimension: string; threshold: number };
}

export interface ConnectionSummary {
  /** The node at the other end, in the same topology. */
  node: string;
  label: string;
  /** The server port, when the connection goes to a listening socket. */
  port?: number;
  /** Connections between the two. */
  count: number;
}

/** `GET /api/topology/{name}/{id}`. */
export interface NodeDetails {
  topology: string;
  node: ViewNode;
  /** Recent samples of each metric, oldest first: the app keeps a short history beyond the window. */
  series: Record<string, Sample[]>;
  /** The nodes it belongs to (host of a container, container of a process, …) and the ones it holds. */
  parents: Array<{ id: string; label: string; kind: string }>;
  children: Array<{ id: string; label: string; kind: string }>;
  connections: { inbound: ConnectionSummary[]; outbound: ConnectionSummary[] };
}

/** The first WebSocket message: the whole view for the socket's query. */
export interface TopologySnapshot {
  type: 'snapshot';
  /** Increases by one with every message on this socket. */
  seq: number;
  view: TopologyView;
}

/** Later WebSocket messages: what changed since the previous message. Positions are the client's to keep. */
export interface TopologyDiff {
  type: 'diff';
  seq: number;
  generatedAt: number;
  totalNodes: number;
  matchedNodes: number;
  nodes: { added: ViewNode[]; updated: ViewNode[]; removed: string[] };
  edges: { added: ViewEdge[]; updated: ViewEdge[]; removed: string[] };
}

export type TopologyMessage = TopologySnapshot | TopologyDiff;

export interface ProbeStatus {
  id: string;
  host: string;
  version: string;
  /** The newest report's timestamp (ms). */
  lastSeen: number;
  intervalSeconds: number;
  /** Reports the probe says it dropped; reports the app refused from it (bad, too large, overloaded). */
  droppedReports: number;
  refusedReports: number;
  collectionErrors: Record<string, string>;
  /** ok: reported within its interval (plus slack); late: within the window; gone: aged out, kept a while for this list. */
  status: 'ok' | 'late' | 'gone';
}

export interface ProbeList {
  probes: ProbeStatus[];
}
