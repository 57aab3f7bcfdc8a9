/**
 * Key → slot number, as an open-addressing hash table in an `Int32Array`. A `Map<string, number>` of 630,000
 * task ids costs ~48 MB of JS heap in one array the garbage collector scans on every full collection, and V8 sizes
 * the heap in proportion to what is live; this costs 8–16 bytes a record outside the heap. The keys themselves stay
 * where the caller keeps them (`keyOf`: a task's id string, an offer's number, a filter's framework × agent pair), so
 * lookups compare with `===` and nothing is copied.
 *
 * Linear probing with backward-shift deletion: no tombstones, so the table never degrades under churn.
 */
export class IdIndex<K extends string | number = string> {
  /** slot + 1 per bucket; 0 is empty. */
  private table = new Int32Array(1024);
  private mask = this.table.length - 1;
  /** The hash of each slot's id, kept so growing and deleting never hash a string again. */
  private hashes = new Int32Array(1024);
  private count = 0;

  constructor(
    private readonly keyOf: (slot: number) => K,
    private readonly hashOf: (key: K) => number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The slot of `id`, or -1. */
  get(id: K): number {
    const h = this.hashOf(id);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.table[i];
      if (e === 0) return -1;
      if (this.hashes[e - 1] === h && this.keyOf(e - 1) === id) return e - 1;
    }
  }

  /** Indexes `slot` under `id`, which must not be indexed yet. */
  add(id: K, slot: number): void {
    this.ensureHashes(slot);
    this.hashes[slot] = this.hashOf(id);
    if (++this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    this.place(slot);
  }

  /** Indexes `withSlot` under the key `slot` is indexed under, in its place (the key of `withSlot` must be the same). */
  replace(slot: number, withSlot: number): void {
    const i = this.bucketOf(slot);
    this.ensureHashes(withSlot);
    this.hashes[withSlot] = this.hashes[slot];
    this.table[i] = withSlot + 1;
  }

  /** Removes `slot`, which must be indexed. */
  delete(slot: number): void {
    const mask = this.mask;
    const table = this.table;
    let i = this.bucketOf(slot);
    this.count--;
    // Backward shift: pull later entries of the probe run into the hole unless that would put them before their home.
    for (let j = i; ; ) {
      table[i] = 0;
      for (;;) {
        j = (j + 1) & mask;
        const e = table[j];
        if (e === 0) return;
        const home = this.hashes[e - 1] & mask;
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (stays) continue;
        table[i] = e;
        i = j;
        break;
      }
    }
  }

  private ensureHashes(slot: number): void {
    if (slot < this.hashes.length) return;
    const hashes = new Int32Array(Math.max(slot + 1, this.hashes.length * 2));
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  /** The bucket holding `slot`, which must be indexed. */
  private bucketOf(slot: number): number {
    let i = this.hashes[slot] & this.mask;
    while (this.table[i] !== slot + 1) i = (i + 1) & this.mask;
    return i;
  }

  private place(slot: number): void {
    let i = this.hashes[slot] & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
  }

  private rehash(capacity: number): void {
    const old = this.table;
    this.table = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (const e of old) if (e !== 0) this.place(e - 1);
  }
}

/** FNV-1a over the UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** For integer keys (up to 2^53): both halves mixed, then murmur3's finalizer, so the low bits probing uses vary. */
export function hashInteger(n: number): number {
  let h = (n | 0) ^ Math.imul((n / 0x1_0000_0000) | 0, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
