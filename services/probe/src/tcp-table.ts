/**
 * `/proc/<pid>/net/tcp` and `tcp6`, parsed as bytes: the table is ~150 bytes a socket, and on a busy host it is
 * the probe's hottest input (Weave Scope's probe spent most of its time here). No line is turned into a string;
 * addresses are formatted once per distinct value and remembered.
 */
import { parseDecimal } from './proc-files';

/**
 * One namespace's sockets as columns, reused from namespace to namespace and collection to collection: 20,000
 * sockets as objects would be 20,000 objects of garbage per collection. Addresses are ids into `AddressNames`.
 */
export class SocketColumns {
  count = 0;
  family = new Uint8Array(1024);
  localIp = new Int32Array(1024);
  localPort = new Uint16Array(1024);
  remoteIp = new Int32Array(1024);
  remotePort = new Uint16Array(1024);
  /** Index into TCP_STATES. */
  state = new Uint8Array(1024);
  /** 0 for a socket no process holds any more (TIME_WAIT, orphans). */
  inode = new Uint32Array(1024);

  clear(): void {
    this.count = 0;
  }

  push(family: number, localIp: number, localPort: number, remoteIp: number, remotePort: number, state: number, inode: number): void {
    if (this.count === this.family.length) this.grow();
    const i = this.count++;
    this.family[i] = family;
    this.localIp[i] = localIp;
    this.localPort[i] = localPort;
    this.remoteIp[i] = remoteIp;
    this.remotePort[i] = remotePort;
    this.state[i] = state;
    this.inode[i] = inode;
  }

  private grow(): void {
    const n = this.family.length * 2;
    const grow = <T extends Uint8Array | Int32Array | Uint16Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.family = grow(this.family, (k) => new Uint8Array(k));
    this.localIp = grow(this.localIp, (k) => new Int32Array(k));
    this.localPort = grow(this.localPort, (k) => new Uint16Array(k));
    this.remoteIp = grow(this.remoteIp, (k) => new Int32Array(k));
    this.remotePort = grow(this.remotePort, (k) => new Uint16Array(k));
    this.state = grow(this.state, (k) => new Uint8Array(k));
    this.inode = grow(this.inode, (k) => new Uint32Array(k));
  }
}

export const TCP_STATES: readonly string[] = [
  'unknown', 'established', 'syn_sent', 'syn_recv', 'fin_wait1', 'fin_wait2', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'closing', 'new_syn_recv',
];
/** TCP_STATES index of a listening socket (the kernel's TCP_LISTEN). */
export const LISTEN = 10;
export const ESTABLISHED = 1;

/**
 * Addresses as small integer ids, each formatted once: a host has few local addresses and a bounded set of peers.
 * `reset` between collections when the table has grown large, so departed peers do not accumulate.
 */
export class AddressNames {
  readonly names: string[] = [];
  /** By id: the name's bytes, for the report writer. */
  readonly encoded: Buffer[] = [];
  /** By id: 1 loopback, 2 unspecified (0.0.0.0, ::), 0 any other. */
  readonly kinds: number[] = [];
  private v4 = new Map<number, number>();
  private v6 = new Map<string, number>();
  private readonly byName = new Map<string, number>();
  private readonly bytes = Buffer.alloc(16);

  /** Between collections only: ids stay valid within one. */
  reset(): void {
    if (this.names.length < 65536) return;
    this.names.length = 0;
    this.encoded.length = 0;
    this.kinds.length = 0;
    this.v4.clear();
    this.v6.clear();
    this.byName.clear();
  }

  /** The id of an address in text form, as a namespace's address list has it. */
  idOf(name: string): number {
    return this.byName.get(name) ?? this.add(name);
  }

  private add(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    this.names.push(name);
    this.encoded.push(Buffer.from(name, 'latin1'));
    this.kinds.push(name.startsWith('127.') || name === '::1' ? 1 : name === '0.0.0.0' || name === '::' ? 2 : 0);
    this.byName.set(name, this.names.length - 1);
    return this.names.length - 1;
  }

