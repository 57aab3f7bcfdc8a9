/**
 * What a renderer makes of the merged report: the topology's nodes (each with its public `ViewNode` and what the
 * details route needs), and its edges, aggregated from the resolved connections. Renderers are pure functions of the
 * merged report and the connections resolved from it; the helpers here are the parts they share.
 */
import { MergedMaps, nodesOf } from '../merged-maps';
import type { ReportNode } from '../../../lib/report/report-schema';
import type { TopologyDescriptor, ViewEdge, ViewNode } from '../api-shapes';
import type { EndpointOwner, ResolvedConnection } from '../connection-resolution';
import { LatestSample } from '../report-compaction';

export interface NodeRef {
  id: string;
  label: string;
  kind: string;
}

export interface RenderedNode {
  view: ViewNode;
  /** The report nodes (host, container, process ids) it stands for: its series are theirs, summed. */
  members: string[];
}

/** Nodes a node belongs to and nodes it holds, in this or other topologies. */
export interface NodeRelations {
  parents: NodeRef[];
  children: NodeRef[];
}

export interface RenderedEdge {
  view: ViewEdge;
  /** Connections by server port, as pairs: `[port, count, port, count, …]` (usually one pair; a Map each costs more). */
  ports: number[];
}

export interface RenderedTopology {
  name: string;
  /** In the merged report's order, which stays put from one generation to the next (sorting 100k ids would not). */
  nodes: Map<string, RenderedNode>;
  /** A list, not a map by id: hashing 50k fresh `source|target` strings per generation cost more than the rest. */
  edges: RenderedEdge[];
  /** Computed on demand (the details route asks for one node at a time); may build an index on first call. */
  relations(node: RenderedNode): NodeRelations;
}

export const NO_RELATIONS: NodeRelations = Object.freeze({ parents: [], children: [] }) as unknown as NodeRelations;

export type TopologyShape = Omit<TopologyDescriptor, 'nodeCount'>;

/**
 * What a renderer may keep between its calls: the view it made of a report node, with the values of other nodes it
 * read (a container's host name, …). Report nodes are immutable and most stay the same object from one generation
 * to the next, so most views are reused — fewer allocations, and diffs that see an unchanged node by identity.
 */
export type RenderMemo = WeakMap<object, { view: ViewNode; deps: readonly unknown[]; rendered?: RenderedNode }>;

export interface TopologyRenderer {
  descriptor: TopologyShape;
  /**
   * The rendering in steps: it yields whenever `budget` says the step has run long enough, and returns the topology.
   * The report must not change while it runs (the window changes only when advanced, which the service does not do
   * while steps are under way); the result is the same whatever the budget.
   */
  steps(report: MergedMaps, connections: readonly ResolvedConnection[], budget: StepBudget, memo?: RenderMemo): Generator<void, RenderedTopology>;
  /** All the steps at once. */
  render(report: MergedMaps, connections: readonly ResolvedConnection[], memo?: RenderMemo): RenderedTopology;
}

/**
 * When a step of work has run long enough: `spent()` is asked once per item (a node, a connection) and says true when
 * the step should end, so the work yields to the event loop and goes on with a fresh budget when resumed.
 */
export interface StepBudget {
  spent(): boolean;
}

/** Never spent: one step (tests, and reads that cannot wait). */
export const UNBOUNDED: StepBudget = { spent: () => false };

/**
 * Spent after `ms` of work since the step began. The clock is read once every 64 items (a render item is a
 * microsecond or so; reading the clock each time would cost a tenth of that), or every item for items of a
 * millisecond or so (`clockEvery` 1: a probe's part of the window's advance), and a step begins at the first item
 * after a yield.
 */
export function timeBudget(ms: number, clockEvery: 1 | 64 = 64): StepBudget {
  let deadline = -1;
  let items = 0;
  const mask = clockEvery - 1;
  return {
    spent() {
      if ((++items & mask) !== 0) return false;
      const now = performance.now();
      if (deadline < 0) {
        deadline = now + ms;
        return false;
      }
      if (now < deadline) return false;
      deadline = -1;
      return true;
    },
  };
}

/** Spent every `n` items: deterministic steps, for tests. */
export function countBudget(n: number): StepBudget {
  let items = 0;
  return { spent: () => ++items % n === 0 };
}

