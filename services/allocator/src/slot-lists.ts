/**
 * The building blocks of the column stores (`TaskTable`, `OfferTable`, `OfferFilters`): records are slots — indices
 * into typed arrays — and the lists that group them (an agent's tasks, a framework's offers) are links between slots
 * rather than arrays or sets of objects, so adding and removing a record allocates nothing on the JS heap.
 */

/** A copy of `a` with room for `capacity` elements. */
export function grown<T extends Int32Array | Float64Array>(a: T, capacity: number): T {
  const b = new (a.constructor as new (length: number) => T)(capacity);
  b.set(a as ArrayLike<number>);
  return b;
}

/** Doubly linked lists of slots, one list per owner (a small number: an agent's or a framework's), in insertion order. */
export class SlotLists {
  next = new Int32Array(0);
  prev = new Int32Array(0);
  /**
   * Per owner, typed arrays too: owners are numbered densely but first used in any order (offers go to agents in a
   * random order), and a plain array written out of order falls back to slow dictionary elements.
   */
  private head = new Int32Array(0);
  private tail = new Int32Array(0);
  private counts = new Int32Array(0);

  grow(capacity: number): void {
    this.next = grown(this.next, capacity);
    this.prev = grown(this.prev, capacity);
  }

  append(owner: number, slot: number): void {
    if (owner >= this.head.length) this.growOwners(owner);
    const last = this.tail[owner];
    this.prev[slot] = last;
    this.next[slot] = -1;
    if (last >= 0) this.next[last] = slot;
    else this.head[owner] = slot;
    this.tail[owner] = slot;
    this.counts[owner]++;
  }

  remove(owner: number, slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.head[owner] = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail[owner] = p;
    this.counts[owner]--;
  }

  first(owner: number): number {
    return owner < this.head.length ? this.head[owner] : -1;
  }

  size(owner: number): number {
    return owner < this.counts.length ? this.counts[owner] : 0;
  }

  /** The owner's slots in order (none for owner -1); reads `next` before yielding, so the caller may remove the slot. */
  *walk<T>(owner: number, map: (slot: number) => T): IterableIterator<T> {
    for (let slot = owner < 0 ? -1 : this.first(owner); slot >= 0; ) {
      const following = this.next[slot];
      yield map(slot);
      slot = following;
    }
  }

  private growOwners(owner: number): void {
    const capacity = Math.max(1024, owner + 1, Math.ceil(this.head.length * 1.5));
    const empty = this.head.length;
    this.head = grown(this.head, capacity);
    this.tail = grown(this.tail, capacity);
    this.counts = grown(this.counts, capacity);
    this.head.fill(-1, empty);
    this.tail.fill(-1, empty);
  }
}
