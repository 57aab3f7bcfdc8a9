/**
 * Stable node ids. The same thing gets the same id in every report, from every probe, so merging is a join on ids:
 *
 *   host:<name>                          the node name (stable across probe restarts)
 *   container:<id>                       the runtime's container id (Docker's 64 hex digits, a Mesos container id)
 *   process:<host>:<pid>:<starttime>     starttime (clock ticks after boot) tells a reused pid from the old process
 *   endpoint:<netns>:<ip>:<port>         netns is a scope (below); ip may be v6 (colons), so port is after the last `:`
 *
 * A network namespace's inode number is unique on one host only (every host's root namespace is 4026531840), so
 * the scope of a socket the probe reads is `<host>/<inode>`. A peer address the probe cannot place in any
 * namespace it sees gets the scope `*`; the app resolves it against the addresses every probe reports.
 */

/** The scope of a remote peer the probe cannot place; the app resolves it by address. */
export const UNKNOWN_NETNS = '*';

export function hostId(name: string): string {
  return `host:${name}`;
}

export function containerId(id: string): string {
  return `container:${id}`;
}

export function processId(host: string, pid: number, starttime: number): string {
  return `process:${host}:${pid}:${starttime}`;
}

/** The scope of network namespace `inode` on `host`. */
export function netnsScope(host: string, inode: number | string): string {
  return `${host}/${inode}`;
}

export function endpointId(netns: string, ip: string, port: number): string {
  return `endpoint:${netns}:${ip}:${port}`;
}

export interface EndpointAddress {
  netns: string;
  ip: string;
  port: number;
}

/** The parts of an endpoint id, or undefined if `id` is not one. */
export function parseEndpointId(id: string): EndpointAddress | undefined {
  if (!id.startsWith('endpoint:')) return undefined;
  const rest = id.slice('endpoint:'.length);
  const netnsEnd = rest.indexOf(':');
  const portStart = rest.lastIndexOf(':');
  if (netnsEnd <= 0 || portStart <= netnsEnd + 1) return undefined;
  const port = Number(rest.slice(portStart + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { netns: rest.slice(0, netnsEnd), ip: rest.slice(netnsEnd + 1, portStart), port };
}

export interface ProcessKey {
  host: string;
  pid: number;
  starttime: number;
}

/** The parts of a process id, or undefined if `id` is not one. Host names never contain `:`. */
export function parseProcessId(id: string): ProcessKey | undefined {
  const match = /^process:([^:]+):(\d+):(\d+)$/.exec(id);
  return match ? { host: match[1], pid: Number(match[2]), starttime: Number(match[3]) } : undefined;
}

/** The id prefix every node of a reported topology carries, e.g. `container:` for `container`. */
export function idPrefix(topology: string): string {
  return `${topology}:`;
}
