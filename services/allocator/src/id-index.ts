/**
 * Id string → slot number, as an open-addressing hash table in an `Int32Array`. A `Map<string, number>` of 630,000
 * task ids costs ~48 MB of JS heap in one array the garbage collector scans on every full collection, and V8 sizes
 * the heap in proportion to what is live; this costs 8–16 bytes a task outside the heap. The strings themselves stay
 * where the caller keeps them (`keyOf`), so lookups compare with `===` and nothing is copied.
 *
 * Linear probing with backward-shift deletion: no tombstones, so the table never degrades under churn.
 */
export class IdIndex {
  /** slot + 1 per bucket; 0 is empty. */
  private table = new Int32Array(1024);
  private mask = this.table.length - 1;
  /** The hash of each slot's id, kept so growing and deleting never hash a string again. */
  private hashes = new Int32Array(1024);
  private count = 0;

  constructor(private readonly keyOf: (slot: number) => string) {}

  get size(): number {
    return this.count;
  }

  /** The slot of `id`, or -1. */
  get(id: string): number {
    const h = hashOf(id);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.table[i];
      if (e === 0) return -1;
      if (this.hashes[e - 1] === h && this.keyOf(e - 1) === id) return e - 1;
    }
  }

  /** Indexes `slot` under `id`, which must not be indexed yet. */
  add(id: string, slot: number): void {
    if (slot >= this.hashes.length) {
      const hashes = new Int32Array(Math.max(slot + 1, this.hashes.length * 2));
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[slot] = hashOf(id);
    if (++this.count * 2 > this.table.length) this.rehash(this.table.length * 2);
    this.place(slot);
  }

  /** Removes `slot`, indexed under `id`. */
  delete(id: string, slot: number): void {
    const mask = this.mask;
    const table = this.table;
    let i = hashOf(id) & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
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
function hashOf(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
