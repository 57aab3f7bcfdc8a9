/**
 * Connections resolved across hosts: for every TCP connection in the merged report, who is at each end, as far as
 * the report can tell — process, container and host — or the peer's address when it is outside every namespace any
 * probe reported. Every renderer draws its edges from this one list, mapping each end to its own nodes.
 *
 * A client socket's adjacency names its peer. When the probe could place the peer (same host), the peer's scope is
 * a namespace; otherwise it is `*` and the peer's address is looked up among the addresses hosts and containers
 * report. Within the namespace found, the listening socket on that port (bound to the address, or to 0.0.0.0 / ::)
 * names the server's process; failing that, the accepted socket; failing that, the namespace's container or host.
 * The client side counts each connection. An accepted socket adds the connections whose client nobody reports:
 * peers at an address outside every reported namespace (the internet), or in a namespace whose probe reports no
 * sockets. A peer the probe placed is on its own host, where the client side is reported.
 *
 * At 1,000 probes there are ~500k sockets, and one hash lookup per socket per generation already costs ~100-250 ms
 * (a 500k-entry map does not stay in cache). So the work is split by the probe that reported the sockets: each
 * probe's part of the merged report is digested once when it changes (its listeners, addresses, and its client
 * connections summed by owner and peer, ~50 entries for 500 connections), and a generation only joins the digests.
 * The inbound side of a digest depends on which addresses are reported and is kept until that changes.
 */
import { parseEndpointId, UNKNOWN_NETNS } from '../../lib/report/node-ids';
import { CONTAINER_LABELS, ENDPOINT_LABELS, HOST_LABELS, TOPOLOGY } from '../../lib/report/report-keys';
import type { ReportNode, Topologies, Topology } from '../../lib/report/report-schema';
import { MergedMaps, nodesOf, TopologyMap } from './merged-maps';
import { StringTable } from './report-compaction';
import { runToEnd, StepBudget, UNBOUNDED } from './renderers/render-model';

/** One end of a connection. Renderers memoise by identity, so one object stands for many sockets. */
export interface EndpointOwner {
  /** Report node ids; any may be missing. */
  host?: string;
  container?: string;
  process?: string;
  /** Set, alone, when the end is outside every reported namespace: its address. */
  external?: string;
}

export interface ResolvedConnection {
  client: EndpointOwner;
  server: EndpointOwner;
  /** The server's port. */
  port: number;
  /** Connections between the two on that port. */
  count: number;
}

/**
 * The part of the merged report one probe reported: every id of the merged report is in exactly one part (ids two
 * probes reported sit in a part of their own). A part's object stays the same while its content does.
 */
export type ReportPart = Topologies;

/** The pure function: connections of a merged report, taken as one part. */
export function resolveConnections(report: MergedMaps): ResolvedConnection[] {
  return new ConnectionResolver().resolve(report, [wholeReport(report)]);
}

/** The merged report as a single part. */
export function wholeReport(report: MergedMaps): ReportPart {
  const part: ReportPart = {};
  for (const name of [TOPOLOGY.host, TOPOLOGY.container, TOPOLOGY.process, TOPOLOGY.endpoint]) {
    const nodes = report.topologies.get(name);
    if (!nodes) continue;
    const topology: Topology = {};
    for (const [id, node] of nodes) topology[id] = node;
    part[name] = topology;
  }
  return part;
}

/** A peer id taken apart, with the id its socket has in the namespace it was last resolved to. */
interface Peer {
  netns: string;
  ip: string;
  port: number;
  resolvedNetns?: string;
  resolvedId?: string;
}

