/**
 * `/proc/<pid>/net/tcp` and `tcp6`, parsed as bytes: the table is ~150 bytes a socket, and on a busy host it is
 * the probe's hottest input (Weave Scope's probe spent most of its time here). No line is turned into a string;
 * addresses are formatted once per distinct value and remembered.
 */
import { parseDecimal } from './proc-files';

export interface TcpSocket {
  family: 4 | 6;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** Lower-case kernel state name (report-keys.ts ENDPOINT_LABELS.state). */
  state: string;
  /** The socket's inode; 0 for a socket no process holds any more (TIME_WAIT, orphans). */
  inode: number;
}

export const TCP_STATES: readonly string[] = [
  'unknown', 'established', 'syn_sent', 'syn_recv', 'fin_wait1', 'fin_wait2', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'closing', 'new_syn_recv',
];
export const LISTEN = 'listen';

/** Formatted addresses by their hex text's value; bounded, since every new peer adds one. */
class AddressNames {
  private v4 = new Map<number, string>();
  private v6 = new Map<string, string>();
  private readonly bytes = Buffer.alloc(16);

  v4Name(buf: Buffer, start: number): string {
    const word = hexWord(buf, start);
    let name = this.v4.get(word);
    if (name === undefined) {
      if (this.v4.size > 65536) this.v4.clear();
      // The kernel prints the address as a native (little-endian) 32-bit word.
      name = `${word & 0xff}.${(word >>> 8) & 0xff}.${(word >>> 16) & 0xff}.${word >>> 24}`;
      this.v4.set(word, name);
    }
    return name;
  }

  v6Name(buf: Buffer, start: number): string {
    const key = buf.toString('latin1', start, start + 32);
    let name = this.v6.get(key);
    if (name === undefined) {
      if (this.v6.size > 65536) this.v6.clear();
      for (let w = 0; w < 4; w++) {
        const word = hexWord(buf, start + w * 8);
        this.bytes.writeUInt32LE(word, w * 4);
      }
      name = formatIpv6(this.bytes);
      this.v6.set(key, name);
    }
    return name;
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
 * Parses TCP table lines; returns where the first incomplete line starts (FileReader.lines carries it over).
 * The header line has no hex address where one is expected and is skipped as malformed.
 */
export class TcpTableParser {
  private readonly names = new AddressNames();

  parse(buf: Buffer, start: number, end: number, family: 4 | 6, out: TcpSocket[]): number {
    const addressLength = family === 4 ? 8 : 32;
    let lineStart = start;
    for (;;) {
      const lineEnd = buf.indexOf(10, lineStart);
      if (lineEnd < 0 || lineEnd >= end) return lineStart;
      this.parseLine(buf, lineStart, lineEnd, addressLength, family, out);
      lineStart = lineEnd + 1;
    }
  }

  private parseLine(buf: Buffer, start: number, end: number, addressLength: number, family: 4 | 6, out: TcpSocket[]): void {
    let i = start;
    while (i < end && buf[i] === 32) i++;
    // "sl:" — the header line has "sl" followed by a space, not a colon-terminated number.
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
    const state = TCP_STATES[hexNumber(buf, i, i + 2)] ?? 'unknown';
    i += 2;
    // Skip tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout; the inode is the tenth field.
    for (let field = 0; field < 5; field++) {
      while (i < end && buf[i] === 32) i++;
      while (i < end && buf[i] !== 32) i++;
    }
    while (i < end && buf[i] === 32) i++;
    const inode = parseDecimal(buf, i, end);
    const names = this.names;
    out.push({
      family,
      localIp: family === 4 ? names.v4Name(buf, local) : names.v6Name(buf, local),
      localPort,
      remoteIp: family === 4 ? names.v4Name(buf, remote) : names.v6Name(buf, remote),
      remotePort,
      state,
      inode: Number.isNaN(inode) ? 0 : inode,
    });
  }
}
