/**
 * Hierarchical weighted Dominant Resource Fairness, after Mesos's `DRFSorter`: pure share arithmetic, no knowledge of
 * agents, offers or quota. The allocation loop asks it "in which order should clients be served?" and tells it
 * "client X was allocated / released these resources".
 *
 * Clients are slash-separated paths (`eng`, `eng/ml`). Fairness is decided per subtree: siblings are ordered by the
 * weighted dominant share of everything allocated below them, and the order of clients is the depth-first walk of
 * that tree. A client whose path also has children (`eng` next to `eng/ml`) is a virtual leaf `.` under its own path
 * node, as in Mesos, so its own allocation competes with its children's on equal terms.
 *
 * Why incremental: the loop changes one client's allocation per offer or placement, thousands of times per cycle.
 * Re-sorting every level after each change would be O(n log n) each time; instead a change walks up the client's
 * path and moves each node to its new place among its siblings (the siblings are still sorted), and the flattened
 * order is rebuilt lazily — only when someone asks for it after a change (the dirty flag).
 */
import { accumulate, emptyScalars, ScalarName, Scalars, SCALAR_NAMES } from './resources';

interface SorterNode<T> {
  /** Path of this node; for the virtual leaf of a client with children, the client's own path. */
  readonly path: string;
  /** Name used to break ties; the virtual leaf sorts as `<path>/.`. */
  readonly sortName: string;
  parent: SorterNode<T> | null;
  readonly children: SorterNode<T>[];
  /** The client's payload when this node is a leaf client. */
  client: { data: T } | null;
  readonly allocated: Scalars;
  /** How many allocations were made to this subtree: the first tie-breaker after the share. */
  allocations: number;
  share: number;
  /** The weight of `path` (kept on the node: looked up on every allocation). */
  weight: number;
}

export interface DrfSorterOptions {
  /** Resources ignored when computing shares (Mesos's `--fair_sharing_excluded_resource_names`, default gpus). */
  excluded?: readonly ScalarName[];
}

export class DrfSorter<T> {
  private readonly root: SorterNode<T>;
  private readonly leaves = new Map<string, SorterNode<T>>();
  private readonly paths = new Map<string, SorterNode<T>>();
  private readonly weights = new Map<string, number>();
  private readonly excluded: ReadonlySet<ScalarName>;
  private total: Scalars = emptyScalars();
  /** The total of each resource shares are computed over; 0 for excluded resources, which then count for nothing. */
  private divisors: Scalars = emptyScalars();
  private order: T[] = [];
  private dirty = false;
  /** While loading state: sums are kept, shares and order are computed once at the end (`endBulk`). */
  private bulk = false;

  constructor(options: DrfSorterOptions = {}) {
    this.excluded = new Set(options.excluded ?? ['gpus']);
    this.root = this.node('', '', null);
  }

  get size(): number {
    return this.leaves.size;
  }

  has(client: string): boolean {
    return this.leaves.has(client);
  }

  /** Adds a client with its payload; its path's missing ancestors are created. Adding twice replaces the payload. */
  add(client: string, data: T): void {
    const existing = this.leaves.get(client);
    if (existing) {
      existing.client = { data };
      this.dirty = true;
      return;
    }
    const pathNode = this.ensurePath(client);
    let leaf: SorterNode<T>;
    if (pathNode.children.length === 0 && pathNode.client === null && pathNode !== this.root) {
      // A client without children is its own path node; it moves down to a virtual leaf if children appear later.
      leaf = pathNode;
    } else {
      leaf = this.node(client, `${client}/.`, pathNode);
      this.insertSorted(pathNode, leaf);
    }
    leaf.client = { data };
    this.leaves.set(client, leaf);
    this.dirty = true;
  }

  /** Removes a client. Its allocation is released from its ancestors; empty ancestors are pruned. */
  remove(client: string): void {
    const leaf = this.leaves.get(client);
    if (!leaf) return;
    this.leaves.delete(client);
    if (leaf.children.length > 0) {
      // The path node stays for its children; it just stops being a client.
      leaf.client = null;
      this.release(leaf, { ...leaf.allocated });
      return;
    }
    this.release(leaf, { ...leaf.allocated });
    leaf.client = null;
    this.prune(leaf);
    this.dirty = true;
  }

