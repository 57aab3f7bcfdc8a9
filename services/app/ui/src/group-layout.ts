/**
 * Where nodes go: a deterministic layout by group, computed in one pass. Each group (host, image, namespace,
 * Marathon app — whatever the view is grouped or clustered by) gets a disc, discs are packed in rows largest first,
 * and members sit on the disc's sunflower (phyllotaxis) slots, the first slots nearest the centre.
 *
 * Why not a force layout: Weave Scope's froze for minutes at ~1,000 nodes (scope #1188), and any force layout moves
 * every node whenever one changes. Here a node's place never changes once given: a node that arrives later takes the
 * free slot nearest its group's centre, a new group takes the next place in the rows, and a removed node frees its
 * slot. A cluster node sits at its group's centre with a disc sized for all its members, so expanding it puts them
 * where it was without pushing anything else.
 */
import type { ViewNode } from '../../src/api-shapes';

export interface Point {
  x: number;
  y: number;
}

/** Sunflower spacing: neighbouring slots end up about one world unit apart. */
const SLOT_SPACING = 0.62;
const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
/** Room a disc keeps for members that arrive after the layout was made. */
const GROWTH = 1.3;
/** Space between two discs, in world units. */
const DISC_GAP = 2.5;
/** Rows are this much wider than tall, for a landscape screen. */
const ASPECT = 1.6;

export const NODE_RADIUS = 0.42;

interface GroupDisc {
  key: string;
  cx: number;
  cy: number;
  radius: number;
  nextSlot: number;
  /** Freed slots, ascending: the next node takes the one nearest the centre. */
  free: number[];
}

interface Placement {
  disc: GroupDisc;
  /** -1 for a cluster node at the disc's centre. */
  slot: number;
  point: Point;
}

function slotOffset(slot: number, spread: number): Point {
  const r = SLOT_SPACING * spread * Math.sqrt(slot + 0.5);
  const a = slot * GOLDEN_ANGLE;
  return { x: r * Math.cos(a), y: r * Math.sin(a) };
}

/** The disc a group of `weight` nodes needs, with room to grow. */
export function discRadius(weight: number, spread = 1): number {
  return SLOT_SPACING * spread * Math.sqrt(Math.max(1, weight) * GROWTH + 0.5) + NODE_RADIUS;
}

/**
 * How far apart a view's nodes are set: a small view (a few dozen hosts) gets room for every label, a large one is
 * packed at one unit so 10,000 nodes fit a screen. Fixed when a layout is made, so later nodes keep to it.
 */
export function spreadFor(weight: number): number {
  return Math.min(2.5, Math.max(1, Math.sqrt(300 / Math.max(1, weight))));
}

/** How much of the platform a node stands for: a cluster its members, anything else itself. */
function weightOf(node: ViewNode): number {
  return node.cluster ? Math.max(1, node.cluster.size) : 1;
}

function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}

export class GroupLayout {
  private readonly discs = new Map<string, GroupDisc>();
  private readonly placements = new Map<string, Placement>();
  /** The row packer's cursor, kept so groups that appear later continue the rows. */
  private cursor = { x: 0, y: 0, rowHeight: 0, rowWidth: 0 };

  private spread = 1;

  /** `dimension`: what nodes are grouped by; undefined puts every node in one disc. */
  constructor(readonly dimension: string | undefined) {}

  groupOf(node: ViewNode): string {
    if (node.cluster) return node.cluster.value;
    if (!this.dimension) return '';
    return node.group[this.dimension] ?? '';
  }

  /** Lays out a whole view from nothing. */
  layout(nodes: readonly ViewNode[]): void {
    const members = new Map<string, ViewNode[]>();
    const weights = new Map<string, number>();
    for (const node of nodes) {
      const key = this.groupOf(node);
      let list = members.get(key);
      if (!list) members.set(key, (list = []));
      list.push(node);
      weights.set(key, (weights.get(key) ?? 0) + weightOf(node));
    }
    const keys = [...members.keys()].sort((a, b) => weights.get(b)! - weights.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
    let total = 0;
    for (const w of weights.values()) total += w;
    this.spread = spreadFor(total);
    let area = 0;
    for (const key of keys) area += (2 * discRadius(weights.get(key)!, this.spread) + DISC_GAP) ** 2;
    this.cursor.rowWidth = Math.sqrt(area * ASPECT);
    for (const key of keys) {
      const disc = this.addDisc(key, weights.get(key)!);
      for (const node of members.get(key)!) this.placeIn(disc, node);
    }
  }

  /** The node's position, given one now if it has none: near its group, never over a placed node. */
  place(node: ViewNode): Point {
    const known = this.placements.get(node.id);
    if (known) return known.point;
    const key = this.groupOf(node);
    const disc = this.discs.get(key) ?? this.addDisc(key, weightOf(node));
    return this.placeIn(disc, node);
  }

  position(id: string): Point | undefined {
    return this.placements.get(id)?.point;
  }

  /** The disc a cluster node is drawn as: its group's, so the cluster covers where its members will go. */
  clusterRadius(id: string): number | undefined {
    const p = this.placements.get(id);
    return p && p.slot === -1 ? p.disc.radius : undefined;
  }

  remove(id: string): void {
    const p = this.placements.get(id);
    if (!p) return;
    this.placements.delete(id);
    if (p.slot >= 0) insertSorted(p.disc.free, p.slot);
  }

  private addDisc(key: string, weight: number): GroupDisc {
    const radius = discRadius(weight, this.spread);
    const side = 2 * radius + DISC_GAP;
    const c = this.cursor;
    if (c.rowWidth === 0) c.rowWidth = side * 8;
    if (c.x > 0 && c.x + side > c.rowWidth) {
      c.y += c.rowHeight;
      c.x = 0;
      c.rowHeight = 0;
    }
    const disc: GroupDisc = { key, cx: c.x + side / 2, cy: c.y + side / 2, radius, nextSlot: 0, free: [] };
    c.x += side;
    c.rowHeight = Math.max(c.rowHeight, side);
    this.discs.set(key, disc);
    return disc;
  }

  private placeIn(disc: GroupDisc, node: ViewNode): Point {
    let slot = -1;
    let point: Point = { x: disc.cx, y: disc.cy };
    if (!node.cluster) {
      slot = disc.free.length > 0 ? disc.free.shift()! : disc.nextSlot++;
      const o = slotOffset(slot, this.spread);
      point = { x: disc.cx + o.x, y: disc.cy + o.y };
    }
    this.placements.set(node.id, { disc, slot, point });
    return point;
  }
}