/** Runs steps to the end. */
export function runToEnd<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** A renderer from its steps; `render` runs them at once. */
export function steppedRenderer(
  descriptor: TopologyShape,
  steps: (report: MergedMaps, connections: readonly ResolvedConnection[], budget: StepBudget, memo?: RenderMemo) => Generator<void, RenderedTopology>,
): TopologyRenderer {
  return { descriptor, steps, render: (report, connections, memo) => runToEnd(steps(report, connections, UNBOUNDED, memo)) };
}

/** The latest value of each metric (series are latest-only in the window, but any series works). */
export function latestMetrics(node: ReportNode): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name in node.metrics) {
    const series = node.metrics[name];
    if (series instanceof LatestSample) out[name] = series.value;
    else if (series.samples.length > 0) out[name] = series.samples[series.samples.length - 1][1];
  }
  return out;
}

/** Adds a node's latest values into `into`: an aggregate node's metrics are its members' sums. */
export function addLatest(into: Record<string, number>, node: ReportNode): void {
  for (const name in node.metrics) {
    const series = node.metrics[name];
    const value = series instanceof LatestSample ? series.value : series.samples[series.samples.length - 1]?.[1];
    if (value !== undefined) into[name] = (into[name] ?? 0) + value;
  }
}

function addPort(ports: number[], port: number, count: number): void {
  for (let i = 0; i < ports.length; i += 2) {
    if (ports[i] === port) {
      ports[i + 1] += count;
      return;
    }
  }
  ports.push(port, count);
}

/** A host id's name: the host node's `name` label, else the id without its prefix. */
export function hostName(report: MergedMaps, hostId: string | undefined): string | undefined {
  if (hostId === undefined) return undefined;
  return nodesOf(report, 'host').get(hostId)?.labels.name ?? hostId.slice(hostId.indexOf(':') + 1);
}

const CONTAINER_NAMES = new WeakMap<ReportNode, string>();

/**
 * Docker names carry a leading `/`. Kept per container node (while it is the same object): every process of the
 * container asks, and a fresh string per process is 100k a generation at the full fleet.
 */
export function containerName(node: ReportNode | undefined, id: string): string {
  if (!node) return id.slice('container:'.length, 'container:'.length + 12);
  let name = CONTAINER_NAMES.get(node);
  if (name === undefined) {
    const label = node.labels.name;
    name = label ? label.replace(/^\//, '') : id.slice('container:'.length, 'container:'.length + 12);
    CONTAINER_NAMES.set(node, name);
  }
  return name;
}

/** `build` then `get`: a value made on first use and kept, for the indexes `relations` needs. */
export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

/** Appends to the list under `key`, creating it. */
export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Drops the undefined and empty values: a node's `group` holds only the dimensions it has, its labels only what is known. */
export function definedValues(group: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in group) if (group[k] !== undefined && group[k] !== '') out[k] = group[k] as string;
  return out;
}

export const PSEUDO_LABEL = 'pseudo';
export const INTERNET_ID = 'pseudo:internet';

/**
 * Builds a topology: its own nodes, plus the pseudo nodes its edges need for ends it has no node for — the host of
 * an uncontained process in a container view, the internet for peers outside every reported namespace.
 */
export class TopologyBuilder {
  readonly nodes = new Map<string, RenderedNode>();
  private readonly edges: RenderedEdge[] = [];
  private readonly edgeTable = new Map<string, Map<string, RenderedEdge>>();
  private readonly ends = new Map<EndpointOwner, string | null>();
  private readonly memo: RenderMemo;

  /**
   * `outside`: the sublabel of a host's pseudo node, what its connections' ends are outside of ("uncontained" in a
   * container view, "outside any pod" in the pods view).
   */
  constructor(
    readonly name: string,
    private readonly report: MergedMaps,
    private readonly outside = 'not reporting',
    memo?: RenderMemo,
  ) {
    this.memo = memo ?? new WeakMap();
  }

  /** The view of `node`, reused from the last call when `node` is the same object and `deps` the same values. */
  viewOf(node: ReportNode, deps: readonly unknown[], make: () => ViewNode): ViewNode {
    return this.memoOf(node, deps, make).view;
  }

