/**
 * Continuous replication between two trees, driven by ZooKeeper watches.
 *
 * Every path is reconciled by one routine: read the node on both sides (data, children, and in a full compare the
 * ACL), arming a watch with the read where none is armed, decide with the ledger and the conflict policy, write.
 * Because the watch is armed by the same request that reads, any change after that read fires it — nothing that
 * happens between an event and the re-arm is lost, the re-read sees it. Writes are conditional on the version just
 * read, so a client writing at the same moment makes the write fail and the path is simply reconciled again.
 *
 * Work is a queue of paths, each in the queue at most once and never reconciled twice at the same time. A full
 * compare (start, reconnect, session expiry, periodic) walks every path; an event reconciles the one path it names
 * and whichever of its children are new.
 */
import { isZkError, OPEN_ACL_UNSAFE, Watcher, ZkAcl, ZkCode, ZkStat } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import type { ConflictLog } from './conflict-log';
import { changedSince, ConflictPolicy, Decision, decide, Direction, LedgerEntry, NodeState } from './conflict-policy';
import type { EnsembleSide } from './ensemble-side';
import type { SyncMetrics } from './metrics';
import type { PathFilter } from './path-filter';
import { isTransient } from './retry';
import type { SyncLedger } from './sync-ledger';
import { aclEqual, readableAclEntries } from './tree-hash';
import { childRel, displayRel, parentRel, Rel } from './tree-paths';

/** How ACLs look through the freeze: the frozen side is compared as its original ACLs and written frozen. */
export interface AclLens {
  view(side: EnsembleSide, rel: Rel, acl: ZkAcl[]): ZkAcl[];
  write(side: EnsembleSide, rel: Rel, acl: ZkAcl[]): ZkAcl[];
}

export interface ReplicatorOptions {
  /** The source. */
  a: EnsembleSide;
  /** The target. */
  b: EnsembleSide;
  filter: PathFilter;
  direction: Direction;
  policy: ConflictPolicy;
  ledger: SyncLedger;
  conflicts: ConflictLog;
  metrics: SyncMetrics;
  logger: Logger;
  /** Paths reconciled at the same time. */
  concurrency?: number;
  /** A full compare this often as a safety net (ACL changes fire no watch); 0 turns it off. */
  fullCompareIntervalMs?: number;
  aclLens?: AclLens;
}

interface SideRead {
  /** Null when absent, or when the node is ephemeral (ephemerals are not replicated). */
  node: { data: Buffer; stat: ZkStat } | null;
  ephemeral: boolean;
  children: string[] | null;
  acl: ZkAcl[] | null;
}

const IDENTITY_LENS: AclLens = { view: (_s, _r, acl) => acl, write: (_s, _r, acl) => acl };

export class Replicator {
  private readonly sides: [EnsembleSide, EnsembleSide];
  private readonly armedData: [Set<Rel>, Set<Rel>] = [new Set(), new Set()];
  private readonly armedChildren: [Set<Rel>, Set<Rel>] = [new Set(), new Set()];
  private readonly expectEcho = new Set<string>();
  private readonly pending = new Map<Rel, boolean>();
  /**
   * Paths queued only for data changes (no child listing needed), with the sides (bit 1: a, bit 2: b) whose change
   * events queued them; cleared when any other reason queues the path.
   */
  private readonly dataOnly = new Map<Rel, number>();
  private readonly running = new Set<Rel>();
  private queue: Rel[] = [];
  private head = 0;
  private active = 0;
  private fullOutstanding = 0;
  private fullWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private fullScheduled?: NodeJS.Timeout;
  private readonly concurrency: number;
  private lens: AclLens;
  private direction: Direction;
  private readonly listeners: [string, EnsembleSide, () => void][] = [];
  /** Writes made, for status. */
  writes = 0;

  constructor(private readonly options: ReplicatorOptions) {
    this.sides = [options.a, options.b];
    this.concurrency = options.concurrency ?? 256;
    this.lens = options.aclLens ?? IDENTITY_LENS;
    this.direction = options.direction;
  }

