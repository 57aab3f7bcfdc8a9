/**
 * Durable allocator state in ZooKeeper: a journal of operation batches plus occasional snapshots, like Mesos's
 * registrar over its replicated log.
 *
 *   <root>/journal/entry-0000000042   persistent sequential; JSON {batch, ops}
 *   <root>/snapshots/s-000000001234   JSON {complete, chunks, batch} once every chunk below it is written
 *   <root>/snapshots/s-000000001234/c-00000 …  the snapshot JSON, cut into chunks under ZooKeeper's 1 MB node limit
 *
 * Why a journal and not one znode per agent or task: queue mode places thousands of tasks a second, and writing
 * each would cost a round trip per task. Here every change made in one turn of the event loop — or while the previous
 * write was in flight — goes out as one entry (group commit), and callers are acknowledged only when their entry is
 * durable. One write is in flight at a time, so the journal never has a hole: if a write fails the store stops and
 * the leader steps down, leaving a clean prefix for the next one.
 *
 * Fencing comes from the ZooKeeper session: entries are written through the same session that holds the leader's
 * election node, so once that session has expired (and another replica can be elected) the old leader's writes fail.
 */
import type { Logger } from '../../lib/logger';
import { isZkError, ZkClient, ZkCode } from '../../lib/zk-client';
import type { Op, Snapshot } from './model';

export interface StateStoreOptions {
  /** Largest entry or snapshot chunk written, below ZooKeeper's default 1 MB `jute.maxbuffer`. */
  maxNodeBytes?: number;
  /** Write a snapshot (and trim the journal) after this many entries. */
  snapshotEveryEntries?: number;
  onWrite?: (seconds: number, ops: number, bytes: number) => void;
}

export interface LoadedState {
  snapshot: Snapshot | null;
  ops: Op[];
  entries: number;
}

interface Pending {
  ops: Op[];
  waiters: Array<{ resolve: () => void; reject: (err: Error) => void }>;
}

