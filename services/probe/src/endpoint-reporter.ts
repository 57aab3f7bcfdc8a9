/**
 * TCP endpoints (v4 and v6) of every network namespace, joined to the processes that hold them. Each namespace's
 * tables are read once, through one of its processes. An endpoint is one local address and port in a namespace:
 * every connection a server accepted on 10.0.0.5:80 is the one endpoint `endpoint:<ns>:10.0.0.5:80`, adjacent to
 * each of its clients; a client's endpoint is its own ephemeral port, adjacent to the server's.
 *
 * A peer address is placed in a namespace when it is loopback (the same namespace) or one of the addresses of a
 * namespace this probe sees; otherwise its scope is `*` and the app places it (node-ids.ts).
 *
 * This is the probe's hot path (20,000 sockets on the large host): sockets are columns of typed arrays, endpoints
 * are grouped by a numeric key, and each node's JSON is built from strings escaped once per namespace or process.
 */
import { containerId, UNKNOWN_NETNS } from '../../lib/report/node-ids';
import { TOPOLOGY } from '../../lib/report/report-keys';
import { REPORT_LIMITS } from '../../lib/report/report-limits';
import { CollectionErrors } from './collection-errors';
import type { NetNamespace } from './net-namespaces';
import { FileReader } from './proc-files';
import type { ProcessEntry } from './process-reporter';
import { ReportWriter } from './report-writer';
import { SocketOwners } from './socket-owners';
import { ESTABLISHED, LISTEN, SocketColumns, TCP_STATES, TcpTableParser } from './tcp-table';

const REPORTER = TOPOLOGY.endpoint;
const INDEX_SPAN = 2 ** 20;
const LOOPBACK = 1;
const UNSPECIFIED = 2;

export interface EndpointCounts {
  sockets: number;
  endpoints: number;
  /** Sockets with an inode no process could be found for. */
  unplaced: number;
  fdWalks: number;
}

export class EndpointReporter {
  readonly parser = new TcpTableParser();
  readonly owners: SocketOwners;
  private readonly columns = new SocketColumns();
  /** The namespace's sockets in endpoint order (see writeNamespace). */
  private order = new Float64Array(1024);
  /** Every socket inode of this collection, to forget owners of sockets that closed. */
  private inodes = new Uint32Array(4096);
  private inodeCount = 0;
  private readonly containerJson = new Map<string, string>();

  constructor(
    private readonly procRoot: string,
    private readonly reader: FileReader,
  ) {
    this.owners = new SocketOwners(procRoot);
  }

  /** Reads a namespace's TCP sockets, v4 then v6, into the columns; false when its reader process is gone. */
  readSockets(ns: NetNamespace, into: SocketColumns = this.columns): boolean {
    into.clear();
    const base = `${this.procRoot}/${ns.readerPid}/net`;
    const v4 = this.reader.lines(`${base}/tcp`, (buf, start, end) => this.parser.parse(buf, start, end, 4, into));
    if (!v4) return false;
    // A kernel without IPv6 has no tcp6.
    this.reader.lines(`${base}/tcp6`, (buf, start, end) => this.parser.parse(buf, start, end, 6, into));
    return true;
  }

  write(writer: ReportWriter, namespaces: readonly NetNamespace[], byPid: ReadonlyMap<number, ProcessEntry>, hostNodeId: string, timeMs: number, collection: number, errors: CollectionErrors): EndpointCounts {
    const counts: EndpointCounts = { sockets: 0, endpoints: 0, unplaced: 0, fdWalks: 0 };
    const names = this.parser.names;
    names.reset();
    this.owners.beginCollection();
    // Escaped once: a host name may hold characters JSON must escape.
    const scopeText = new Map<NetNamespace, string>();
    const scopeOfAddress = new Map<number, string>();
    for (const ns of namespaces) {
      const text = jsonText(ns.scope);
      scopeText.set(ns, text);
      for (const ip of ns.addresses) {
        const id = names.idOf(ip);
        if (!scopeOfAddress.has(id)) scopeOfAddress.set(id, text);
      }
    }
    this.inodeCount = 0;
    const hostParent = JSON.stringify(hostNodeId);
    const usedContainers = new Set<string>();
    writer.beginTopology(TOPOLOGY.endpoint);
    for (const ns of namespaces) {
      const cols = this.columns;
      try {
        if (!this.readSockets(ns)) continue;
      } catch (err) {
        errors.unreadableFile(REPORTER, 'net/tcp', err);
        continue;
      }
      counts.sockets += cols.count;
      this.keepInodes(cols);
      this.owners.place(cols, ns.members, byPid, collection, errors);
      this.writeNamespace(writer, ns, scopeText.get(ns)!, scopeOfAddress, byPid, hostParent, timeMs, counts, usedContainers);
    }
    writer.endTopology();
    const live = this.inodes.subarray(0, this.inodeCount).sort();
    this.owners.endCollection(live, byPid);
    for (const id of this.containerJson.keys()) if (!usedContainers.has(id)) this.containerJson.delete(id);
    counts.fdWalks = this.owners.walksThisCollection;
    return counts;
  }

