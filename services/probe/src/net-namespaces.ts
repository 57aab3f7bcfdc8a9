/**
 * The network namespaces of the host: found from its processes (the inode of each one's /proc/<pid>/ns/net), each
 * read once per collection through one of its processes, however many processes share it.
 */
import { netnsScope } from '../../lib/report/node-ids';
import { CollectionErrors } from './collection-errors';
import { FileReader, isGone, KeptFiles } from './proc-files';
import type { ProcessEntry } from './process-reporter';
import { ipv4Addresses, ipv6Addresses } from './net-addresses';

export interface NetNamespace {
  inode: number;
  /** `<host>/<inode>` (node-ids.ts netnsScope). */
  scope: string;
  isHost: boolean;
  /** Its processes, lowest pid first. */
  members: ProcessEntry[];
  /** The process whose /proc/<pid>/net was read for it. */
  readerPid: number;
  /** Its own addresses, loopback excluded. */
  addresses: string[];
  /** The container all its processes belong to, when they share one (a container's private namespace). */
  containerId?: string;
}

/**
 * A namespace's addresses are read again once in this many collections (a minute at the 15 s default), each
 * namespace in its own turn, so that no collection reads all of them.
 */
export const ADDRESS_REFRESH_COLLECTIONS = 4;

/**
 * The /proc/<pid>/net files of every namespace (tcp and tcp6 every collection; fib_trie and if_inet6 when its
 * addresses are due), kept open under the namespace's inode (proc-files.ts KeptFiles). A /proc/<pid>/net file
 * opened once shows its namespace for as long as it is open, whichever process it was opened through and whatever
 * that pid means later, so the inode, not the pid, is what names it. `sweep` after the namespaces are read closes
 * those of namespaces gone, which a kept file would otherwise keep alive.
 *
 * Addresses change far less often than sockets: reading and parsing fib_trie and if_inet6 for 200 namespaces was
 * ~4 ms of a collection on the large host (~10 ms after an idle interval), for the same answer nearly every time.
 */
export class NamespaceFiles {
  private readonly kept: KeptFiles;
  /** By namespace inode: its addresses, the process they were read through, and the last collection that used them. */
  private readonly known = new Map<number, { addresses: string[]; readerPid: number; used: number }>();
  private collection = 0;

  constructor(
    private readonly procRoot: string,
    reader: FileReader,
  ) {
    this.kept = new KeptFiles(reader);
  }

  /** A net file of namespace `inode`, opened through `pid` when it is not open yet. */
  text(inode: number, pid: number, name: string): string | undefined {
    return this.kept.text(`${inode}/${name}`, `${this.procRoot}/${pid}/net/${name}`);
  }

  lines(inode: number, pid: number, name: string, consume: (buf: Buffer, start: number, end: number) => number): boolean {
    return this.kept.lines(`${inode}/${name}`, `${this.procRoot}/${pid}/net/${name}`, consume);
  }

  /**
   * The addresses of namespace `inode` (its own, loopback excluded), read through `pid`; undefined when that
   * process's files are gone. They are read again when their turn comes (ADDRESS_REFRESH_COLLECTIONS), when
   * the namespace is new (`sweep` forgets one a collection did not see), or when another process now stands first
   * in it.
   */
  addresses(inode: number, pid: number): string[] | undefined {
    const known = this.known.get(inode);
    const due = (this.collection + inode) % ADDRESS_REFRESH_COLLECTIONS === 0;
    if (known && known.readerPid === pid && !due) {
      known.used = this.collection;
      return known.addresses;
    }
    const fib = this.text(inode, pid, 'fib_trie');
    if (fib === undefined) return undefined;
    const inet6 = this.text(inode, pid, 'if_inet6') ?? '';
    const addresses = [...ipv4Addresses(fib), ...ipv6Addresses(inet6)];
    this.known.set(inode, { addresses, readerPid: pid, used: this.collection });
    return addresses;
  }

  /** After a collection: closes the files it did not read and forgets the namespaces it did not see. */
  sweep(): void {
    this.kept.sweep();
    this.known.forEach((known, inode) => {
      if (known.used !== this.collection) this.known.delete(inode);
    });
    this.collection++;
  }
}

/**
 * Groups processes by namespace and reads each namespace's addresses. `hostInode` is pid 1's namespace. A namespace
 * whose processes all vanish before one of them could be read is left out: its sockets went with them.
 */
export function discoverNamespaces(host: string, processes: readonly ProcessEntry[], hostInode: number, files: NamespaceFiles, errors: CollectionErrors): NetNamespace[] {
  const byInode = new Map<number, ProcessEntry[]>();
  for (const p of processes) {
    if (p.facts.netns === 0) continue;
    let members = byInode.get(p.facts.netns);
    if (!members) byInode.set(p.facts.netns, (members = []));
    members.push(p);
  }
  const namespaces: NetNamespace[] = [];
  for (const [inode, members] of byInode) {
    members.sort((a, b) => a.pid - b.pid);
    for (const p of members) {
      let addresses: string[] | undefined;
      try {
        addresses = files.addresses(inode, p.pid);
        if (addresses === undefined) continue;
      } catch (err) {
        if (isGone(err)) continue;
        errors.unreadableFile('endpoint', 'net', err);
        continue;
      }
      const containers = new Set<string>();
      for (const m of members) if (!m.kernelThread) containers.add(m.facts.container?.id ?? '');
      const only = containers.size === 1 ? [...containers][0] : '';
      namespaces.push({
        inode,
        scope: netnsScope(host, inode),
        isHost: inode === hostInode,
        members,
        readerPid: p.pid,
        addresses,
        containerId: only || undefined,
      });
      break;
    }
  }
  return namespaces;
}
