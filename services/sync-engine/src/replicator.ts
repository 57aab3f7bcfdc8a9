/**
 * Continuous replication between two trees, driven by ZooKeeper watches.
 *
 * Each side's data session holds one persistent recursive watch on the tree's root (see wire-session.ts), armed
 * before the first read: every creation, deletion and data change after it is an event naming its node, and there
 * is no one-shot watch to re-arm, so nothing that happens between an event and a re-read can be missed. Events,
 * reads and writes of a side share one session, so an event is seen before any read that reflects it, and the
 * event of the engine's own write before that write's reply — which is how echoes are recognised exactly.
 *
 * Every path is reconciled by one routine: read the node on both sides (data and children; in a full compare the
 * ACLs where their versions moved since the last sync), decide with the ledger and the conflict policy, write.
 * Writes are conditional on the version just read, so a client writing at the same moment makes the write fail and
 * the path is simply reconciled again.
 *
 * Work is a queue of paths, each in the queue at most once and never reconciled twice at the same time. A full
 * compare (start, a replaced data session, periodic) walks every path; an event reconciles the one path it names.
 */
import { isZkError, OPEN_ACL_UNSAFE, ZkAcl, ZkCode, ZkStat } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import type { ConflictLog, ConflictRecord } from './conflict-log';
import { changedSince, ConflictPolicy, Decision, decide, Direction, LedgerEntry, NodeIdentity, NodeState } from './conflict-policy';
import type { EnsembleSide } from './ensemble-side';
import type { SyncMetrics } from './metrics';
import type { PathFilter } from './path-filter';
import { isTransient } from './retry';
import { copiedEntry, SyncLedger } from './sync-ledger';
import { aclEqual, aclRedacted, readableAclEntries } from './tree-hash';
import { childRel, displayRel, parentRel, Rel } from './tree-paths';
import type { TreeEvent } from './wire-session';

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
  /** A full compare this often (ACL changes fire no watch, so this is what carries them); 0 turns it off. */
  fullCompareIntervalMs?: number;
  aclLens?: AclLens;
}

interface SideRead {
  /** Null when absent, or when the node is ephemeral (ephemerals are not replicated). */
  node: { data: Buffer; stat: ZkStat } | null;
  ephemeral: boolean;
  /** Null when the node is absent or its children were not listed (a data-change read). */
  children: string[] | null;
  childrenKnown: boolean;
}

const IDENTITY_LENS: AclLens = { view: (_s, _r, acl) => acl, write: (_s, _r, acl) => acl };

export class Replicator {
  private readonly sides: [EnsembleSide, EnsembleSide];
  /** `${side}${event type}${rel}` of the engine's own writes whose events have not come back yet. */
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

