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
import type { NamespaceFiles, NetNamespace } from './net-namespaces';
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
  private readonly containerJson = new Map<string, Buffer>();
  /** Per socket of the namespace being written, its holder (socket-owners.ts place). */
  private readonly ownerAt: (ProcessEntry | undefined)[] = [];
  private readonly runProcesses = new IdList();
  private readonly runContainers = new IdList();

  constructor(
    procRoot: string,
    private readonly files: NamespaceFiles,
  ) {
    this.owners = new SocketOwners(procRoot);
  }

  /** Reads a namespace's TCP sockets, v4 then v6, into the columns; false when its reader process is gone. */
  readSockets(ns: NetNamespace, into: SocketColumns = this.columns): boolean {
    into.clear();
    const v4 = this.files.lines(ns.inode, ns.readerPid, 'tcp', (buf, start, end) => this.parser.parse(buf, start, end, 4, into));
    if (!v4) return false;
    // A kernel without IPv6 has no tcp6.
    this.files.lines(ns.inode, ns.readerPid, 'tcp6', (buf, start, end) => this.parser.parse(buf, start, end, 6, into));
    return true;
  }

  write(writer: ReportWriter, namespaces: readonly NetNamespace[], byPid: ReadonlyMap<number, ProcessEntry>, hostNodeId: string, timeMs: number, collection: number, errors: CollectionErrors): EndpointCounts {
    const counts: EndpointCounts = { sockets: 0, endpoints: 0, unplaced: 0, fdWalks: 0 };
    const names = this.parser.names;
    names.reset();
    this.owners.beginCollection();
    // Escaped and encoded once: a host name may hold characters JSON must escape.
    const scopeText = new Map<NetNamespace, NamespaceText>();
    const prefixOfAddress = new Map<number, Buffer>();
    for (const ns of namespaces) {
      const text = namespaceText(ns.scope);
      scopeText.set(ns, text);
      for (const ip of ns.addresses) {
        const id = names.idOf(ip);
        if (!prefixOfAddress.has(id)) prefixOfAddress.set(id, text.idPrefix);
      }
    }
    this.inodeCount = 0;
    const shared: CollectionText = {
      timestamp: Buffer.from(`":{"timestamp":${timeMs},"labels":{"ip":"`, 'latin1'),
      hostParent: Buffer.from(`],"parents":{"host":[${JSON.stringify(hostNodeId)}]`, 'utf8'),
      prefixOfAddress,
    };
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
      this.owners.place(cols, ns.members, byPid, collection, errors, this.ownerAt);
      this.writeNamespace(writer, ns, scopeText.get(ns)!, shared, counts, usedContainers);
    }
    writer.endTopology();
    const live = this.inodes.subarray(0, this.inodeCount).sort();
    this.owners.endCollection(live, byPid);
    for (const id of this.containerJson.keys()) if (!usedContainers.has(id)) this.containerJson.delete(id);
    this.ownerAt.length = 0;
    counts.fdWalks = this.owners.walksThisCollection;
    return counts;
  }

  private writeNamespace(writer: ReportWriter, ns: NetNamespace, scope: NamespaceText, shared: CollectionText, counts: EndpointCounts, usedContainers: Set<string>): void {
    const cols = this.columns;
    const ownerAt = this.ownerAt;
    const { encoded: names, kinds } = this.parser.names;
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
    const processes = this.runProcesses;
    const containers = this.runContainers;
    for (let run = 0; run < n; ) {
      const key = Math.floor(order[run] / INDEX_SPAN);
      let end = run + 1;
      while (end < n && Math.floor(order[end] / INDEX_SPAN) === key) end++;
      processes.clear();
      containers.clear();
      let state = -1;
      const i0 = order[run] % INDEX_SPAN;
      for (let k = run; k < end; k++) {
        const i = order[k] % INDEX_SPAN;
        const s = cols.state[i];
        // One state per endpoint: listen over established over the rest.
        if (state === -1 || s === LISTEN || (state !== LISTEN && s === ESTABLISHED)) state = s;
        if (cols.inode[i] === 0) continue;
        const owner = ownerAt[i];
        if (!owner) {
          counts.unplaced++;
          continue;
        }
        processes.add(owner.idJson);
        const c = owner.facts.container;
        if (c) containers.add(this.containerText(c.id, usedContainers));
      }
      if (nsContainer) containers.add(nsContainer);
      const ip = names[cols.localIp[i0]];
      const port = cols.localPort[i0];
      const role = state === LISTEN ? ROLE_LISTEN : listenAny.has(port) || listenExact.has(cols.localIp[i0] * 65536 + port) ? ROLE_SERVER : ROLE_CLIENT;
      // "endpoint:<scope>:<ip>:<port>":{"timestamp":…,"labels":{"ip":…,"port":…,"netns":…,"family":…,"state":…,"role":…},
      //   "adjacency":[…],"parents":{"host":[…],"process":[…],"container":[…]}}
      writer.beginNode();
      writer.bytes(scope.idPrefix);
      writer.bytes(ip);
      writer.bytes(COLON);
      writer.int(port);
      writer.bytes(shared.timestamp);
      writer.bytes(ip);
      writer.bytes(PORT);
      writer.int(port);
      writer.bytes(cols.family[i0] === 6 ? scope.family6 : scope.family4);
      writer.bytes(STATE_ROLE[state][role]);
      let peers = 0;
      for (let k = run; k < end && peers < REPORT_LIMITS.adjacency; k++) {
        const i = order[k] % INDEX_SPAN;
        const remote = cols.remoteIp[i];
        if (cols.state[i] === LISTEN || kinds[remote] === UNSPECIFIED) continue;
        if (peers++ > 0) writer.bytes(COMMA);
        writer.bytes(kinds[remote] === LOOPBACK ? scope.idPrefix : (shared.prefixOfAddress.get(remote) ?? UNKNOWN_PREFIX));
        writer.bytes(names[remote]);
        writer.bytes(COLON);
        writer.int(cols.remotePort[i]);
        writer.bytes(QUOTE);
      }
      writer.bytes(shared.hostParent);
      processes.write(writer, PROCESS_PARENTS);
      containers.write(writer, CONTAINER_PARENTS);
      writer.bytes(CLOSE_NODE);
      run = end;
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

  private containerText(id: string, used: Set<string>): Buffer {
    used.add(id);
    let text = this.containerJson.get(id);
    if (text === undefined) this.containerJson.set(id, (text = Buffer.from(JSON.stringify(containerId(id)), 'utf8')));
    return text;
  }
}

/** What a namespace's nodes share, encoded once per collection. */
interface NamespaceText {
  /** `"endpoint:<scope>:` — an endpoint id up to its address. */
  idPrefix: Buffer;
  /** `","netns":"<scope>","family":"4` and 6. */
  family4: Buffer;
  family6: Buffer;
}

/** What every node of a collection shares. */
interface CollectionText {
  /** From the end of the id to the ip label's value: `":{"timestamp":<ms>,"labels":{"ip":"`. */
  timestamp: Buffer;
  /** From the end of the adjacency list through the host parent. */
  hostParent: Buffer;
  /** By address id: the idPrefix of the namespace that owns the address. */
  prefixOfAddress: ReadonlyMap<number, Buffer>;
}

function namespaceText(scope: string): NamespaceText {
  // A string's JSON text without the quotes, to splice into a larger JSON text.
  const text = JSON.stringify(scope).slice(1, -1);
  const family = (f: number): Buffer => Buffer.from(`","netns":"${text}","family":"${f}`, 'utf8');
  return { idPrefix: Buffer.from(`"endpoint:${text}:`, 'utf8'), family4: family(4), family6: family(6) };
}

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const COLON = ascii(':');
const COMMA = ascii(',');
const QUOTE = ascii('"');
const PORT = ascii('","port":"');
const CLOSE_NODE = ascii('}}');
const PROCESS_PARENTS = ascii(',"process":[');
const CONTAINER_PARENTS = ascii(',"container":[');
const CLOSE_LIST = ascii(']');
const UNKNOWN_PREFIX = ascii(`"endpoint:${UNKNOWN_NETNS}:`);
const ROLE_LISTEN = 0;
const ROLE_SERVER = 1;
const ROLE_CLIENT = 2;
/** By TCP state and role: the labels' end and the adjacency list's start. */
const STATE_ROLE: readonly (readonly Buffer[])[] = TCP_STATES.map((state) => ['listen', 'server', 'client'].map((role) => ascii(`","state":"${state}","role":"${role}"},"adjacency":[`)));

/**
 * An endpoint's parent ids of one topology (encoded JSON strings), without repeats and at most the report's limit,
 * reused from endpoint to endpoint. Its array keeps its backing store: emptying an array by setting its length to 0
 * gives the store up, and 11,000 endpoints then allocated two new ones each, ~2.7 MB of garbage a collection.
 */
class IdList {
  private readonly items: Buffer[] = [];
  private count = 0;

  clear(): void {
    this.count = 0;
  }

  add(id: Buffer): void {
    if (this.count >= REPORT_LIMITS.parents) return;
    for (let k = 0; k < this.count; k++) if (this.items[k] === id) return;
    this.items[this.count++] = id;
  }

  /** `,"<topology>":[a,b,…]`, or nothing for an empty list. */
  write(writer: ReportWriter, open: Buffer): void {
    if (this.count === 0) return;
    writer.bytes(open);
    for (let k = 0; k < this.count; k++) {
      if (k > 0) writer.bytes(COMMA);
      writer.bytes(this.items[k]);
    }
    writer.bytes(CLOSE_LIST);
  }
}
