/**
 * Which process holds each socket, by inode. The only way Linux tells is the process's fd table: every fd is a
 * link, `socket:[<inode>]` for a socket. Walking every fd of every process every collection is what made other
 * probes expensive, so this walks as little as it can:
 *
 * - an inode placed once stays placed while its process lives (socket inodes are not reused in practice);
 * - only processes in the namespace whose table has unplaced inodes are walked, those that held sockets when last
 *   walked first (they are the ones that open connections), then the never walked, then the rest;
 * - the walk stops once every inode of that namespace is placed;
 * - an inode no process of its namespace holds (passed to another namespace, or just being closed) is remembered
 *   as unplaceable, so it does not set off a full walk every collection.
 */
import { CollectionErrors } from './collection-errors';
import { isGone, listDir, readLink } from './proc-files';
import type { ProcessEntry } from './process-reporter';

const REPORTER = 'endpoint';

interface WalkRecord {
  starttime: number;
  sockets: number;
}

export class SocketOwners {
  /** inode → pid; the pid's walk record holds the start time that makes it the same process. */
  private readonly owners = new Map<number, number>();
  private readonly walked = new Map<number, WalkRecord>();
  private readonly unplaceable = new Set<number>();
  /** Processes whose fd tables were walked in the current collection (a metric, and for tests). */
  walksThisCollection = 0;

  constructor(private readonly procRoot: string) {}

  beginCollection(): void {
    this.walksThisCollection = 0;
  }

  /** The live process holding `inode`, if placed. */
  owner(inode: number, byPid: ReadonlyMap<number, ProcessEntry>): ProcessEntry | undefined {
    const pid = this.owners.get(inode);
    if (pid === undefined) return undefined;
    const p = byPid.get(pid);
    return p && p.starttime === this.walked.get(pid)?.starttime ? p : undefined;
  }

  /** Places the inodes of one namespace's tables, walking fd tables of `members` (its processes) as needed. */
  place(inodes: Uint32Array, count: number, members: readonly ProcessEntry[], byPid: ReadonlyMap<number, ProcessEntry>, collection: number, errors: CollectionErrors): void {
    const unplaced = new Set<number>();
    for (let i = 0; i < count; i++) {
      const inode = inodes[i];
      if (inode !== 0 && !this.unplaceable.has(inode) && !this.owner(inode, byPid)) unplaced.add(inode);
    }
    if (unplaced.size === 0) return;
    const holders: ProcessEntry[] = [];
    const fresh: ProcessEntry[] = [];
    const rest: ProcessEntry[] = [];
    for (const p of members) {
      if (p.kernelThread) continue;
      const record = this.walked.get(p.pid);
      if (!record || record.starttime !== p.starttime) fresh.push(p);
      else if (record.sockets > 0) holders.push(p);
      else rest.push(p);
    }
    for (const group of [holders, fresh, rest]) {
      for (const p of group) {
        this.walk(p, unplaced, collection, errors);
        if (unplaced.size === 0) return;
      }
    }
    for (const inode of unplaced) this.unplaceable.add(inode);
  }

  private walk(p: ProcessEntry, unplaced: Set<number>, collection: number, errors: CollectionErrors): void {
    const dir = `${this.procRoot}/${p.pid}/fd`;
    let fds: string[] | undefined;
    try {
      fds = listDir(dir);
    } catch (err) {
      errors.unreadableFile(REPORTER, 'fd', err);
      // Not walkable now (no SYS_PTRACE): do not try it first again.
      this.walked.set(p.pid, { starttime: p.starttime, sockets: 0 });
      return;
    }
    if (!fds) return;
    this.walksThisCollection++;
    let sockets = 0;
    for (const fd of fds) {
      let target: string | undefined;
      try {
        target = readLink(`${dir}/${fd}`);
      } catch (err) {
        if (!isGone(err)) errors.unreadableFile(REPORTER, 'fd link', err);
        continue;
      }
      // "socket:[12345]"
      if (target === undefined || target.charCodeAt(0) !== 115 || !target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      sockets++;
      this.owners.set(inode, p.pid);
      unplaced.delete(inode);
    }
    this.walked.set(p.pid, { starttime: p.starttime, sockets });
    p.openFiles = { count: fds.length, collection };
  }

  /** Forgets inodes no table lists any more and processes that are gone, so nothing here outgrows the host. */
  /** @param liveInodes every inode the tables listed this collection, sorted */
  endCollection(liveInodes: Uint32Array, byPid: ReadonlyMap<number, ProcessEntry>): void {
    for (const inode of this.owners.keys()) if (!sortedHas(liveInodes, inode)) this.owners.delete(inode);
    for (const inode of this.unplaceable) if (!sortedHas(liveInodes, inode)) this.unplaceable.delete(inode);
    for (const [pid, record] of this.walked) {
      const p = byPid.get(pid);
      if (!p || p.starttime !== record.starttime) this.walked.delete(pid);
    }
  }
}

function sortedHas(sorted: Uint32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
