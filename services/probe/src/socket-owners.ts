/**
 * Which process holds each socket, by inode. The only way Linux tells is the process's fd table: every fd is a
 * link, `socket:[<inode>]` for a socket. Walking every fd of every process every collection is what made other
 * probes expensive, so this walks as little as it can:
 *
 * - an inode placed once stays placed while its process lives (socket inodes are not reused in practice);
 * - a likely holder (below) that closed a socket since its last walk has that fd read first: the kernel gives a
 *   new socket the lowest free fd, so a pool that re-dials is placed with one readlink and no table listed;
 * - only processes in the namespace whose table has unplaced inodes are walked: first the likely holders (the
 *   listener's process for an accepted connection; for a client one, the processes whose sockets closed since the
 *   collection before, then those already connected to the same peer), then those that held sockets when last
 *   walked, most sockets first, then the never walked, then the rest;
 * - a process walked before is skimmed: only its fds that did not point at a socket the namespace still lists are
 *   read again (a full walk of the holders follows if skims leave an inode unplaced);
 * - the walk stops once every inode of that namespace is placed;
 * - an inode no process of its namespace holds (passed to another namespace, or just being closed) is remembered
 *   as unplaceable, so it does not set off a full walk every collection.
 */
import { CollectionErrors } from './collection-errors';
import { isGone, linkInode, listDir, readLink } from './proc-files';
import type { ProcessEntry } from './process-reporter';
import { LISTEN, SocketColumns } from './tcp-table';

const REPORTER = 'endpoint';

interface WalkRecord {
  starttime: number;
  sockets: number;
  /**
   * The socket fds its table held when walked, ascending, then the inode each pointed at: `[fd₀…fdₙ₋₁, inode₀…inodeₙ₋₁]`
   * with n = sockets. One array, not two: a record per process that holds sockets, and each typed array costs an
   * ArrayBuffer and a backing store besides its elements (~0.5 MB of 2,000 records).
   */
  fdInodes: Uint32Array;
}