/** What one part contributes, computed from that part alone. */
interface Digest {
  listeners: Array<{ netns: string; port: number; ip: string; owner: EndpointOwner }>;
  /** Addresses the part's hosts and containers claim, and the owner of each namespace they report. */
  addresses: Array<[ip: string, netns: string]>;
  namespaces: Array<[netns: string, owner: EndpointOwner]>;
  /** Namespaces the part reports sockets in. */
  socketNamespaces: string[];
  /** Client connections summed by owner and peer. */
  clients: Array<{ owner: EndpointOwner; peer: Peer; count: number }>;
  /**
   * Accepted connections from peers the probe could not place, summed by peer address, per socket owner and port
   * (parallel lists: at 1,000 probes there are 500k of them, and an object each cost 40 MB).
   */
  inbound: Array<{ owner: EndpointOwner; port: number; ips: string[]; counts: number[] }>;
  /**
   * The part's connections, resolved against these indexes; kept while they stay the same objects, unless resolving
   * needed another part's accepted socket (then it is redone every time).
   */
  resolved?: { addresses: AddressIndex; listeners: ListenerIndex; connections: ResolvedConnection[] };
}

/** Listening sockets by namespace, port and bound address. */
type ListenerIndex = Map<string, Map<number, Map<string, EndpointOwner>>>;

const WILDCARDS_V4 = ['0.0.0.0', '::'];
const WILDCARDS_V6 = ['::'];
/** An address more than one namespace claims (e.g. 172.17.0.2 behind every Docker bridge) places nothing. */
const AMBIGUOUS = '\u0000ambiguous';

/** Which namespace each reported address is in, which namespaces have sockets, and who each namespace is. */
interface AddressIndex {
  byAddress: Map<string, string>;
  withSockets: Set<string>;
  namespaces: Map<string, EndpointOwner>;
}

/**
 * Resolves connections from parts, keeping each part's digest while the part object stays the same (a WeakMap, so
 * a part that is gone takes its digest with it) and the address index while its content stays the same.
 */
export class ConnectionResolver {
  private readonly digests = new WeakMap<ReportPart, Digest>();
  /** Peer addresses, once each across digests. */
  private readonly strings = new StringTable(200_000);
  private addresses?: AddressIndex;
  private listeners?: { flat: Digest['listeners']; index: ListenerIndex };

  /**
   * Connections of the report, whose parts are `parts`. Connections of different parts never share a client end
   * (each part's owners are its own objects), so the list is the parts' lists one after another.
   */
  resolve(report: MergedMaps, parts: readonly ReportPart[]): ResolvedConnection[] {
    return runToEnd(this.resolveSteps(report, parts, UNBOUNDED));
  }

  /**
   * `resolve` in steps: it yields when `budget` is spent, asked once per part digested and once per part resolved
   * (a part is ~0.1-1 ms of work at 500 sockets), so a generation's resolution at 1,000 probes — 0.1-0.6 s when
   * every part changed — is not one stretch of the event loop. The report must not change until it returns. Each
   * step leaves the resolver's caches whole: steps abandoned half-way leave digests and resolved parts that a later
   * call may use.
   */
  *resolveSteps(report: MergedMaps, parts: readonly ReportPart[], budget: StepBudget): Generator<void, ResolvedConnection[]> {
    const digests: Digest[] = [];
    for (const part of parts) {
      const known = this.digests.get(part);
      digests.push(known ?? this.digestOf(part));
      if (!known && budget.spent()) yield;
    }
    const addresses = this.addressIndex(digests);
    const listeners = this.listenerIndex(digests);
    const endpoints = nodesOf(report, TOPOLOGY.endpoint);
    const processes = nodesOf(report, TOPOLOGY.process);
    const places = new Places(addresses);
    let usedOtherPart = false;
    const serverOf = (peer: Peer, netns: string): EndpointOwner => {
      const byIp = listeners.get(netns)?.get(peer.port);
      if (byIp) {
        const exact = byIp.get(peer.ip);
        if (exact) return exact;
        for (const any of peer.ip.includes(':') ? WILDCARDS_V6 : WILDCARDS_V4) {
          const wild = byIp.get(any);
          if (wild) return wild;
        }
      }
      if (peer.resolvedNetns !== netns) {
        peer.resolvedNetns = netns;
        peer.resolvedId = `endpoint:${netns}:${peer.ip}:${peer.port}`;
      }
      usedOtherPart = true;
      const accepted = endpoints.get(peer.resolvedId as string);
      if (accepted) return ownerOf(peer.resolvedId as string, accepted, processes, places.ownerOf);
      return places.ownerOf(netns);
    };
    const out: ResolvedConnection[] = [];
    for (const d of digests) {
      if (d.resolved?.addresses !== addresses || d.resolved.listeners !== listeners) {
        usedOtherPart = false;
        const table = new ConnectionTable();
        for (const c of d.clients) {
          const netns = c.peer.netns !== UNKNOWN_NETNS ? c.peer.netns : places.namespaceOf(c.peer.ip);
          table.add(c.owner, netns === undefined ? places.external(c.peer.ip) : serverOf(c.peer, netns), c.peer.port, c.count);
        }
        for (const c of unreportedInbound(d, places)) table.add(c.client, c.server, c.port, c.count);
        const connections = table.list();
        d.resolved = usedOtherPart ? undefined : { addresses, listeners, connections };
        for (const c of connections) out.push(c);
        if (budget.spent()) yield;
      } else {
        for (const c of d.resolved.connections) out.push(c);
      }
    }
    return out;
  }