  private writeNamespace(writer: ReportWriter, ns: NetNamespace, scope: string, scopeOfAddress: ReadonlyMap<number, string>, byPid: ReadonlyMap<number, ProcessEntry>, hostParent: string, timeMs: number, counts: EndpointCounts, usedContainers: Set<string>): void {
    const cols = this.columns;
    const { names, kinds } = this.parser.names;
    const n = cols.count;
    // Listeners first, so a connection knows whether it was accepted on a listening port.
    const listenExact = new Set<number>();
    const listenAny = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (cols.state[i] !== LISTEN) continue;
      if (kinds[cols.localIp[i]] === UNSPECIFIED) listenAny.add(cols.localPort[i]);
      else listenExact.add(cols.localIp[i] * 65536 + cols.localPort[i]);
    }
    // Group sockets by local address without a Map per socket: each socket's key (local address × 65536 + port) and
    // index packed into one double, sorted natively; a run of equal keys is one endpoint. Local addresses are
    // numbered densely per namespace (a namespace has a handful), so key × 2^20 + index stays exact below 2^53 for
    // up to 2^17 local addresses and 2^20 sockets.
    if (this.order.length < n) this.order = new Float64Array(Math.max(n, this.order.length * 2));
    const order = this.order.subarray(0, n);
    const dense = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      let d = dense.get(cols.localIp[i]);
      if (d === undefined) dense.set(cols.localIp[i], (d = dense.size));
      order[i] = (d * 65536 + cols.localPort[i]) * INDEX_SPAN + i;
    }
    order.sort();
    const nsContainer = ns.containerId ? this.containerText(ns.containerId, usedContainers) : undefined;
    const peers: string[] = [];
    const processes: string[] = [];
    const containers: string[] = [];
    for (let run = 0; run < n; ) {
      const key = Math.floor(order[run] / INDEX_SPAN);
      let end = run + 1;
      while (end < n && Math.floor(order[end] / INDEX_SPAN) === key) end++;
      peers.length = 0;
      processes.length = 0;
      containers.length = 0;
      let state = -1;
      const i0 = order[run] % INDEX_SPAN;
      for (let k = run; k < end; k++) {
        const i = order[k] % INDEX_SPAN;
        const s = cols.state[i];
        // One state per endpoint: listen over established over the rest.
        if (state === -1 || s === LISTEN || (state !== LISTEN && s === ESTABLISHED)) state = s;
        if (s !== LISTEN && kinds[cols.remoteIp[i]] !== UNSPECIFIED && peers.length < REPORT_LIMITS.adjacency) {
          const remote = cols.remoteIp[i];
          const peerScope = kinds[remote] === LOOPBACK ? scope : (scopeOfAddress.get(remote) ?? UNKNOWN_NETNS);
          peers.push(`"endpoint:${peerScope}:${names[remote]}:${cols.remotePort[i]}"`);
        }
        const inode = cols.inode[i];
        if (inode === 0) continue;
        const owner = this.owners.owner(inode, byPid);
        if (!owner) {
          counts.unplaced++;
          continue;
        }
        if (processes.length < REPORT_LIMITS.parents && !processes.includes(owner.idJson)) processes.push(owner.idJson);
        const c = owner.facts.container;
        if (c) {
          const text = this.containerText(c.id, usedContainers);
          if (containers.length < REPORT_LIMITS.parents && !containers.includes(text)) containers.push(text);
        }
      }
      run = end;
      if (nsContainer && !containers.includes(nsContainer)) containers.push(nsContainer);
      const ip = names[cols.localIp[i0]];
      const port = cols.localPort[i0];
      const role = state === LISTEN ? 'listen' : listenAny.has(port) || listenExact.has(cols.localIp[i0] * 65536 + port) ? 'server' : 'client';
      const parents = `{"host":[${hostParent}]${processes.length > 0 ? `,"process":[${processes.join(',')}]` : ''}${containers.length > 0 ? `,"container":[${containers.join(',')}]` : ''}}`;
      writer.raw(
        `"endpoint:${scope}:${ip}:${port}"`,
        `{"timestamp":${timeMs},"labels":{"ip":"${ip}","port":"${port}","netns":"${scope}","family":"${cols.family[i0]}","state":"${TCP_STATES[state]}","role":"${role}"},"adjacency":[${peers.join(',')}],"parents":${parents}}`,
      );
      counts.endpoints++;
    }
  }

  private keepInodes(cols: SocketColumns): void {
    if (this.inodeCount + cols.count > this.inodes.length) {
      const grown = new Uint32Array(Math.max(this.inodes.length * 2, this.inodeCount + cols.count));
      grown.set(this.inodes.subarray(0, this.inodeCount));
      this.inodes = grown;
    }
    for (let i = 0; i < cols.count; i++) if (cols.inode[i] !== 0) this.inodes[this.inodeCount++] = cols.inode[i];
  }

  private containerText(id: string, used: Set<string>): string {
    used.add(id);
    let text = this.containerJson.get(id);
    if (text === undefined) this.containerJson.set(id, (text = JSON.stringify(containerId(id))));
    return text;
  }
}

/** A string's JSON text without the quotes, to splice into a larger JSON string. */
function jsonText(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
