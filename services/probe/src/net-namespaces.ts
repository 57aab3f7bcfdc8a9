/**
 * The network namespaces of the host: found from its processes (the inode of each one's /proc/<pid>/ns/net), each
 * read once per collection through one of its processes, however many processes share it.
 */
import { netnsScope } from '../../lib/report/node-ids';
import { CollectionErrors } from './collection-errors';
import { FileReader, isGone } from './proc-files';
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
 * Groups processes by namespace and reads each namespace's addresses. `hostInode` is pid 1's namespace. A namespace
 * whose processes all vanish before one of them could be read is left out: its sockets went with them.
 */
export function discoverNamespaces(procRoot: string, host: string, processes: readonly ProcessEntry[], hostInode: number, reader: FileReader, errors: CollectionErrors): NetNamespace[] {
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
        fib = reader.text(`${procRoot}/${p.pid}/net/fib_trie`);
        if (fib === undefined) continue;
        inet6 = reader.text(`${procRoot}/${p.pid}/net/if_inet6`) ?? '';
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
