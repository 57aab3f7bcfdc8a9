/**
 * TCP endpoints (v4 and v6) of every network namespace, joined to the processes that hold them. Each namespace's
 * tables are read once, through one of its processes. An endpoint is one local address and port in a namespace:
 * every connection a server accepted on 10.0.0.5:80 is the one endpoint `endpoint:<ns>:10.0.0.5:80`, adjacent to
 * each of its clients; a client's endpoint is its own ephemeral port, adjacent to the server's.
 *
 * A peer address is placed in a namespace when it is loopback (the same namespace) or one of the addresses of a
 * namespace this probe sees; otherwise its scope is `*` and the app places it (node-ids.ts).
 */
import { containerId, endpointId, UNKNOWN_NETNS } from '../../lib/report/node-ids';
import { ENDPOINT_LABELS, TOPOLOGY } from '../../lib/report/report-keys';
import { REPORT_LIMITS } from '../../lib/report/report-limits';
import { CollectionErrors } from './collection-errors';
import { isLoopback, isUnspecified } from './net-addresses';
import type { NetNamespace } from './net-namespaces';
import { FileReader } from './proc-files';
import type { ProcessEntry } from './process-reporter';
import { ReportWriter } from './report-writer';
import { SocketOwners } from './socket-owners';
import { LISTEN, TcpSocket, TcpTableParser } from './tcp-table';

const REPORTER = TOPOLOGY.endpoint;

interface Endpoint {
  ip: string;
  port: number;
  family: 4 | 6;
  state: string;
  role: 'listen' | 'server' | 'client';
  peers: Set<string>;
  processes: Set<string>;
  containers: Set<string>;
}

export interface EndpointCounts {
  sockets: number;
  endpoints: number;
  /** Sockets with an inode no process could be found for. */
  unplaced: number;
  fdWalks: number;
}

export class EndpointReporter {
  private readonly parser = new TcpTableParser();
  readonly owners: SocketOwners;

  constructor(
    private readonly procRoot: string,
    private readonly reader: FileReader,
  ) {
    this.owners = new SocketOwners(procRoot);
  }

  /** Reads a namespace's TCP sockets, v4 then v6; undefined when its reader process is gone. */
  readSockets(ns: NetNamespace): TcpSocket[] | undefined {
    const sockets: TcpSocket[] = [];
    const base = `${this.procRoot}/${ns.readerPid}/net`;
    const v4 = this.reader.lines(`${base}/tcp`, (buf, start, end) => this.parser.parse(buf, start, end, 4, sockets));
    if (!v4) return undefined;
    // A kernel without IPv6 has no tcp6.
    this.reader.lines(`${base}/tcp6`, (buf, start, end) => this.parser.parse(buf, start, end, 6, sockets));
    return sockets;
  }