  setWeight(path: string, weight: number): void {
    this.weights.set(path, weight);
    const node = this.paths.get(path);
    const leaf = this.leaves.get(path);
    for (const n of new Set([node, leaf])) {
      if (n) {
        n.weight = weight;
        n.share = this.shareOf(n);
        this.reposition(n);
      }
    }
  }

  weight(path: string): number {
    return this.weights.get(path) ?? 1;
  }

  /** Sets the cluster total the shares are fractions of; every share changes, so every level is re-sorted. */
  setTotal(total: Scalars): void {
    this.total = { ...total };
    this.divisors = emptyScalars();
    for (const name of SCALAR_NAMES) if (!this.excluded.has(name)) this.divisors[name] = total[name];
    const visit = (n: SorterNode<T>): void => {
      for (const c of n.children) {
        c.share = this.shareOf(c);
        visit(c);
      }
      n.children.sort(compareNodes);
    };
    visit(this.root);
    this.dirty = true;
  }

  allocated(client: string, amount: Scalars): void {
    const leaf = this.leaves.get(client);
    if (!leaf) throw new Error(`sorter: unknown client ${client}`);
    for (let n: SorterNode<T> | null = leaf; n && n !== this.root; n = n.parent) {
      accumulate(n.allocated, amount, 1);
      n.allocations++;
      if (this.bulk) continue;
      n.share = this.shareOf(n);
      this.reposition(n);
    }
  }

  /**
   * Loading hundreds of thousands of allocations one by one would re-position nodes each time; in bulk mode only
   * the sums are kept, and `endBulk` computes every share and sorts every level once.
   */
  beginBulk(): void {
    this.bulk = true;
  }

  endBulk(total: Scalars = this.total): void {
    this.bulk = false;
    this.setTotal(total);
  }

  unallocated(client: string, amount: Scalars): void {
    const leaf = this.leaves.get(client);
    if (!leaf) throw new Error(`sorter: unknown client ${client}`);
    this.release(leaf, amount);
  }

  /** The client's own weighted dominant share. */
  share(client: string): number {
    return this.leaves.get(client)?.share ?? 0;
  }

  /** The weighted dominant share of everything allocated at or below `path`. */
  subtreeShare(path: string): number {
    return this.paths.get(path)?.share ?? 0;
  }

  allocation(client: string): Scalars {
    const leaf = this.leaves.get(client);
    return leaf ? { ...leaf.allocated } : emptyScalars();
  }

  /** Clients in the order they should be served. The array is shared and valid until the next change. */
  sort(): readonly T[] {
    if (this.dirty) {
      this.order.length = 0;
      this.flatten(this.root);
      this.dirty = false;
    }
    return this.order;
  }

  /**
   * Walks clients in order until `visit` returns true, without building the flattened order: the loop usually stops
   * at the first client that can use an agent, so this costs a few nodes instead of the whole tree. `visit` must
   * return true after changing any allocation (the walk cannot continue over re-sorted siblings).
   */
  visitInOrder(visit: (data: T) => boolean): boolean {
    return this.walk(this.root, visit);
  }

