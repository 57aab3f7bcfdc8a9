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

interface Owner {
  pid: number;
  starttime: number;
}

interface WalkRecord {
  starttime: number;
  sockets: number;
}

export class SocketOwners {
  private readonly owners = new Map<number, Owner>();
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
    const o = this.owners.get(inode);
    if (!o) return undefined;
    const p = byPid.get(o.pid);
    return p && p.starttime === o.starttime ? p : undefined;
  }

  /** Places the inodes of one namespace's tables, walking fd tables of `members` (its processes) as needed. */
  place(inodes: readonly number[], members: readonly ProcessEntry[], byPid: ReadonlyMap<number, ProcessEntry>, collection: number, errors: CollectionErrors): void {
    const unplaced = new Set<number>();
    for (const inode of inodes) if (inode !== 0 && !this.unplaceable.has(inode) && !this.owner(inode, byPid)) unplaced.add(inode);
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
    const owner: Owner = { pid: p.pid, starttime: p.starttime };
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
      this.owners.set(inode, owner);
      unplaced.delete(inode);
    }
    this.walked.set(p.pid, { starttime: p.starttime, sockets });
    p.openFiles = { count: fds.length, collection };
  }

  /** Forgets inodes no table lists any more and processes that are gone, so nothing here outgrows the host. */
  endCollection(liveInodes: ReadonlySet<number>, byPid: ReadonlyMap<number, ProcessEntry>): void {
    for (const inode of this.owners.keys()) if (!liveInodes.has(inode)) this.owners.delete(inode);
    for (const inode of this.unplaceable) if (!liveInodes.has(inode)) this.unplaceable.delete(inode);
    for (const [pid, record] of this.walked) {
      const p = byPid.get(pid);
      if (!p || p.starttime !== record.starttime) this.walked.delete(pid);
    }
  }
}
