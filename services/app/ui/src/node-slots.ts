/**
 * The drawn nodes, one slot each, in the typed arrays the GPU reads. A node keeps its slot for as long as it is in
 * the view and a removed node's slot is reused, so a diff writes only the slots it touches and never reorders the
 * rest (which is what keeps a 1 % update cheap).
 */

/** Flag bits of a slot, read by the node shader. */
export const FLAG = { cluster: 1, selected: 2, dimmed: 4 } as const;

/** Floats per slot in `instances`: x, y, world radius, flags. */
export const INSTANCE_FLOATS = 4;

export interface SlotNode {
  x: number;
  y: number;
  radius: number;
  color: [number, number, number];
  label: string;
  /** Drawn under a cluster's label ("48 containers"). */
  sublabel?: string;
  cluster: boolean;
  /** Which labels win when they would overlap: larger first. */
  weight: number;
}

export class NodeSlots {
  capacity = 0;
  /** Slots in use or freed: the high-water mark drawn. */
  count = 0;
  instances = new Float32Array(0);
  colors = new Uint8Array(0);
  ids: string[] = [];
  labels: string[] = [];
  sublabels: (string | undefined)[] = [];
  weights = new Float32Array(0);
  private readonly byId = new Map<string, number>();
  private readonly free: number[] = [];

  slotOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  set(id: string, node: SlotNode): number {
    let slot = this.byId.get(id);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.count++;
      if (slot >= this.capacity) this.grow(Math.max(1024, this.capacity * 2));
      this.byId.set(id, slot);
      this.ids[slot] = id;
    }
    const o = slot * INSTANCE_FLOATS;
    const keep = this.instances[o + 3] & (FLAG.selected | FLAG.dimmed);
    this.instances[o] = node.x;
    this.instances[o + 1] = node.y;
    this.instances[o + 2] = node.radius;
    this.instances[o + 3] = keep | (node.cluster ? FLAG.cluster : 0);
    const c = slot * 4;
    this.colors[c] = node.color[0];
    this.colors[c + 1] = node.color[1];
    this.colors[c + 2] = node.color[2];
    this.colors[c + 3] = 255;
    this.labels[slot] = node.label;
    this.sublabels[slot] = node.sublabel;
    this.weights[slot] = node.weight;
    return slot;
  }

  /** Whether the slot already shows the node exactly so: then a metrics-only update needs no new frame. */
  shows(id: string, node: SlotNode): boolean {
    const slot = this.byId.get(id);
    if (slot === undefined) return false;
    const o = slot * INSTANCE_FLOATS;
    const c = slot * 4;
    return (
      this.instances[o] === Math.fround(node.x) &&
      this.instances[o + 1] === Math.fround(node.y) &&
      this.instances[o + 2] === Math.fround(node.radius) &&
      ((this.instances[o + 3] & FLAG.cluster) !== 0) === node.cluster &&
      this.colors[c] === node.color[0] &&
      this.colors[c + 1] === node.color[1] &&
      this.colors[c + 2] === node.color[2] &&
      this.labels[slot] === node.label &&
      this.sublabels[slot] === node.sublabel &&
      this.weights[slot] === Math.fround(node.weight)
    );
  }

  remove(id: string): void {
    const slot = this.byId.get(id);
    if (slot === undefined) return;
    this.byId.delete(id);
    this.ids[slot] = '';
    this.labels[slot] = '';
    // A zero radius with no flags draws nothing (the quad is discarded) until the slot is reused.
    this.instances.fill(0, slot * INSTANCE_FLOATS, (slot + 1) * INSTANCE_FLOATS);
    this.instances[slot * INSTANCE_FLOATS + 2] = -1;
    this.free.push(slot);
  }

  clear(): void {
    this.byId.clear();
    this.free.length = 0;
    this.count = 0;
    this.ids = [];
    this.labels = [];
    this.sublabels = [];
  }

  alive(slot: number): boolean {
    return this.ids[slot] !== '' && this.ids[slot] !== undefined;
  }

  setFlag(slot: number, flag: number, on: boolean): void {
    const o = slot * INSTANCE_FLOATS + 3;
    const v = this.instances[o];
    this.instances[o] = on ? v | flag : v & ~flag;
  }

  x(slot: number): number {
    return this.instances[slot * INSTANCE_FLOATS];
  }

  y(slot: number): number {
    return this.instances[slot * INSTANCE_FLOATS + 1];
  }

  radius(slot: number): number {
    return this.instances[slot * INSTANCE_FLOATS + 2];
  }

  isCluster(slot: number): boolean {
    return (this.instances[slot * INSTANCE_FLOATS + 3] & FLAG.cluster) !== 0;
  }

  private grow(capacity: number): void {
    const instances = new Float32Array(capacity * INSTANCE_FLOATS);
    instances.set(this.instances);
    const colors = new Uint8Array(capacity * 4);
    colors.set(this.colors);
    const weights = new Float32Array(capacity);
    weights.set(this.weights);
    this.instances = instances;
    this.colors = colors;
    this.weights = weights;
    this.capacity = capacity;
  }
}