  private walk(n: SorterNode<T>, visit: (data: T) => boolean): boolean {
    const children = n.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      if (c.client && visit(c.client.data)) return true;
      if (c.children.length > 0 && this.walk(c, visit)) return true;
    }
    return false;
  }

  private flatten(n: SorterNode<T>): void {
    for (const c of n.children) {
      if (c.client) this.order.push(c.client.data);
      if (c.children.length > 0) this.flatten(c);
    }
  }

  private release(leaf: SorterNode<T>, amount: Scalars): void {
    for (let n: SorterNode<T> | null = leaf; n && n !== this.root; n = n.parent) {
      accumulate(n.allocated, amount, -1);
      if (this.bulk) continue;
      n.share = this.shareOf(n);
      this.reposition(n);
    }
  }

  private prune(n: SorterNode<T>): void {
    let cur: SorterNode<T> | null = n;
    while (cur && cur !== this.root && cur.children.length === 0 && cur.client === null) {
      const parent: SorterNode<T> = cur.parent!;
      const i = parent.children.indexOf(cur);
      if (i >= 0) parent.children.splice(i, 1);
      if (this.paths.get(cur.path) === cur) this.paths.delete(cur.path);
      cur = parent;
    }
    // A path node left with only its virtual leaf collapses back into a plain client node.
    if (cur && cur !== this.root && cur.client === null && cur.children.length === 1 && cur.children[0].sortName === `${cur.path}/.`) {
      const v = cur.children[0];
      cur.children.length = 0;
      cur.client = v.client;
      cur.allocations = v.allocations;
      this.leaves.set(cur.path, cur);
    }
  }

  private ensurePath(path: string): SorterNode<T> {
    const found = this.paths.get(path);
    if (found) return found;
    let parent = this.root;
    let prefix = '';
    for (const part of path.split('/')) {
      prefix = prefix ? `${prefix}/${part}` : part;
      let n = this.paths.get(prefix);
      if (!n) {
        if (parent.client !== null && parent !== this.root) this.pushDownClient(parent);
        n = this.node(prefix, prefix, parent);
        this.paths.set(prefix, n);
        this.insertSorted(parent, n);
      }
      parent = n;
    }
    return parent;
  }

  /** A client node is about to get children: its own allocation moves to a virtual `.` leaf below it. */
  private pushDownClient(n: SorterNode<T>): void {
    const leaf = this.node(n.path, `${n.path}/.`, n);
    accumulate(leaf.allocated, n.allocated, 1);
    leaf.allocations = n.allocations;
    leaf.client = n.client;
    leaf.share = this.shareOf(leaf);
    n.client = null;
    n.children.push(leaf);
    this.leaves.set(n.path, leaf);
    this.dirty = true;
  }

  private node(path: string, sortName: string, parent: SorterNode<T> | null): SorterNode<T> {
    return { path, sortName, parent, children: [], client: null, allocated: emptyScalars(), allocations: 0, share: 0, weight: this.weights.get(path) ?? 1 };
  }

  private shareOf(n: SorterNode<T>): number {
    // `dominantShare` of resources.ts, specialised: this runs for every level of every allocation, where a Set lookup
    // and then keyed property access (`alloc[name]`, a generic lookup) per resource showed up in profiles.
    const d = this.divisors;
    const a = n.allocated;
    let share = d.cpus > 0 ? a.cpus / d.cpus : 0;
    if (d.mem > 0 && a.mem / d.mem > share) share = a.mem / d.mem;
    if (d.disk > 0 && a.disk / d.disk > share) share = a.disk / d.disk;
    if (d.gpus > 0 && a.gpus / d.gpus > share) share = a.gpus / d.gpus;
    return share / n.weight;
  }

  private insertSorted(parent: SorterNode<T>, n: SorterNode<T>): void {
    const list = parent.children;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareNodes(list[mid], n) <= 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, n);
    this.dirty = true;
  }

  /** Moves `n` to its place among its (sorted) siblings; a no-op when it is still in order. */
  private reposition(n: SorterNode<T>): void {
    const parent = n.parent;
    if (!parent) return;
    const list = parent.children;
    const i = list.indexOf(n);
    if (i < 0) return;
    // Shift the siblings it passes, in place: `splice` would allocate an array per call, on every level of every
    // allocation. The order is total (names break ties), so this lands where a binary insertion would. Only a move
    // makes the flattened order stale.
    let j = i;
    while (j > 0 && compareNodes(list[j - 1], n) > 0) {
      list[j] = list[j - 1];
      j--;
    }
    if (j === i) {
      while (j < list.length - 1 && compareNodes(n, list[j + 1]) > 0) {
        list[j] = list[j + 1];
        j++;
      }
    }
    list[j] = n;
    if (j !== i) this.dirty = true;
  }
}

function compareNodes<T>(a: SorterNode<T>, b: SorterNode<T>): number {
  if (a.share !== b.share) return a.share - b.share;
  if (a.allocations !== b.allocations) return a.allocations - b.allocations;
  return a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0;
}