  get queueDepth(): number {
    return this.pending.size + this.active;
  }

  get currentDirection(): Direction {
    return this.direction;
  }

  /** Starts watching and runs the initial full compare (which copies everything missing); resolves when it is done. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const [i, side] of this.sides.entries()) {
      const onRenewed = (): void => {
        this.armedData[i].clear();
        this.armedChildren[i].clear();
        this.scheduleFullCompare('session renewed');
      };
      const onReconnected = (): void => this.scheduleFullCompare('reconnected');
      side.on('renewed', onRenewed);
      side.on('reconnected', onReconnected);
      this.listeners.push(['renewed', side, onRenewed], ['reconnected', side, onReconnected]);
    }
    const interval = this.options.fullCompareIntervalMs ?? 300_000;
    if (interval > 0) this.timer = setInterval(() => this.scheduleFullCompare('periodic'), interval);
    await this.fullCompare();
  }

  /** Compares every path on both sides; resolves when all of them have been reconciled once. */
  fullCompare(): Promise<void> {
    this.enqueue('', true);
    return new Promise((resolve) => {
      if (this.fullOutstanding === 0) resolve();
      else this.fullWaiters.push(resolve);
    });
  }

  /** Resolves when nothing is queued or being reconciled. */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  setDirection(direction: Direction): void {
    this.options.logger.info({ from: this.direction, to: direction }, 'replication direction changed');
    this.direction = direction;
  }