  private digestOf(part: ReportPart): Digest {
    let digest = this.digests.get(part);
    if (!digest) this.digests.set(part, (digest = digestPart(part, this.strings)));
    return digest;
  }

  /** The listener index of these digests; the previous object when they list the same listeners in the same order. */
  private listenerIndex(digests: readonly Digest[]): ListenerIndex {
    const flat: Digest['listeners'] = [];
    for (const d of digests) for (const l of d.listeners) flat.push(l);
    const before = this.listeners;
    if (before && before.flat.length === flat.length && flat.every((l, i) => sameListener(l, before.flat[i]))) return before.index;
    const index: ListenerIndex = new Map();
    for (const l of flat) {
      let byPort = index.get(l.netns);
      if (!byPort) index.set(l.netns, (byPort = new Map()));
      let byIp = byPort.get(l.port);
      if (!byIp) byPort.set(l.port, (byIp = new Map()));
      byIp.set(l.ip, l.owner);
    }
    this.listeners = { flat, index };
    return index;
  }

  /** The address index of these digests; the previous object when its content is the same. */
  private addressIndex(digests: readonly Digest[]): AddressIndex {
    const byAddress = new Map<string, string>();
    const withSockets = new Set<string>();
    const namespaces = new Map<string, EndpointOwner>();
    for (const d of digests) {
      for (const [ip, netns] of d.addresses) {
        const seen = byAddress.get(ip);
        byAddress.set(ip, seen === undefined || seen === netns ? netns : AMBIGUOUS);
      }
      for (const netns of d.socketNamespaces) withSockets.add(netns);
      for (const [netns, owner] of d.namespaces) if (!namespaces.has(netns)) namespaces.set(netns, owner);
    }
    const before = this.addresses;
    if (before && sameMap(before.byAddress, byAddress) && sameSet(before.withSockets, withSockets) && sameOwners(before.namespaces, namespaces)) return before;
    return (this.addresses = { byAddress, withSockets, namespaces });
  }
}

/** Inbound connections of a digest whose clients no probe reports. */
function unreportedInbound(d: Digest, places: Places): ResolvedConnection[] {
  const out: ResolvedConnection[] = [];
  for (const group of d.inbound) {
    group.ips.forEach((ip, i) => {
      const netns = places.namespaceOf(ip);
      const count = group.counts[i];
      if (netns === undefined) out.push({ client: places.external(ip), server: group.owner, port: group.port, count });
      else if (!places.hasSockets(netns)) out.push({ client: places.ownerOf(netns), server: group.owner, port: group.port, count });
    });
  }
  return out;
}

/** Lookups over the address index, with owners for namespaces nobody claims and for outside addresses. */
class Places {
  private readonly extra = new Map<string, EndpointOwner>();
  private readonly externals = new Map<string, EndpointOwner>();

  constructor(private readonly index: AddressIndex) {}

  namespaceOf(ip: string): string | undefined {
    const netns = this.index.byAddress.get(ip);
    return netns === AMBIGUOUS ? undefined : netns;
  }

  hasSockets(netns: string): boolean {
    return this.index.withSockets.has(netns);
  }