  write(writer: ReportWriter, namespaces: readonly NetNamespace[], byPid: ReadonlyMap<number, ProcessEntry>, hostNodeId: string, timeMs: number, collection: number, errors: CollectionErrors): EndpointCounts {
    const counts: EndpointCounts = { sockets: 0, endpoints: 0, unplaced: 0, fdWalks: 0 };
    this.owners.beginCollection();
    const scopeOfAddress = new Map<string, string>();
    for (const ns of namespaces) for (const ip of ns.addresses) if (!scopeOfAddress.has(ip)) scopeOfAddress.set(ip, ns.scope);
    const liveInodes = new Set<number>();
    const hostParents = [hostNodeId];
    writer.beginTopology(TOPOLOGY.endpoint);
    for (const ns of namespaces) {
      let sockets: TcpSocket[] | undefined;
      try {
        sockets = this.readSockets(ns);
      } catch (err) {
        errors.unreadableFile(REPORTER, 'net/tcp', err);
        continue;
      }
      if (!sockets) continue;
      counts.sockets += sockets.length;
      const inodes: number[] = [];
      for (const s of sockets) {
        if (s.inode !== 0) {
          inodes.push(s.inode);
          liveInodes.add(s.inode);
        }
      }
      this.owners.place(inodes, ns.members, byPid, collection, errors);
      const endpoints = this.aggregate(ns, sockets, byPid, scopeOfAddress, counts);
      for (const e of endpoints.values()) {
        const parents: Record<string, string[]> = { [TOPOLOGY.host]: hostParents };
        if (e.processes.size > 0) parents[TOPOLOGY.process] = capped(e.processes, REPORT_LIMITS.parents);
        if (e.containers.size > 0) parents[TOPOLOGY.container] = capped(e.containers, REPORT_LIMITS.parents);
        writer.node(endpointId(ns.scope, e.ip, e.port), {
          timestamp: timeMs,
          labels: {
            [ENDPOINT_LABELS.ip]: e.ip,
            [ENDPOINT_LABELS.port]: String(e.port),
            [ENDPOINT_LABELS.netns]: ns.scope,
            [ENDPOINT_LABELS.family]: String(e.family),
            [ENDPOINT_LABELS.state]: e.state,
            [ENDPOINT_LABELS.role]: e.role,
          },
          adjacency: capped(e.peers, REPORT_LIMITS.adjacency),
          parents,
        });
        counts.endpoints++;
      }
    }
    writer.endTopology();
    this.owners.endCollection(liveInodes, byPid);
    counts.fdWalks = this.owners.walksThisCollection;
    return counts;
  }

  /** One namespace's sockets as endpoints: listeners first, so a connection knows whether it was accepted. */
  private aggregate(ns: NetNamespace, sockets: readonly TcpSocket[], byPid: ReadonlyMap<number, ProcessEntry>, scopeOfAddress: ReadonlyMap<string, string>, counts: EndpointCounts): Map<string, Endpoint> {
    const listening = new Map<number, Set<string>>();
    for (const s of sockets) {
      if (s.state !== LISTEN) continue;
      let ips = listening.get(s.localPort);
      if (!ips) listening.set(s.localPort, (ips = new Set()));
      ips.add(s.localIp);
    }
    const endpoints = new Map<string, Endpoint>();
    const nsContainer = ns.containerId ? containerId(ns.containerId) : undefined;
    for (const s of sockets) {
      const key = `${s.localIp}|${s.localPort}`;
      let e = endpoints.get(key);
      const listen = s.state === LISTEN;
      if (!e) {
        const ips = listening.get(s.localPort);
        const accepted = !listen && ips !== undefined && (ips.has(s.localIp) || ips.has('0.0.0.0') || ips.has('::'));
        e = { ip: s.localIp, port: s.localPort, family: s.family, state: s.state, role: listen ? 'listen' : accepted ? 'server' : 'client', peers: new Set(), processes: new Set(), containers: new Set() };
        endpoints.set(key, e);
      } else if (listen || (e.state !== LISTEN && s.state === 'established')) {
        e.state = s.state;
        if (listen) e.role = 'listen';
      }
      if (!listen && !isUnspecified(s.remoteIp)) {
        const scope = isLoopback(s.remoteIp) ? ns.scope : (scopeOfAddress.get(s.remoteIp) ?? UNKNOWN_NETNS);
        e.peers.add(endpointId(scope, s.remoteIp, s.remotePort));
      }
      if (s.inode !== 0) {
        const owner = this.owners.owner(s.inode, byPid);
        if (owner) {
          e.processes.add(owner.id);
          if (owner.facts.container) e.containers.add(containerId(owner.facts.container.id));
        } else counts.unplaced++;
      }
      if (nsContainer) e.containers.add(nsContainer);
    }
    return endpoints;
  }
}

/** A set as a list within a report limit: a server with more clients than a node may list keeps the first ones. */
function capped(values: Set<string>, limit: number): string[] {
  const out = [...values];
  return out.length > limit ? out.slice(0, limit) : out;
}
