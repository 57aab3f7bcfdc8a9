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
 * The /proc/<pid>/net files of every namespace (fib_trie, if_inet6, tcp, tcp6: 800 files a collection on the large
 * host), kept open under the namespace's inode (proc-files.ts KeptFiles). A /proc/<pid>/net file opened once shows
 * its namespace for as long as it is open, whichever process it was opened through and whatever that pid means
 * later, so the inode, not the pid, is what names it. `sweep` after the namespaces are read closes those of
 * namespaces gone, which a kept file would otherwise keep alive.
 */
export class NamespaceFiles {
  private readonly kept: KeptFiles;

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

  sweep(): void {
    this.kept.sweep();
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
      let fib: string | undefined;
      let inet6: string | undefined;
      try {
        fib = files.text(inode, p.pid, 'fib_trie');
        if (fib === undefined) continue;
        inet6 = files.text(inode, p.pid, 'if_inet6') ?? '';
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
        addresses: [...ipv4Addresses(fib), ...ipv6Addresses(inet6)],
        containerId: only || undefined,
      });
      break;
    }
  }
  return namespaces;
}