export class StoreFailedError extends Error {
  constructor(cause: unknown) {
    super(`state store failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StoreFailedError';
  }
}

export class StateStore {
  private readonly journal: string;
  private readonly snapshots: string;
  private readonly maxNodeBytes: number;
  private readonly snapshotEvery: number;
  /** The last batch number handed out; batch numbers continue across leaders (see `load`). */
  private batch = 0;
  private pending: Pending = { ops: [], waiters: [] };
  private writing = false;
  private flushScheduled = false;
  private failed: Error | null = null;
  /** Entries written since the last snapshot, with the highest batch each holds: what a snapshot lets us delete. */
  private readonly written: Array<{ path: string; batch: number }> = [];
  /** Sealed batches and snapshots, written strictly in order. */
  private readonly queue: Array<{ kind: 'ops'; batch: number; pending: Pending } | { kind: 'snapshot'; batch: number; data: Snapshot }> = [];
  private snapshotQueued = false;
  private readonly idle: Array<() => void> = [];

  constructor(
    private readonly zk: ZkClient,
    private readonly root: string,
    private readonly logger: Logger,
    private readonly options: StateStoreOptions = {},
  ) {
    this.journal = `${root}/journal`;
    this.snapshots = `${root}/snapshots`;
    this.maxNodeBytes = options.maxNodeBytes ?? 900 * 1024;
    this.snapshotEvery = options.snapshotEveryEntries ?? 500;
  }

  get failure(): Error | null {
    return this.failed;
  }

  /** Reads the newest complete snapshot and every journal entry after it. Call once, before the first append. */
  async load(): Promise<LoadedState> {
    await this.zk.mkdirp(this.journal);
    await this.zk.mkdirp(this.snapshots);
    // The previous leader's last writes may still be propagating to the server this session talks to.
    await this.zk.sync(this.root);
    let snapshot: Snapshot | null = null;
    let snapBatch = 0;
    const snaps = (await this.zk.getChildren(this.snapshots)).children.filter((c) => c.startsWith('s-')).sort().reverse();
    for (const name of snaps) {
      const meta = parseJson<{ complete?: boolean; chunks?: number; batch?: number }>((await this.zk.get(`${this.snapshots}/${name}`)).data);
      if (!meta?.complete || meta.chunks === undefined || meta.batch === undefined) continue;
      const parts = await Promise.all(Array.from({ length: meta.chunks }, (_, i) => this.zk.get(`${this.snapshots}/${name}/c-${pad(i, 5)}`).then((r) => r.data)));
      snapshot = JSON.parse(Buffer.concat(parts).toString('utf8')) as Snapshot;
      snapBatch = meta.batch;
      break;
    }
    const names = (await this.zk.getChildren(this.journal)).children.filter((c) => c.startsWith('entry-')).sort();
    const ops: Op[] = [];
    let maxBatch = snapBatch;
    // Read in parallel windows: a journal of a few thousand entries loads in a fraction of a second.
    for (let i = 0; i < names.length; i += 64) {
      const window = names.slice(i, i + 64);
      const datas = await Promise.all(window.map((n) => this.zk.get(`${this.journal}/${n}`).then((r) => r.data)));
      datas.forEach((data, k) => {
        const entry = parseJson<{ batch: number; ops: Op[] }>(data);
        if (!entry) throw new Error(`journal entry ${window[k]} is not valid JSON`);
        this.written.push({ path: `${this.journal}/${window[k]}`, batch: entry.batch });
        if (entry.batch > maxBatch) maxBatch = entry.batch;
        if (entry.batch <= snapBatch) return;
        for (const op of entry.ops) ops.push(op);
      });
    }
    this.batch = maxBatch;
    this.logger.info({ snapshotBatch: snapBatch, entries: names.length, ops: ops.length }, 'state loaded from zookeeper');
    return { snapshot, ops, entries: names.length };
  }

  /** Queues operations (already applied in memory) and resolves once they are durable. */
  append(ops: Op[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (ops.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      for (const op of ops) this.pending.ops.push(op);
      this.pending.waiters.push({ resolve, reject });
      this.scheduleFlush();
    });
  }

  /** True when enough entries have accumulated that a snapshot should replace them. */
  snapshotDue(): boolean {
    return !this.snapshotQueued && this.written.length >= this.snapshotEvery;
  }

  /**
   * Queues a snapshot of the state as it is now. The state may include operations still waiting to be written, so the
   * open batch is sealed here: the snapshot claims exactly the batches up to it and is written after them.
   */
  takeSnapshot(data: Snapshot): void {
    if (this.failed) return;
    this.seal();
    this.queue.push({ kind: 'snapshot', batch: this.batch, data });
    this.snapshotQueued = true;
    this.scheduleFlush();
  }

  /** Resolves when nothing is waiting to be written. */
  drained(): Promise<void> {
    if (!this.writing && this.pending.ops.length === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private seal(): void {
    if (this.pending.ops.length === 0) return;
    this.queue.push({ kind: 'ops', batch: ++this.batch, pending: this.pending });
    this.pending = { ops: [], waiters: [] };
  }

  private scheduleFlush(): void {
    if (this.writing || this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a timer: every change made in this turn of the event loop joins the batch, and nothing waits.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing || this.failed) return;
    this.writing = true;
    try {
      for (;;) {
        // Whatever arrived while the previous write was in flight goes out together: group commit.
        this.seal();
        const item = this.queue.shift();
        if (!item) break;
        if (item.kind === 'ops') {
          try {
            await this.writeBatch(item.batch, item.pending.ops);
            for (const w of item.pending.waiters) w.resolve();
          } catch (err) {
            this.fail(err, item.pending.waiters);
            return;
          }
        } else {
          try {
            await this.writeSnapshot(item.batch, item.data);
          } catch (err) {
            // A failed snapshot loses nothing (the journal still holds every batch); the next one will try again.
            this.logger.warn({ err }, 'snapshot failed; the journal keeps growing until the next one');
          }
          this.snapshotQueued = false;
        }
      }
    } finally {
      this.writing = false;
      if (!this.failed && this.pending.ops.length === 0 && this.queue.length === 0) for (const f of this.idle.splice(0)) f();
    }
  }

  private fail(err: unknown, waiters: Pending['waiters']): void {
    this.failed = new StoreFailedError(err);
    this.logger.error({ err }, 'journal write failed; this replica can no longer lead');
    const all = [...waiters, ...this.pending.waiters];
    for (const item of this.queue) if (item.kind === 'ops') all.push(...item.pending.waiters);
    for (const w of all) w.reject(this.failed);
    this.pending = { ops: [], waiters: [] };
    this.queue.length = 0;
    for (const f of this.idle.splice(0)) f();
  }

  private async writeBatch(batch: number, ops: Op[]): Promise<void> {
    const started = process.hrtime.bigint();
    let bytes = 0;
    // One batch may need several entries; they carry the same batch number and a crash between them leaves a
    // prefix of whole operations, which replays cleanly.
    for (const chunk of this.chunkOps(ops)) {
      const data = Buffer.from(JSON.stringify({ batch, ops: chunk }), 'utf8');
      bytes += data.length;
      const path = await this.zk.create(`${this.journal}/entry-`, data, 2 /* persistent sequential */);
      this.written.push({ path, batch });
    }
    this.options.onWrite?.(Number(process.hrtime.bigint() - started) / 1e9, ops.length, bytes);
  }

  private chunkOps(ops: Op[]): Op[][] {
    const out: Op[][] = [];
    let cur: Op[] = [];
    let size = 0;
    for (const op of ops) {
      const s = JSON.stringify(op).length + 1;
      if (s > this.maxNodeBytes) throw new Error(`journal operation of ${s} bytes exceeds the ${this.maxNodeBytes}-byte node limit`);
      if (size + s > this.maxNodeBytes && cur.length > 0) {
        out.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(op);
      size += s;
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  private async writeSnapshot(batch: number, data: Snapshot): Promise<void> {
    const started = Date.now();
    const json = Buffer.from(JSON.stringify(data), 'utf8');
    const dir = `${this.snapshots}/s-${pad(batch, 12)}`;
    try {
      await this.zk.create(dir, JSON.stringify({ complete: false }));
    } catch (err) {
      if (!isZkError(err, ZkCode.NODEEXISTS)) throw err;
    }
    const chunks = Math.max(1, Math.ceil(json.length / this.maxNodeBytes));
    for (let i = 0; i < chunks; i++) {
      const path = `${dir}/c-${pad(i, 5)}`;
      const part = json.subarray(i * this.maxNodeBytes, (i + 1) * this.maxNodeBytes);
      try {
        await this.zk.create(path, part);
      } catch (err) {
        if (!isZkError(err, ZkCode.NODEEXISTS)) throw err;
        await this.zk.set(path, part);
      }
    }
    await this.zk.set(dir, JSON.stringify({ complete: true, chunks, batch }));
    // Only now is it safe to drop what the snapshot covers.
    const covered = this.written.filter((w) => w.batch <= batch);
    this.written.splice(0, this.written.length, ...this.written.filter((w) => w.batch > batch));
    await Promise.all(covered.map((w) => this.zk.delete(w.path).catch((err) => (isZkError(err, ZkCode.NONODE) ? undefined : Promise.reject(err)))));
    const older = (await this.zk.getChildren(this.snapshots)).children.filter((c) => c.startsWith('s-') && c < `s-${pad(batch, 12)}`);
    for (const name of older) await this.deleteTree(`${this.snapshots}/${name}`);
    this.logger.info({ batch, bytes: json.length, chunks, trimmed: covered.length, ms: Date.now() - started }, 'snapshot written');
  }

  private async deleteTree(path: string): Promise<void> {
    const { children } = await this.zk.getChildren(path);
    await Promise.all(children.map((c) => this.zk.delete(`${path}/${c}`)));
    await this.zk.delete(path);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function parseJson<T>(data: Buffer): T | null {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    return null;
  }
}
