/**
 * Bounds how many ZooKeeper requests are in flight at once. One session pipelines thousands of requests well, but
 * an unbounded burst over a 100k-node tree would queue megabytes in the client and starve watch events.
 */
export class InFlightLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await op();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      // Hand the slot straight to the next waiter; `active` stays the same.
      const next = this.waiting[this.head++];
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active--;
    }
  }
}