  v4Id(buf: Buffer, start: number): number {
    const word = hexWord(buf, start);
    let id = this.v4.get(word);
    if (id === undefined) {
      // The kernel prints the address as a native (little-endian) 32-bit word.
      id = this.add(`${word & 0xff}.${(word >>> 8) & 0xff}.${(word >>> 16) & 0xff}.${word >>> 24}`);
      this.v4.set(word, id);
    }
    return id;
  }

  v6Id(buf: Buffer, start: number): number {
    const key = buf.toString('latin1', start, start + 32);
    let id = this.v6.get(key);
    if (id === undefined) {
      for (let w = 0; w < 4; w++) this.bytes.writeUInt32LE(hexWord(buf, start + w * 8), w * 4);
      id = this.add(formatIpv6(this.bytes));
      this.v6.set(key, id);
    }
    return id;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return 0;
}

function hexWord(buf: Buffer, start: number): number {
  let n = 0;
  for (let i = start; i < start + 8; i++) n = n * 16 + hexDigit(buf[i]);
  return n;
}

function hexNumber(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 16 + hexDigit(buf[i]);
  return n;
}

/** RFC 5952 text of 16 address bytes; an IPv4-mapped address (`::ffff:a.b.c.d`) as plain IPv4, so both ends of a
 *  dual-stack connection name the v4 peer the same way. */
export function formatIpv6(b: Uint8Array): string {
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLength).map((g) => g.toString(16)).join(':');
  return `${head}::${tail}`;
}

/**
 * Parses TCP table lines into columns; returns where the first incomplete line starts (FileReader.lines carries it
 * over). The header line has no `<n>:` where the slot number is expected and is skipped.
 */
export class TcpTableParser {
  readonly names = new AddressNames();

  parse(buf: Buffer, start: number, end: number, family: 4 | 6, out: SocketColumns): number {
    const addressLength = family === 4 ? 8 : 32;
    let lineStart = start;
    for (;;) {
      const lineEnd = buf.indexOf(10, lineStart);
      if (lineEnd < 0 || lineEnd >= end) return lineStart;
      this.parseLine(buf, lineStart, lineEnd, addressLength, family, out);
      lineStart = lineEnd + 1;
    }
  }

  private parseLine(buf: Buffer, start: number, end: number, addressLength: number, family: 4 | 6, out: SocketColumns): void {
    let i = start;
    while (i < end && buf[i] === 32) i++;
    while (i < end && buf[i] !== 58 && buf[i] !== 32) i++;
    if (buf[i] !== 58) return;
    i += 2;
    const local = i;
    if (buf[local + addressLength] !== 58) return;
    const localPort = hexNumber(buf, local + addressLength + 1, local + addressLength + 5);
    const remote = local + addressLength + 6;
    if (buf[remote + addressLength] !== 58) return;
    const remotePort = hexNumber(buf, remote + addressLength + 1, remote + addressLength + 5);
    i = remote + addressLength + 6;
    const state = hexNumber(buf, i, i + 2);
    i += 2;
    // Skip tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout; the inode is the tenth field.
    for (let field = 0; field < 5; field++) {
      while (i < end && buf[i] === 32) i++;
      while (i < end && buf[i] !== 32) i++;
    }
    while (i < end && buf[i] === 32) i++;
    const inode = parseDecimal(buf, i, end);
    const names = this.names;
    const localIp = family === 4 ? names.v4Id(buf, local) : names.v6Id(buf, local);
    const remoteIp = family === 4 ? names.v4Id(buf, remote) : names.v6Id(buf, remote);
    out.push(family, localIp, localPort, remoteIp, remotePort, state < TCP_STATES.length ? state : 0, Number.isNaN(inode) ? 0 : inode);
  }
}