  /** The namespace's container or host; for a namespace nobody claims, the host in its scope (`<host>/<inode>`). */
  readonly ownerOf = (netns: string): EndpointOwner => {
    let owner = this.index.namespaces.get(netns) ?? this.extra.get(netns);
    if (!owner) this.extra.set(netns, (owner = scopeOwner(netns)));
    return owner;
  };

  external(ip: string): EndpointOwner {
    let owner = this.externals.get(ip);
    if (!owner) this.externals.set(ip, (owner = { external: ip }));
    return owner;
  }
}

function scopeOwner(netns: string): EndpointOwner {
  const slash = netns.indexOf('/');
  return slash > 0 ? { host: `host:${netns.slice(0, slash)}` } : {};
}

/** Everything a part contributes that does not depend on the other parts. */
function digestPart(part: ReportPart, strings: StringTable): Digest {
  const digest: Digest = { listeners: [], addresses: [], namespaces: [], socketNamespaces: [], clients: [], inbound: [] };
  const processTopology = part[TOPOLOGY.process] ?? {};
  const processes: TopologyMap = { get: (id: string) => processTopology[id] } as TopologyMap;
  const hosts = part[TOPOLOGY.host] ?? {};
  for (const id of Object.keys(hosts)) {
    const netns = hosts[id].labels[HOST_LABELS.netns];
    if (netns === undefined) continue;
    for (const ip of addressList(hosts[id].labels[HOST_LABELS.addresses])) digest.addresses.push([ip, netns]);
    digest.namespaces.push([netns, { host: id }]);
  }
  const containers = part[TOPOLOGY.container] ?? {};
  const claimed = new Set(digest.namespaces.map(([netns]) => netns));
  for (const id of Object.keys(containers).sort()) {
    const labels = containers[id].labels;
    const netns = labels[CONTAINER_LABELS.netns];
    // A container in its host's namespace (host networking) owns no address of its own; a pod's containers share
    // one namespace, which the first of them (by id) stands for.
    if (netns === undefined || claimed.has(netns)) continue;
    claimed.add(netns);
    for (const ip of addressList(labels[CONTAINER_LABELS.addresses])) digest.addresses.push([ip, netns]);
    const host = containers[id].parents.host?.[0];
    digest.namespaces.push([netns, host === undefined ? { container: id } : { host, container: id }]);
  }
  // Sockets of one process share their parents object (compaction does that), hence one owner. A socket whose
  // parents name no host has its host from its own id, so its owner is not shared.
  const owners = new Map<object, EndpointOwner>();
  const owner = (id: string, node: ReportNode): EndpointOwner => {
    if (node.parents.host === undefined) return ownerOf(id, node, processes, scopeOwner);
    let o = owners.get(node.parents);
    if (!o) owners.set(node.parents, (o = ownerOf(id, node, processes, scopeOwner)));
    return o;
  };
  // Keys are never built by concatenation here: hashing a fresh concatenated string per socket was most of the
  // digest's cost. Nested maps key on the parts as parsed.
  const sockets = new Set<string>();
  let lastNetns = '';
  const clients = new Map<EndpointOwner, Map<string, { owner: EndpointOwner; peer: Peer; count: number }>>();
  const inbound = new Map<EndpointOwner, Map<number, Map<string, number>>>();
  const endpoints = part[TOPOLOGY.endpoint] ?? {};
  for (const id of Object.keys(endpoints)) {
    const node = endpoints[id];
    const at = parseEndpointId(id);
    if (!at) continue;
    if (at.netns !== lastNetns) {
      sockets.add(at.netns);
      lastNetns = at.netns;
    }
    const kind = role(node);
    // A socket listening on one address shares its id with the connections it accepted, so a listening node's
    // adjacency, when it has one, is theirs: it is a server end too.
    if (kind === 'listen') digest.listeners.push({ netns: at.netns, port: at.port, ip: at.ip, owner: owner(id, node) });
    if (node.adjacency.length === 0) continue;
    const self = owner(id, node);
    for (const peerId of node.adjacency) {
      const peer = parseEndpointId(peerId);
      if (!peer) continue;
      if (kind === 'server' || kind === 'listen') {
        if (peer.netns !== UNKNOWN_NETNS) continue;
        let byPort = inbound.get(self);
        if (!byPort) inbound.set(self, (byPort = new Map()));
        let byIp = byPort.get(at.port);
        if (!byIp) byPort.set(at.port, (byIp = new Map()));
        const ip = strings.intern(peer.ip);
        byIp.set(ip, (byIp.get(ip) ?? 0) + 1);
      } else {
        let byPeer = clients.get(self);
        if (!byPeer) clients.set(self, (byPeer = new Map()));
        const seen = byPeer.get(peerId);
        if (seen) seen.count++;
        else byPeer.set(peerId, { owner: self, peer: { netns: peer.netns, ip: peer.ip, port: peer.port }, count: 1 });
      }
    }
  }
  digest.socketNamespaces = [...sockets];
  for (const byPeer of clients.values()) for (const c of byPeer.values()) digest.clients.push(c);
  for (const [owner, byPort] of inbound) for (const [port, byIp] of byPort) digest.inbound.push({ owner, port, ips: [...byIp.keys()], counts: [...byIp.values()] });
  return digest;
}

