/**
 * The last synced identity of every node on each side — the memory that makes conflict detection and echo
 * suppression possible. A write the engine makes is recorded here with the version the write produced, so when
 * that write's watch event comes back the node reads as "unchanged since the last sync" and nothing is copied.
 *
 * It is kept in memory and snapshotted (gzip JSON) to the state store; a snapshot a little behind is harmless
 * because nodes whose content is equal on both sides are simply re-recorded on the next compare.
 */
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import type { ZkStat } from '../../lib/zk-client';
import type { LedgerEntry, NodeIdentity } from './conflict-policy';
import { isWithin, Rel } from './tree-paths';

const gzipAsync = promisify(gzip);

type Row = [Rel, number, number, number, number, number?, number?, number?];

export class SyncLedger {
  private readonly entries = new Map<Rel, LedgerEntry>();
  private generation = 0;

  get size(): number {
    return this.entries.size;
  }

  /** Bumped on every change, so a snapshotter knows whether there is anything new to write. */
  get changes(): number {
    return this.generation;
  }

  get(rel: Rel): LedgerEntry | undefined {
    return this.entries.get(rel);
  }

  has(rel: Rel): boolean {
    return this.entries.has(rel);
  }

  set(rel: Rel, entry: LedgerEntry): void {
    this.entries.set(rel, entry);
    this.generation++;
  }

  delete(rel: Rel): void {
    if (this.entries.delete(rel)) this.generation++;
  }

  /** Forgets `rel` and everything under it (a subtree was deleted). */
  deleteSubtree(rel: Rel): void {
    for (const key of this.entries.keys()) if (isWithin(key, rel)) this.entries.delete(key);
    this.generation++;
  }

  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  snapshot(): Buffer {
    return gzipSync(this.serialize());
  }

  /**
   * The same snapshot with the compression on libuv's thread pool: at 100,000 entries gzip takes longer than the
   * serialisation, and on the event loop it would hold up replication (and show as lag) every time.
   */
  snapshotAsync(): Promise<Buffer> {
    return gzipAsync(this.serialize(), { level: 1 });
  }

  /**
   * Rows of [rel, a.czxid, a.version, b.czxid, b.version, a.aversion, b.aversion, openAcl]: -1 for an unknown
   * aversion, 1 for openAcl.
   */
  private serialize(): string {
    const rows: Row[] = [];
    for (const [rel, e] of this.entries) rows.push([rel, e.a.czxid, e.a.version, e.b.czxid, e.b.version, e.a.aversion ?? -1, e.b.aversion ?? -1, e.openAcl ? 1 : 0]);
    return JSON.stringify({ v: 2, rows });
  }

  /** Reads this version's snapshots and the previous one's (v1 rows have no ACL versions or marks). */
  static restore(buffer: Buffer): SyncLedger {
    const ledger = new SyncLedger();
    const parsed = JSON.parse(gunzipSync(buffer).toString('utf8')) as { v: number; rows: Row[] };
    const side = (czxid: number, version: number, aversion: number | undefined): NodeIdentity => (aversion === undefined || aversion < 0 ? { czxid, version } : { czxid, version, aversion });
    for (const [rel, ac, av, bc, bv, aa, ba, open] of parsed.rows) ledger.entries.set(rel, open === 1 ? { a: side(ac, av, aa), b: side(bc, bv, ba), openAcl: true } : { a: side(ac, av, aa), b: side(bc, bv, ba) });
    return ledger;
  }
}

/**
 * The entry for a node just copied from side `from` to the other: with its exact ACL (`acl`: the source ACL's
 * version and whether it is world-open), or null when the copy's ACL is not known to match. The copy's czxid is
 * not known yet (a create in a multi returns no Stat); the next reconcile that reads it records it.
 */
export function copiedEntry(from: 'a' | 'b', source: ZkStat, acl: { aversion: number; open: boolean } | null): LedgerEntry {
  const src: NodeIdentity = acl ? { czxid: source.czxid, version: source.version, aversion: acl.aversion } : { czxid: source.czxid, version: source.version };
  const copy: NodeIdentity = acl ? { czxid: -1, version: 0, aversion: 0 } : { czxid: -1, version: 0 };
  const entry: LedgerEntry = from === 'a' ? { a: src, b: copy } : { a: copy, b: src };
  return acl?.open ? { ...entry, openAcl: true } : entry;
}