  setAclLens(lens: AclLens | undefined): void {
    this.lens = lens ?? IDENTITY_LENS;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.fullScheduled) clearTimeout(this.fullScheduled);
    for (const [event, side, fn] of this.listeners) side.off(event, fn);
    this.listeners.length = 0;
    this.pending.clear();
    this.queue = [];
    this.head = 0;
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
    this.releaseFull(true);
  }

  private scheduleFullCompare(reason: string): void {
    if (this.stopped || this.fullScheduled) return;
    // Debounced: a flapping connection produces several events; one compare after they settle covers them all.
    this.fullScheduled = setTimeout(() => {
      this.fullScheduled = undefined;
      if (this.stopped) return;
      this.options.logger.info({ reason }, 'full compare');
      void this.fullCompare();
    }, 200);
  }

  /** Queues `rel`; `changedSide` marks a data-change event of that side (the path needs no child listing). */
  private enqueue(rel: Rel, full: boolean, changedSide?: 0 | 1): void {
    if (this.stopped) return;
    const current = this.pending.get(rel);
    if (changedSide === undefined) this.dataOnly.delete(rel);
    else if (current === undefined) this.dataOnly.set(rel, 1 << changedSide);
    else if (this.dataOnly.has(rel)) this.dataOnly.set(rel, this.dataOnly.get(rel)! | (1 << changedSide));
    if (current === undefined) {
      this.pending.set(rel, full);
      if (full) this.fullOutstanding++;
      if (!this.running.has(rel)) this.queue.push(rel);
    } else if (full && !current) {
      this.pending.set(rel, true);
      this.fullOutstanding++;
    }
    this.options.metrics.queueDepth.set(this.pending.size);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.head < this.queue.length) {
      const rel = this.queue[this.head++];
      const full = this.pending.get(rel);
      if (full === undefined || this.running.has(rel)) continue;
      this.pending.delete(rel);
      const changedSides = (!full && this.dataOnly.get(rel)) || 0;
      this.dataOnly.delete(rel);
      this.running.add(rel);
      this.active++;
      this.reconcile(rel, full, changedSides)
        .then(
          () => this.finish(rel, full),
          (err: unknown) => this.failed(rel, full, err),
        )
        .finally(() => {
          this.running.delete(rel);
          this.active--;
          if (this.pending.has(rel)) this.queue.push(rel);
          this.pump();
          this.checkIdle();
        });
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private finish(_rel: Rel, full: boolean): void {
    if (full) {
      this.fullOutstanding--;
      if (this.fullOutstanding === 0) this.releaseFull(false);
    }
  }

  private failed(rel: Rel, full: boolean, err: unknown): void {
    const side = (err as { side?: string }).side ?? 'unknown';
    if (isTransient(err)) {
      this.options.metrics.errors.inc({ side, kind: 'connection' });
      // Try again once the session is back; a full flag stays with the path so the compare still completes.
      if (full) this.fullOutstanding--;
      void Promise.all(this.sides.map((s) => s.whenConnected()))
        .then(() => new Promise((r) => setTimeout(r, 100)))
        .then(() => this.enqueue(rel, full));
      return;
    }
    const kind = isZkError(err, ZkCode.NOAUTH) ? 'auth' : 'other';
    this.options.metrics.errors.inc({ side, kind });
    this.options.logger.error({ path: displayRel(rel), err: (err as Error).message }, 'reconcile failed');
    this.finish(rel, full);
  }

  private releaseFull(_stopping: boolean): void {
    const waiters = this.fullWaiters;
    this.fullWaiters = [];
    for (const w of waiters) w();
  }

  private checkIdle(): void {
    this.options.metrics.queueDepth.set(this.pending.size + this.active);
    if (this.pending.size === 0 && this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private watcher(i: 0 | 1, kind: 'data' | 'children', rel: Rel): Watcher {
    return (event) => {
      (kind === 'data' ? this.armedData : this.armedChildren)[i].delete(rel);
      if (event.type === 'session' || event.type === 'notwatching') return;
      if (kind === 'data' && event.type === 'changed' && this.expectEcho.delete(`${i}${rel}`)) {
        this.options.metrics.echoesSuppressed.inc();
        void this.rearmAfterEcho(i, rel);
        return;
      }
      this.options.metrics.reconciles.inc({ trigger: 'event' });
      // A data change needs no child listing (child changes fire their own watch): half the reads.
      this.enqueue(rel, false, kind === 'data' && event.type === 'changed' ? i : undefined);
    };
  }

  /**
   * Our own write came back as an event. Only the watch needs re-arming: one `exists` of that side (no data comes
   * back), and a full reconcile only if the node moved past the version our write produced (someone wrote right
   * after us, or the event overtook our write's reply and the ledger does not know that version yet).
   */
  private async rearmAfterEcho(i: 0 | 1, rel: Rel): Promise<void> {
    if (this.stopped || this.armedData[i].has(rel)) return;
    this.armedData[i].add(rel);
    try {
      const side = this.sides[i];
      const stat = await side.client.exists(side.abs(rel), this.watcher(i, 'data', rel));
      const entry = this.options.ledger.get(rel);
      const mine = entry && (i === 0 ? entry.a : entry.b);
      if (!stat) this.armedData[i].delete(rel);
      if (!stat || !mine || changedSince(stat, mine)) this.enqueue(rel, false);
    } catch {
      this.armedData[i].delete(rel);
      this.enqueue(rel, false);
    }
  }

  /** Reads one side's node, arming the data and child watches that are not armed, in one round trip. */
  private async read(i: 0 | 1, rel: Rel, withAcl: boolean, dataOnly = false): Promise<SideRead & { childrenKnown: boolean }> {
    const side = this.sides[i];
    const armData = !this.armedData[i].has(rel);
    const armChildren = !this.armedChildren[i].has(rel);
    if (dataOnly && !armChildren) {
      if (armData) this.armedData[i].add(rel);
      try {
        const node = await side.get(rel, armData ? this.watcher(i, 'data', rel) : undefined);
        if (!node && armData) this.armedData[i].delete(rel);
        const ephemeral = node !== null && node.stat.ephemeralOwner !== '0';
        return { node: ephemeral ? null : node, ephemeral, children: null, acl: null, childrenKnown: false };
      } catch (err) {
        if (armData) this.armedData[i].delete(rel);
        throw err;
      }
    }
    // Marked before the request: the event can only arrive after the response, and it clears the mark.
    if (armData) this.armedData[i].add(rel);
    if (armChildren) this.armedChildren[i].add(rel);
    try {
      const [node, children] = await Promise.all([side.get(rel, armData ? this.watcher(i, 'data', rel) : undefined), side.children(rel, armChildren ? this.watcher(i, 'children', rel) : undefined)]);
      const acl = withAcl && node ? await side.acl(rel) : null;
      if (!node && armData) this.armedData[i].delete(rel);
      if (!children && armChildren) this.armedChildren[i].delete(rel);
      const ephemeral = node !== null && node.stat.ephemeralOwner !== '0';
      return { node: ephemeral ? null : node, ephemeral, children, acl: acl ? acl.acl : null, childrenKnown: true };
    } catch (err) {
      if (armData) this.armedData[i].delete(rel);
      if (armChildren) this.armedChildren[i].delete(rel);
      throw err;
    }
  }

  private async reconcile(rel: Rel, full: boolean, changedSides = 0): Promise<void> {
    if (full) this.options.metrics.reconciles.inc({ trigger: 'full' });
    if ((changedSides === 1 || changedSides === 2) && (await this.forwardChange(changedSides === 1 ? 0 : 1, rel))) return;
    const dataOnly = changedSides !== 0;
    const [ra, rb] = await Promise.all([this.read(0, rel, full, dataOnly), this.read(1, rel, full, dataOnly)]);
    if (ra.ephemeral || rb.ephemeral) return; // someone's session owns it; not ours to replicate
    if ((!ra.childrenKnown || !rb.childrenKnown) && (!ra.node || !rb.node)) {
      // A create or delete needs the child listings: do the complete reconcile.
      this.enqueue(rel, false);
      return;
    }

    const { ledger } = this.options;
    const entry = ledger.get(rel);
    const a = state(ra);
    const b = state(rb);
    const equal = ra.node !== null && rb.node !== null && ra.node.data.equals(rb.node.data);
    const decision = rel === '' && (!ra.node || !rb.node) ? { action: 'in-sync' as const } : decide(a, b, equal, entry, this.direction, this.options.policy);
    if (decision.conflict) this.recordConflict(rel, decision, ra, rb);

    switch (decision.action) {
      case 'in-sync':
        if (ra.node && rb.node) ledger.set(rel, { a: identity(ra.node.stat), b: identity(rb.node.stat) });
        if (full && ra.acl && rb.acl) await this.reconcileAcl(rel, ra.acl, rb.acl);
        break;
      case 'forget':
        ledger.delete(rel);
        return;
      case 'copy-to-b':
        if (!(await this.copy(0, rel, ra, rb, entry))) return;
        break;
      case 'copy-to-a':
        if (!(await this.copy(1, rel, rb, ra, entry))) return;
        break;
      case 'delete-b':
        await this.deleteTree(1, rel, rb.node!.stat.version);
        return;
      case 'delete-a':
        await this.deleteTree(0, rel, ra.node!.stat.version);
        return;
    }
    this.options.metrics.ledgerEntries.set(ledger.size);

    if (!ra.childrenKnown || !rb.childrenKnown) return;
    const names = new Set<string>([...(ra.children ?? []), ...(rb.children ?? [])]);
    const onA = new Set(ra.children ?? []);
    const onB = new Set(rb.children ?? []);
    for (const name of names) {
      const child = childRel(rel, name);
      if (!this.options.filter.inScope(child)) continue;
      if (full || !onA.has(name) || !onB.has(name) || !ledger.has(child)) this.enqueue(child, full);
    }
  }

  /**
   * The common case of live replication, in three requests instead of four: side `i` changed a node's data while
   * the other side is, as far as the engine knows, still at the version the ledger recorded — its data watch is
   * armed and has not fired. The other side is then not read at all: the new data is written to it conditionally
   * on the ledger's version, so if it did change after all (an event still on its way) the write fails and the
   * path gets the complete reconcile, which sees both sides and applies the conflict policy.
   * Returns false when the shortcut does not apply; the caller reconciles normally.
   */
  private async forwardChange(i: 0 | 1, rel: Rel): Promise<boolean> {
    const j = (1 - i) as 0 | 1;
    const entry = this.options.ledger.get(rel);
    const flowsToJ = this.direction === 'two-way' || this.direction === (i === 0 ? 'a-to-b' : 'b-to-a');
    if (!entry || !flowsToJ || !this.armedData[j].has(rel)) return false;
    const changed = await this.read(i, rel, false, true);
    if (changed.ephemeral) return true;
    const [recordedI, recordedJ] = i === 0 ? [entry.a, entry.b] : [entry.b, entry.a];
    if (!changed.node || recordedJ.czxid === -1) {
      this.enqueue(rel, false); // a delete, or a node whose identity on the other side is not known yet
      return true;
    }
    if (!changedSince(changed.node.stat, recordedI)) return true; // nothing new since the last sync
    await this.writeData(i, rel, changed.node, recordedJ.version);
    return true;
  }

  /**
   * Sets the data of side `1 - from` to `src` if that side is still at `expectedVersion`, recording both identities
   * in the ledger. Returns false (and queues the path again) when the node moved or vanished meanwhile.
   */
  private async writeData(from: 0 | 1, rel: Rel, src: { data: Buffer; stat: ZkStat }, expectedVersion: number): Promise<boolean> {
    const to = (1 - from) as 0 | 1;
    const dstSide = this.sides[to];
    // Expected before the write is sent: ZooKeeper delivers the watch event ahead of the write's own reply.
    const echo = `${to}${rel}`;
    this.expectEcho.add(echo);
    try {
      const stat = await dstSide.client.set(dstSide.abs(rel), src.data, expectedVersion);
      this.recordWrite(to, 'set');
      const srcId = identity(src.stat);
      const dstId = identity(stat);
      this.options.ledger.set(rel, from === 0 ? { a: srcId, b: dstId } : { a: dstId, b: srcId });
      return true;
    } catch (err) {
      this.expectEcho.delete(echo);
      if (isZkError(err, ZkCode.BADVERSION) || isZkError(err, ZkCode.NONODE)) {
        this.enqueue(rel, false);
        return false;
      }
      throw err;
    }
  }

  /** Makes side `1 - from` like side `from`. Returns false when the path must be reconciled again instead. */
  private async copy(from: 0 | 1, rel: Rel, src: SideRead, dst: SideRead, entry: LedgerEntry | undefined): Promise<boolean> {
    const to = (1 - from) as 0 | 1;
    const dstSide = this.sides[to];
    const srcSide = this.sides[from];
    const data = src.node!.data;
    const srcId = identity(src.node!.stat);
    if (dst.node) return this.writeData(from, rel, src.node!, dst.node.stat.version);
    try {
      // The node comes back on a side that deleted it (a conflict the other side won): its subtree's history is
      // void, so children are copied rather than taken for deletions.
      if (entry) this.options.ledger.deleteSubtree(rel);
      await dstSide.client.create(dstSide.abs(rel), data);
      this.recordWrite(to, 'create');
      const acl = readableAclEntries(src.acl ?? (await srcSide.acl(rel))?.acl ?? OPEN_ACL_UNSAFE);
      const wanted = this.lens.write(dstSide, rel, this.lens.view(srcSide, rel, acl));
      if (!aclEqual(wanted, OPEN_ACL_UNSAFE)) {
        await dstSide.client.setAcl(dstSide.abs(rel), wanted);
        this.recordWrite(to, 'setAcl');
      }
      const dstId = { czxid: -1, version: 0 };
      this.options.ledger.set(rel, from === 0 ? { a: srcId, b: dstId } : { a: dstId, b: srcId });
      await this.armCreated(to, rel);
      return true;
    } catch (err) {
      if (isZkError(err, ZkCode.BADVERSION) || isZkError(err, ZkCode.NODEEXISTS) || isZkError(err, ZkCode.NONODE)) {
        // Someone wrote the destination since we read it, or the parent is not there yet: look again.
        if (isZkError(err, ZkCode.NONODE) && rel !== '') this.enqueue(parentRel(rel), false);
        this.enqueue(rel, false);
        return false;
      }
      throw err;
    }
  }

  /**
   * Arms the watches of a node the engine just created on side `to` and records its czxid, reading only that side
   * (the other was read, with its watches armed, by the reconcile that copied it). Anything unexpected — the node
   * already changed or gone, children someone created before the watch was armed — gets a complete reconcile.
   */
  private async armCreated(to: 0 | 1, rel: Rel): Promise<void> {
    const created = await this.read(to, rel, false);
    const entry = this.options.ledger.get(rel);
    if (!created.node || !entry || created.node.stat.version !== 0 || (created.children?.length ?? 0) > 0) {
      this.enqueue(rel, false);
      return;
    }
    const id = identity(created.node.stat);
    this.options.ledger.set(rel, to === 1 ? { a: entry.a, b: id } : { a: id, b: entry.b });
  }

  private async reconcileAcl(rel: Rel, aclA: ZkAcl[], aclB: ZkAcl[]): Promise<void> {
    const [a, b] = this.sides;
    const viewA = this.lens.view(a, rel, aclA);
    const viewB = this.lens.view(b, rel, aclB);
    if (aclEqual(viewA, viewB)) return;
    // ACL changes fire no watch and aversions are not comparable across ensembles, so the flow direction decides;
    // in two-way sync the policy's preferred side does.
    const toA = this.direction === 'b-to-a' || (this.direction === 'two-way' && this.options.policy === 'target-wins');
    const [side, acl, i] = toA ? [a, this.lens.write(a, rel, viewB), 0 as const] : [b, this.lens.write(b, rel, viewA), 1 as const];
    await side.client.setAcl(side.abs(rel), acl);
    this.recordWrite(i, 'setAcl');
  }

  /** Deletes a node and its subtree on side `i`; the top node only if it is still at `version`. */
  private async deleteTree(i: 0 | 1, rel: Rel, version: number): Promise<void> {
    const side = this.sides[i];
    try {
      await side.client.delete(side.abs(rel), version);
    } catch (err) {
      if (isZkError(err, ZkCode.NONODE)) {
        this.options.ledger.deleteSubtree(rel);
        return;
      }
      if (isZkError(err, ZkCode.BADVERSION)) {
        this.enqueue(rel, false);
        return;
      }
      if (!isZkError(err, ZkCode.NOTEMPTY)) throw err;
      // The subtree goes with its top: what was deleted on the other side included everything under it.
      for (const name of (await side.children(rel)) ?? []) await this.deleteTree(i, childRel(rel, name), -1);
      return this.deleteTree(i, rel, version);
    }
    this.recordWrite(i, 'delete');
    this.options.ledger.deleteSubtree(rel);
  }

  private recordWrite(i: 0 | 1, op: string): void {
    this.writes++;
    this.options.metrics.ops.inc({ side: this.sides[i].name, op });
  }

  private recordConflict(rel: Rel, decision: Decision, ra: SideRead, rb: SideRead): void {
    const conflict = decision.conflict!;
    const describe = (r: SideRead) => (r.node ? { exists: true, version: r.node.stat.version, mtime: new Date(r.node.stat.mtime).toISOString(), bytes: r.node.data.length } : { exists: false });
    const record = { at: new Date().toISOString(), path: displayRel(rel), kind: conflict.kind, policy: this.options.policy, winner: conflict.winner, source: describe(ra), target: describe(rb) };
    this.options.conflicts.add(record);
    this.options.metrics.conflicts.inc({ kind: conflict.kind, winner: conflict.winner });
    this.options.logger.warn({ conflict: record }, 'conflict resolved');
  }
}

function state(r: SideRead): NodeState {
  return r.node ? { exists: true, czxid: r.node.stat.czxid, version: r.node.stat.version, mtime: new Date(r.node.stat.mtime).getTime() } : { exists: false };
}

function identity(stat: ZkStat): { czxid: number; version: number } {
  return { czxid: stat.czxid, version: stat.version };
}