function addressList(addresses: string | undefined): string[] {
  if (!addresses) return [];
  return addresses
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/**
 * Process, container and host of a socket. Its parents normally name all three; when they do not, the process's
 * parents fill in, then the socket's namespace.
 */
function ownerOf(id: string, node: ReportNode, processes: TopologyMap, namespaceOwner: (netns: string) => EndpointOwner): EndpointOwner {
  const parents = node.parents;
  const process = parents.process?.[0];
  let container: string | undefined = parents.container?.[0];
  let host: string | undefined = parents.host?.[0];
  if (host === undefined || (container === undefined && process !== undefined)) {
    const processParents = process === undefined ? undefined : processes.get(process)?.parents;
    container ??= processParents?.container?.[0];
    host ??= processParents?.host?.[0];
    if (host === undefined) {
      const scope = parseEndpointId(id)?.netns;
      host = scope === undefined ? undefined : namespaceOwner(scope).host;
    }
  }
  const owner: EndpointOwner = {};
  if (host !== undefined) owner.host = host;
  if (container !== undefined) owner.container = container;
  if (process !== undefined) owner.process = process;
  return owner;
}

/** `listen`, `server` or `client`, from the role label or, for an older probe, the TCP state. */
function role(node: ReportNode): string {
  const r = node.labels[ENDPOINT_LABELS.role];
  if (r !== undefined) return r;
  return node.labels[ENDPOINT_LABELS.state] === 'listen' ? 'listen' : 'client';
}

function sameListener(a: Digest['listeners'][number], b: Digest['listeners'][number]): boolean {
  return a.netns === b.netns && a.port === b.port && a.ip === b.ip && a.owner.host === b.owner.host && a.owner.container === b.owner.container && a.owner.process === b.owner.process;
}

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of b) if (!a.has(k)) return false;
  return true;
}

function sameOwners(a: Map<string, EndpointOwner>, b: Map<string, EndpointOwner>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) {
    const w = a.get(k);
    if (w === undefined || w.host !== v.host || w.container !== v.container) return false;
  }
  return true;
}

/** Connections summed by (client, server, port), keyed by owner identity. */
class ConnectionTable {
  private readonly table = new Map<EndpointOwner, Map<EndpointOwner, Map<number, ResolvedConnection>>>();

  add(client: EndpointOwner, server: EndpointOwner, port: number, count: number): void {
    let byServer = this.table.get(client);
    if (!byServer) this.table.set(client, (byServer = new Map()));
    let byPort = byServer.get(server);
    if (!byPort) byServer.set(server, (byPort = new Map()));
    const seen = byPort.get(port);
    if (seen) seen.count += count;
    else byPort.set(port, { client, server, port, count });
  }

  list(): ResolvedConnection[] {
    const out: ResolvedConnection[] = [];
    for (const byServer of this.table.values()) for (const byPort of byServer.values()) for (const c of byPort.values()) out.push(c);
    return out;
  }
}
