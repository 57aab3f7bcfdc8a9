/**
 * Writes a report as compressed JSON while the reporters produce it, node by node, so a collection never holds the
 * report as objects or as one long string: each node's text goes into a 256 KB byte buffer the moment it is made,
 * and each full buffer goes to the compressor at once (report-compression.ts: one brotli stream, or gzip members).
 * The pieces of text die young (cheap to collect); what grows is only the compressed body, 6–8 % of the JSON.
 *
 * The output is exactly a ProbeReportInput (services/lib/report/report-schema.ts) in JSON.
 */
import type { ProbeReportInput } from '../../lib/report/report-schema';
import { ReportCompressor, ReportEncoding } from './report-compression';

type NodeInput = ProbeReportInput['topologies'][string][string];
type Header = Omit<ProbeReportInput, 'topologies' | 'stats'>;
type Stats = NonNullable<ProbeReportInput['stats']>;

const MEMBER_BYTES = 256 * 1024;

export interface WrittenReport {
  /** The report compressed: what is POSTed. */
  body: Buffer;
  /** What `body` is: the POST's Content-Encoding. */
  encoding: ReportEncoding;
  /** Bytes of JSON before compression. */
  rawBytes: number;
}

export class ReportWriter {
  private readonly buf: Buffer;
  private pos = 0;
  private rawBytes = 0;
  private topologyOpen = false;
  private firstTopology = true;
  private firstNode = true;
  private topology = '';
  /** Nodes written, by topology. */
  readonly nodeCounts: Record<string, number> = {};

  constructor(
    header: Header,
    private readonly compressor: ReportCompressor,
    buffer: Buffer = Buffer.allocUnsafe(MEMBER_BYTES),
  ) {
    this.buf = buffer;
    const head = JSON.stringify(header);
    this.append(`${head.slice(0, -1)},"topologies":{`);
  }

  beginTopology(name: string): void {
    if (this.topologyOpen) this.endTopology();
    this.append(`${this.firstTopology ? '' : ','}${JSON.stringify(name)}:{`);
    this.firstTopology = false;
    this.firstNode = true;
    this.topologyOpen = true;
    this.topology = name;
    this.nodeCounts[name] ??= 0;
  }

  node(id: string, node: NodeInput): void {
    this.raw(JSON.stringify(id), JSON.stringify(node));
  }

  /**
   * A node whose JSON the caller built itself: `idJson` a JSON string, `nodeJson` a node object's text. The endpoint
   * and process reporters build theirs from pieces cached per process and namespace, which costs a third of
   * making objects for JSON.stringify at 20,000 sockets (bench). Every report the tests make is parsed by
   * parseProbeReport, which is what keeps this text honest.
   */
  raw(idJson: string, nodeJson: string): void {
    this.append(`${this.firstNode ? '' : ','}${idJson}:${nodeJson}`);
    this.firstNode = false;
    this.nodeCounts[this.topology]++;
  }

  /**
   * Starts a node the caller writes piece by piece (`"<id>":{…}`) with bytes, text and int: the endpoint reporter's
   * 20,000 sockets then make no string at all, only copies of bytes encoded once per address, namespace and process.
   * Strings built per node were most of a collection's garbage, and with a 1 MB young generation garbage is CPU.
   * A node may span two chunks: the compressor takes a byte stream, cut anywhere.
   */
  beginNode(): void {
    if (!this.firstNode) this.byte(44 /* , */);
    this.firstNode = false;
    this.nodeCounts[this.topology]++;
  }

  /** Appends bytes already encoded (UTF-8 JSON text). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.compressor.write(b);
        this.rawBytes += n;
        return;
      }
    }
    // A loop beats TypedArray#set's call overhead for the short pieces most of a node is made of.
    if (n < 32) {
      const buf = this.buf;
      let p = this.pos;
      for (let k = 0; k < n; k++) buf[p++] = b[k];
      this.pos = p;
    } else {
      this.buf.set(b, this.pos);
      this.pos += n;
    }
  }

  /** Appends a string's UTF-8 (JSON text the caller made safe). */
  text(s: string): void {
    this.append(s);
  }

  /** Appends a non-negative integer's decimal digits (ports, counts, byte sizes: below 2^53). */
  int(value: number): void {
    if (this.pos + 16 > this.buf.length) this.flush();
    const buf = this.buf;
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let v = value;
    do {
      buf[--p] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  private byte(c: number): void {
    if (this.pos === this.buf.length) this.flush();
    this.buf[this.pos++] = c;
  }

  /** Closes the open topology; harmless when none is open (a reporter that failed before it began one). */
  endTopology(): void {
    if (!this.topologyOpen) return;
    this.append('}');
    this.topologyOpen = false;
  }

  /** Ends the report with its stats and returns the body. */
  finish(stats: Stats): WrittenReport {
    this.endTopology();
    this.append(`},"stats":${JSON.stringify(stats)}}`);
    this.flush();
    return { body: this.compressor.finish(), encoding: this.compressor.encoding, rawBytes: this.rawBytes };
  }

  private append(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.pos + text.length * 3 > this.buf.length) {
      this.flush();
      if (text.length * 3 > this.buf.length) {
        const bytes = Buffer.from(text, 'utf8');
        this.rawBytes += bytes.length;
        this.compressor.write(bytes);
        return;
      }
    }
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.rawBytes += this.pos;
    this.compressor.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}