  /**
   * Watches both trees and runs the initial full compare (which copies everything missing); resolves when it is
   * done. The watches are registered before the compare's first read, so every change after that read is an event.
   */
  async start(): Promise<void> {
    this.stopped = false;
    for (const [i, side] of this.sides.entries()) {
      const onReset = (): void => this.scheduleFullCompare(`${side.name} data session replaced`);
      side.on('reset', onReset);
      this.listeners.push(['reset', side, onReset]);
      await side.watchTree((type, rel) => this.onEvent(i as 0 | 1, type, rel));
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
    for (const side of this.sides) side.unwatchTree();
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
      // The data session reconnects on the next request, and concurrent requests share that one attempt.
      setTimeout(() => this.enqueue(rel, full), 100);
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

  private onEvent(i: 0 | 1, type: TreeEvent['type'], rel: Rel): void {
    if (this.stopped || !this.options.filter.inScope(rel)) return;
    if (this.expectEcho.delete(`${i}${type}${rel}`)) {
      this.options.metrics.echoesSuppressed.inc();
      return;
    }
    this.options.metrics.reconciles.inc({ trigger: 'event' });
    // A data change needs no child listing (children report their own events): half the reads.
    this.enqueue(rel, false, type === 'changed' ? i : undefined);
  }

  /** Reads one side's node: data, Stat and (unless `dataOnly`) children, batched with the turn's other reads. */
  private async read(i: 0 | 1, rel: Rel, dataOnly = false): Promise<SideRead> {
    const side = this.sides[i];
    let node: { data: Buffer; stat: ZkStat } | null;
    let children: string[] | null = null;
    if (dataOnly) node = await side.readData(rel);
    else {
      const full = await side.read(rel);
      node = full && { data: full.data, stat: full.stat };
      children = full && full.children;
    }
    const ephemeral = node !== null && node.stat.ephemeralOwner !== '0';
    return { node: ephemeral ? null : node, ephemeral, children, childrenKnown: !dataOnly };
  }

  private async reconcile(rel: Rel, full: boolean, changedSides = 0): Promise<void> {
    if (full) this.options.metrics.reconciles.inc({ trigger: 'full' });
    if ((changedSides === 1 || changedSides === 2) && (await this.forwardChange(changedSides === 1 ? 0 : 1, rel))) return;
    const dataOnly = changedSides !== 0;
    const [ra, rb] = await Promise.all([this.read(0, rel, dataOnly), this.read(1, rel, dataOnly)]);
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
        if (ra.node && rb.node) await this.recordInSync(rel, ra.node.stat, rb.node.stat, full, entry);
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
   * Both sides hold the same data: record their identities. A full compare also brings the ACLs in line, reading
   * them only where an ACL version moved since the ledger last saw both ACLs equal (ACL versions, unlike zxids,
   * are per node and comparable over time); the versions are recorded once the ACLs are known to be equal.
   */
  private async recordInSync(rel: Rel, a: ZkStat, b: ZkStat, full: boolean, entry: LedgerEntry | undefined): Promise<void> {
    const { ledger } = this.options;
    const known = entry && !changedSince(a, entry.a) && !changedSince(b, entry.b) ? entry : undefined;
    const unchangedAcls = known !== undefined && known.a.aversion === a.aversion && known.b.aversion === b.aversion;
    if (!full || unchangedAcls) {
      ledger.set(rel, { a: identity(a, known?.a.aversion), b: identity(b, known?.b.aversion), ...openAcl(known !== undefined && unchangedAcls && known.openAcl === true) });
      return;
    }
    const [aclA, aclB] = await Promise.all([this.sides[0].acl(rel), this.sides[1].acl(rel)]);
    // Equal (or made equal by a write whose resulting version is not known): record accordingly; a node gone
    // meanwhile is left without ACL versions, so the next full compare reads it again.
    const equal = aclA !== null && aclB !== null && !(await this.reconcileAcl(rel, aclA.acl, aclB.acl));
    const open = equal && aclEqual(this.lens.view(this.sides[0], rel, aclA.acl), OPEN_ACL_UNSAFE);
    ledger.set(rel, { a: identity(a, equal ? a.aversion : undefined), b: identity(b, equal ? b.aversion : undefined), ...openAcl(open) });
  }

  /**
   * The common case of live replication, one read and one write: side `i` changed a node's data while
   * the other side is, as far as the engine knows, still at the version the ledger recorded (its own change would
   * have been an event, and the path would have been reconciled in full). The other side is then not read at all:
   * the new data is written to it conditionally on the ledger's version, so if it did change after all (an event
   * still on its way) the write fails and the path gets the complete reconcile, which sees both sides and applies
   * the conflict policy. Returns false when the shortcut does not apply; the caller reconciles normally.
   */
  private async forwardChange(i: 0 | 1, rel: Rel): Promise<boolean> {
    const entry = this.options.ledger.get(rel);
    const flowsToJ = this.direction === 'two-way' || this.direction === (i === 0 ? 'a-to-b' : 'b-to-a');
    if (!entry || !flowsToJ) return false;
    const changed = await this.read(i, rel, true);
    if (changed.ephemeral) return true;
    const [recordedI, recordedJ] = i === 0 ? [entry.a, entry.b] : [entry.b, entry.a];
    if (!changed.node || recordedJ.czxid === -1) {
      this.enqueue(rel, false); // a delete, or a node whose identity on the other side is not known yet
      return true;
    }
    if (!changedSince(changed.node.stat, recordedI)) return true; // nothing new since the last sync
    await this.writeData(i, rel, changed.node, recordedJ);
    return true;
  }

  /**
   * Sets the data of side `1 - from` to `src` if that side is still at `expected.version`, recording both identities
   * in the ledger. Returns false (and queues the path again) when the node moved or vanished meanwhile.
   *
   * ZooKeeper's conditional write checks the version only. A node deleted and created again on the other side since
   * `expected` was read starts again at version 0, and when `expected.version` is 0 the write lands on it. Nothing
   * in ZooKeeper can prevent that, but the reply's czxid shows it, and the overwrite is recorded as a conflict.
   */
  private async writeData(from: 0 | 1, rel: Rel, src: { data: Buffer; stat: ZkStat }, expected: { version: number; czxid: number }): Promise<boolean> {
    const to = (1 - from) as 0 | 1;
    // Expected before the write is sent: the watch event arrives ahead of the write's own reply.
    const echo = `${to}changed${rel}`;
    this.expectEcho.add(echo);
    try {
      const stat = await this.sides[to].setData(rel, src.data, expected.version);
      this.recordWrite(to, 'set');
      if (expected.czxid !== -1 && stat.czxid !== expected.czxid) this.recordOverwrittenRecreate(from, rel, src, stat);
      // A data write leaves ACLs alone: their recorded versions still hold.
      const entry = this.options.ledger.get(rel);
      const srcId = identity(src.stat, from === 0 ? entry?.a.aversion : entry?.b.aversion);
      const dstId = identity(stat, to === 0 ? entry?.a.aversion : entry?.b.aversion);
      this.options.ledger.set(rel, { ...(from === 0 ? { a: srcId, b: dstId } : { a: dstId, b: srcId }), ...openAcl(entry?.openAcl === true) });
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
    if (dst.node) return this.writeData(from, rel, src.node!, dst.node.stat);
    const echo = `${to}created${rel}`;
    try {
      // The node comes back on a side that deleted it (a conflict the other side won): its subtree's history is
      // void, so children are copied rather than taken for deletions.
      if (entry) this.options.ledger.deleteSubtree(rel);
      const srcAcl = await srcSide.acl(rel);
      if (!srcAcl) {
        this.enqueue(rel, false); // deleted on the source meanwhile
        return false;
      }
      const viewed = this.lens.view(srcSide, rel, readableAclEntries(srcAcl.acl));
      const wanted = this.lens.write(dstSide, rel, viewed);
      this.expectEcho.add(echo);
      await dstSide.create(rel, src.node!.data, wanted);
      this.recordWrite(to, 'create');
      // Created with the ACL it should have, so both ACL versions are known to match — unless the source's was
      // redacted and only its readable entries were copied.
      const acl = aclRedacted(srcAcl.acl) ? null : { aversion: srcAcl.stat.aversion, open: aclEqual(viewed, OPEN_ACL_UNSAFE) };
      this.options.ledger.set(rel, copiedEntry(from === 0 ? 'a' : 'b', src.node!.stat, acl));
      return true;
    } catch (err) {
      this.expectEcho.delete(echo);
      if (isZkError(err, ZkCode.NODEEXISTS) || isZkError(err, ZkCode.NONODE)) {
        // Someone created the destination since we read it, or the parent is not there yet: look again.
        if (isZkError(err, ZkCode.NONODE) && rel !== '') this.enqueue(parentRel(rel), false);
        this.enqueue(rel, false);
        return false;
      }
      throw err;
    }
  }

  /** Makes the ACLs equal (as seen through the lens); true when it had to write one. */
  private async reconcileAcl(rel: Rel, aclA: ZkAcl[], aclB: ZkAcl[]): Promise<boolean> {
    const [a, b] = this.sides;
    const viewA = this.lens.view(a, rel, aclA);
    const viewB = this.lens.view(b, rel, aclB);
    if (aclEqual(viewA, viewB)) return false;
    // ACL changes fire no watch and aversions are not comparable across ensembles, so the flow direction decides;
    // in two-way sync the policy's preferred side does.
    const toA = this.direction === 'b-to-a' || (this.direction === 'two-way' && this.options.policy === 'target-wins');
    const [side, acl, i] = toA ? [a, this.lens.write(a, rel, viewB), 0 as const] : [b, this.lens.write(b, rel, viewA), 1 as const];
    await side.setAcl(rel, acl);
    this.recordWrite(i, 'setAcl');
    return true;
  }

  /** Deletes a node and its subtree on side `i`; the top node only if it is still at `version`. */
  private async deleteTree(i: 0 | 1, rel: Rel, version: number): Promise<void> {
    const side = this.sides[i];
    const echo = `${i}deleted${rel}`;
    this.expectEcho.add(echo);
    try {
      await side.delete(rel, version);
    } catch (err) {
      this.expectEcho.delete(echo);
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
      for (const name of (await side.read(rel))?.children ?? []) await this.deleteTree(i, childRel(rel, name), -1);
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
    this.addConflict({ at: new Date().toISOString(), path: displayRel(rel), kind: conflict.kind, policy: this.options.policy, winner: conflict.winner, source: described(ra.node), target: described(rb.node) });
  }

  /**
   * A forwarded change landed on a node the other side had deleted and created again while the change was in flight
   * (see `writeData`). Whatever the policy, side `from` won: the new node's own first data is gone. The record shows
   * both sides as the write left them.
   */
  private recordOverwrittenRecreate(from: 0 | 1, rel: Rel, src: { data: Buffer; stat: ZkStat }, written: ZkStat): void {
    const winner = this.sides[from].name;
    const fromSide = described(src);
    const toSide = described({ data: src.data, stat: written });
    this.addConflict({ at: new Date().toISOString(), path: displayRel(rel), kind: 'recreated-overwritten', policy: this.options.policy, winner, source: winner === 'source' ? fromSide : toSide, target: winner === 'source' ? toSide : fromSide });
  }

  private addConflict(record: ConflictRecord): void {
    this.options.conflicts.add(record);
    this.options.metrics.conflicts.inc({ kind: record.kind, winner: record.winner });
    this.options.logger.warn({ conflict: record }, 'conflict resolved');
  }
}

/** A side's node as a conflict record shows it. */
function described(node: { data: Buffer; stat: ZkStat } | null): ConflictRecord['source'] {
  return node ? { exists: true, version: node.stat.version, mtime: new Date(node.stat.mtime).toISOString(), bytes: node.data.length } : { exists: false };
}

function state(r: SideRead): NodeState {
  return r.node ? { exists: true, czxid: r.node.stat.czxid, version: r.node.stat.version, mtime: new Date(r.node.stat.mtime).getTime() } : { exists: false };
}

/** The ledger's `openAcl` mark, spread into an entry: present only when true. */
function openAcl(open: boolean): { openAcl?: true } {
  return open ? { openAcl: true } : {};
}

/** The ledger's record of a node: `aversion` only when its ACL is known to match the other side's. */
function identity(stat: ZkStat, aversion?: number): NodeIdentity {
  return aversion === undefined ? { czxid: stat.czxid, version: stat.version } : { czxid: stat.czxid, version: stat.version, aversion };
}