const NO_FD_INODES = new Uint32Array(0);

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

  /**
   * Places the sockets of one namespace's tables, walking fd tables of `members` (its processes) as needed, and
   * leaves each socket's holder in `ownerAt` (by column index): the writer needs it per socket too, and one lookup
   * per socket instead of three was a tenth of a quiet collection.
   */
  place(cols: SocketColumns, members: readonly ProcessEntry[], byPid: ReadonlyMap<number, ProcessEntry>, collection: number, errors: CollectionErrors, ownerAt: (ProcessEntry | undefined)[]): void {
    const unplaced = new Set<number>();
    const unplacedAt: number[] = [];
    ownerAt.length = cols.count;
    for (let i = 0; i < cols.count; i++) {
      const inode = cols.inode[i];
      const owner = inode === 0 ? undefined : this.owner(inode, byPid);
      ownerAt[i] = owner;
      if (owner === undefined && inode !== 0 && !this.unplaceable.has(inode) && !unplaced.has(inode)) {
        unplaced.add(inode);
        unplacedAt.push(i);
      }
    }
    if (unplaced.size === 0) return;
    this.walkFor(cols, unplaced, unplacedAt, members, collection, errors, ownerAt);
    // Every unowned row, not only unplacedAt: an inode listed twice is in unplacedAt once.
    for (let i = 0; i < cols.count; i++) if (ownerAt[i] === undefined && cols.inode[i] !== 0) ownerAt[i] = this.owner(cols.inode[i], byPid);
  }

  private walkFor(cols: SocketColumns, unplaced: Set<number>, unplacedAt: readonly number[], members: readonly ProcessEntry[], collection: number, errors: CollectionErrors, ownerAt: readonly (ProcessEntry | undefined)[]): void {
    // Sorted: what the namespace lists now, to tell a kept socket fd from one closed (and maybe reused) since.
    const listed = cols.inode.slice(0, cols.count).sort();
    const walkedNow = new Set<number>();
    const skimmedNow = new Set<number>();
    /** `skim`: re-read only the fds that may hold a new socket (see walk); a full walk follows if that misses. */
    const walkAll = (group: readonly ProcessEntry[], skim: boolean): boolean => {
      for (const p of group) {
        if (walkedNow.has(p.pid) || (skim && skimmedNow.has(p.pid))) continue;
        (skim ? skimmedNow : walkedNow).add(p.pid);
        this.walk(p, unplaced, collection, errors, skim ? listed : undefined);
        if (unplaced.size === 0) return true;
      }
      return false;
    };
    const likely = this.likelyHolders(cols, unplacedAt, members, ownerAt, listed);
    // A process that closed a socket and dialled again got the lowest free fd, most often the closed one's: those
    // fds are read first, without listing the table (a walk is a readdir and a readlink per unknown fd).
    for (const p of likely) {
      this.readClosedFds(p, unplaced, listed);
      if (unplaced.size === 0) return;
    }
    if (walkAll(likely, true)) return;
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
    // A process with many sockets is the likeliest to have opened another.
    holders.sort((a, b) => this.walked.get(b.pid)!.sockets - this.walked.get(a.pid)!.sockets);
    if (walkAll(holders, true) || walkAll(fresh, false) || walkAll(rest, false)) return;
    // Skims can miss a socket only at an fd reused while its old socket lives on elsewhere (held by a child too).
    if (walkAll(holders, false)) return;
    for (const inode of unplaced) this.unplaceable.add(inode);
  }

  /**
   * Where the new sockets most likely are: a connection accepted on a listening port with the process holding the
   * listener (or one of the processes sharing it), and a client connection with a process that just lost one or
   * with the processes already connected to the same peer (a pool re-dialling its server). Found from what is already placed; costs one pass over the table
   * and saves walking every process that holds sockets.
   */
  private likelyHolders(cols: SocketColumns, unplacedAt: readonly number[], members: readonly ProcessEntry[], ownerAt: readonly (ProcessEntry | undefined)[], listed: Uint32Array): ProcessEntry[] {
    const byListenPort = new Map<number, ProcessEntry>();
    const byPeer = new Map<number, ProcessEntry[]>();
    for (let i = 0; i < cols.count; i++) {
      const owner = ownerAt[i];
      if (!owner) continue;
      if (cols.state[i] === LISTEN) {
        byListenPort.set(cols.localPort[i], owner);
        continue;
      }
      const key = cols.remoteIp[i] * 65536 + cols.remotePort[i];
      const peers = byPeer.get(key);
      if (!peers) byPeer.set(key, [owner]);
      else if (peers[peers.length - 1] !== owner) peers.push(owner);
    }
    const likely = new Set<ProcessEntry>();
    for (const i of unplacedAt) {
      if (cols.state[i] === LISTEN) continue;
      const listener = byListenPort.get(cols.localPort[i]);
      if (listener) likely.add(listener);
    }
    // Processes that held a socket the table no longer lists.
    for (const p of members) {
      const record = this.walked.get(p.pid);
      if (!record || record.starttime !== p.starttime) continue;
      for (let k = record.sockets; k < 2 * record.sockets; k++) {
        if (!sortedHas(listed, record.fdInodes[k])) {
          likely.add(p);
          break;
        }
      }
    }
    for (const i of unplacedAt) {
      if (cols.state[i] === LISTEN || byListenPort.has(cols.localPort[i])) continue;
      for (const p of byPeer.get(cols.remoteIp[i] * 65536 + cols.remotePort[i]) ?? []) likely.add(p);
    }
    return [...likely];
  }

  /**
   * Reads again the fds of `p`'s last walk that pointed at sockets the namespace no longer lists, and places the
   * new sockets found there. Nothing else of the table is read, so its record is updated only at those fds.
   */
  private readClosedFds(p: ProcessEntry, unplaced: Set<number>, listed: Uint32Array): void {
    const record = this.walked.get(p.pid);
    if (!record || record.starttime !== p.starttime) return;
    const n = record.sockets;
    for (let k = 0; k < n; k++) {
      if (sortedHas(listed, record.fdInodes[n + k])) continue;
      let target: string | undefined;
      try {
        target = readLink(`${this.procRoot}/${p.pid}/fd/${record.fdInodes[k]}`);
      } catch {
        // The walk that may follow reports what cannot be read.
        continue;
      }
      const inode = target === undefined ? 0 : socketInode(target);
      if (inode === 0) continue;
      record.fdInodes[n + k] = inode;
      if (!unplaced.has(inode)) continue;
      this.owners.set(inode, p.pid);
      unplaced.delete(inode);
    }
  }

  /**
   * Reads a process's fd table for sockets. With `listed` (the namespace's inodes now, sorted) it skims: an fd
   * that pointed at a socket the namespace still lists is taken to point at it still, and only the other fds are
   * read (readlink). That is sound for finding new sockets but one case: the fd was closed and reused while its
   * old socket lives on in another process; place() then walks the holders in full before it gives up on an inode.
   * A pid's record counts only for the process with the start time it was made with.
   */
  private walk(p: ProcessEntry, unplaced: Set<number>, collection: number, errors: CollectionErrors, listed?: Uint32Array): void {
    const dir = `${this.procRoot}/${p.pid}/fd`;
    let names: string[] | undefined;
    try {
      names = listDir(dir);
    } catch (err) {
      errors.unreadableFile(REPORTER, 'fd', err);
      // Not walkable now (no SYS_PTRACE): do not try it first again.
      this.walked.set(p.pid, { starttime: p.starttime, sockets: 0, fdInodes: NO_FD_INODES });
      return;
    }
    if (!names) return;
    this.walksThisCollection++;
    const previous = this.walked.get(p.pid);
    const known = listed && previous && previous.starttime === p.starttime && previous.sockets > 0 ? previous : undefined;
    const fds: number[] = [];
    const inodes: number[] = [];
    for (const name of names) {
      const fd = Number(name);
      if (known) {
        const k = sortedIndex(known.fdInodes, fd, known.sockets);
        if (k >= 0 && sortedHas(listed!, known.fdInodes[known.sockets + k])) {
          fds.push(fd);
          inodes.push(known.fdInodes[known.sockets + k]);
          continue;
        }
      }
      let target: string | undefined;
      try {
        target = readLink(`${dir}/${name}`);
      } catch (err) {
        if (!isGone(err)) errors.unreadableFile(REPORTER, 'fd link', err);
        continue;
      }
      const inode = target === undefined ? 0 : socketInode(target);
      if (inode === 0) continue;
      fds.push(fd);
      inodes.push(inode);
      this.owners.set(inode, p.pid);
      unplaced.delete(inode);
    }
    this.walked.set(p.pid, { starttime: p.starttime, sockets: inodes.length, fdInodes: byFd(fds, inodes) });
    p.openFiles = { count: names.length, collection };
  }

  /** Forgets inodes no table lists any more and processes that are gone, so nothing here outgrows the host. */
  /** @param liveInodes every inode the tables listed this collection, sorted */
  endCollection(liveInodes: Uint32Array, byPid: ReadonlyMap<number, ProcessEntry>): void {
    // forEach, not for…of: iterating 20,000 owners made an iterator result each, ~0.5 MB of garbage a collection.
    // A Map or Set may lose the entry forEach is at.
    this.owners.forEach((_pid, inode) => {
      if (!sortedHas(liveInodes, inode)) this.owners.delete(inode);
    });
    this.unplaceable.forEach((inode) => {
      if (!sortedHas(liveInodes, inode)) this.unplaceable.delete(inode);
    });
    this.walked.forEach((record, pid) => {
      const p = byPid.get(pid);
      if (!p || p.starttime !== record.starttime) this.walked.delete(pid);
    });
  }
}

/** The fd → inode pairs as a WalkRecord's fdInodes, sorted by fd (a /proc fd directory lists them ascending already). */
function byFd(fds: number[], inodes: number[]): Uint32Array {
  const n = fds.length;
  if (n === 0) return NO_FD_INODES;
  const order = fds.map((_, k) => k);
  let ascending = true;
  for (let k = 1; k < n && ascending; k++) ascending = fds[k - 1] < fds[k];
  if (!ascending) order.sort((a, b) => fds[a] - fds[b]);
  const out = new Uint32Array(2 * n);
  for (let k = 0; k < n; k++) {
    out[k] = fds[order[k]];
    out[n + k] = inodes[order[k]];
  }
  return out;
}

/** Index of `value` in an ascending array (its first `length` elements), or -1. */
function sortedIndex(sorted: Uint32Array, value: number, length = sorted.length): number {
  let lo = 0;
  let hi = length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function sortedHas(sorted: Uint32Array, value: number): boolean {
  return sortedIndex(sorted, value) >= 0;
}

/** The inode of an fd link `socket:[12345]`; 0 for any other link. */
function socketInode(target: string): number {
  return target.charCodeAt(0) === 115 && target.startsWith('socket:[') ? linkInode(target) : 0;
}