  /**
   * `viewOf` for a node that stands for `node` alone (`members` [its id]): the whole rendered node is reused with
   * its view, so an unchanged node costs no allocation (at the full fleet ~110k nodes a generation, most unchanged).
   */
  renderedOf(node: ReportNode, id: string, deps: readonly unknown[], make: () => ViewNode): RenderedNode {
    const seen = this.memoOf(node, deps, make);
    if (seen.rendered?.members[0] !== id) seen.rendered = { view: seen.view, members: [id] };
    return seen.rendered;
  }

  private memoOf(node: ReportNode, deps: readonly unknown[], make: () => ViewNode): { view: ViewNode; deps: readonly unknown[]; rendered?: RenderedNode } {
    const seen = this.memo.get(node);
    if (seen && seen.deps.length === deps.length && seen.deps.every((d, i) => d === deps[i])) return seen;
    const made = { view: make(), deps };
    this.memo.set(node, made);
    return made;
  }

  add(node: RenderedNode): void {
    this.nodes.set(node.view.id, node);
  }

  /**
   * Edges from the connections, each end mapped by `endOf` to this topology's node id, or undefined for "not at this
   * level", which falls back to a pseudo node for the container, the host, or the internet.
   */
  *connect(connections: readonly ResolvedConnection[], endOf: (owner: EndpointOwner) => string | undefined, budget: StepBudget, fallbackToContainer = false): Generator<void, void> {
    const end = (owner: EndpointOwner): string | null => {
      let id = this.ends.get(owner);
      if (id === undefined) {
        const own = endOf(owner);
        id = (own !== undefined && this.nodes.has(own) ? own : this.pseudo(owner, fallbackToContainer)) ?? null;
        this.ends.set(owner, id);
      }
      return id;
    };
    for (const c of connections) {
      const source = end(c.client);
      const target = end(c.server);
      if (source === null || target === null || source === target) {
        if (budget.spent()) yield;
        continue;
      }
      let byTarget = this.edgeTable.get(source);
      if (!byTarget) this.edgeTable.set(source, (byTarget = new Map()));
      let edge = byTarget.get(target);
      if (!edge) {
        // The first pair as a literal: an empty array's first push reserves 19 slots, ~200 bytes an edge where
        // this takes ~60 (at the full fleet ~100k edges a generation, ~14 MB of live heap).
        byTarget.set(target, (edge = { view: { id: `${source}|${target}`, source, target, weight: c.count }, ports: [c.port, c.count] }));
        this.edges.push(edge);
      } else {
        edge.view.weight += c.count;
        addPort(edge.ports, c.port, c.count);
      }
      if (budget.spent()) yield;
    }
  }

  build(relations: (node: RenderedNode) => NodeRelations = () => NO_RELATIONS): RenderedTopology {
    return { name: this.name, nodes: this.nodes, edges: this.edges, relations: (node) => (node.view.labels[PSEUDO_LABEL] === 'true' ? NO_RELATIONS : relations(node)) };
  }

  private pseudo(owner: EndpointOwner, fallbackToContainer: boolean): string | undefined {
    if (owner.external !== undefined) {
      if (!this.nodes.has(INTERNET_ID)) {
        this.add({ view: { id: INTERNET_ID, label: 'The Internet', sublabel: 'outside every reported host', kind: 'internet', labels: { [PSEUDO_LABEL]: 'true' }, metrics: {}, group: {} }, members: [] });
      }
      return INTERNET_ID;
    }
    if (fallbackToContainer && owner.container !== undefined) {
      const id = owner.container;
      if (!this.nodes.has(id)) {
        const node = nodesOf(this.report, 'container').get(id);
        const host = hostName(this.report, owner.host);
        this.add({
          view: { id, label: containerName(node, id), sublabel: host, kind: 'container', labels: { ...node?.labels, [PSEUDO_LABEL]: 'true' }, metrics: {}, group: definedValues({ host }) },
          members: [id],
        });
      }
      return id;
    }
    if (owner.host !== undefined) {
      const id = owner.host;
      if (!this.nodes.has(id)) {
        const host = hostName(this.report, id) ?? id;
        this.add({
          view: { id, label: host, sublabel: this.outside, kind: 'host', labels: { name: host, [PSEUDO_LABEL]: 'true' }, metrics: {}, group: { host } },
          members: [id],
        });
      }
      return id;
    }
    return undefined;
  }
}
