/**
 * Small numbers for live objects — agents, frameworks, roles — recycled after removal. The column stores (`OfferTable`,
 * `OfferFilters`) key their records by these numbers instead of by id strings, so the allocation loop compares and
 * hashes integers, and a record holds no reference the garbage collector must trace.
 */
export class SlotNumbers<T> {
  private readonly items: Array<T | undefined> = [];
  private readonly free: number[] = [];

  /** Numbers a new object: `make` receives the number and returns the object it stands for. */
  assign(make: (slot: number) => T): T {
    const slot = this.free.pop() ?? this.items.length;
    const item = make(slot);
    this.items[slot] = item;
    return item;
  }

  release(slot: number): void {
    this.items[slot] = undefined;
    this.free.push(slot);
  }

  at(slot: number): T {
    return this.items[slot]!;
  }
}
