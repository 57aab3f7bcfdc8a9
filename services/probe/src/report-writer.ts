/**
 * Writes a report as JSON text while the reporters produce it, node by node, so no collection ever holds the whole
 * report as objects: each node is stringified the moment it is made and dies young. The text is kept as ~64 KB
 * chunks, then gzipped through a stream. On the large host this is the difference between ~10 MB of short-lived
 * objects plus a 5 MB string and a few MB of chunks.
 *
 * The output is exactly a ProbeReportInput (services/lib/report/report-schema.ts) in JSON.
 */
import { createGzip } from 'node:zlib';
import type { ProbeReportInput } from '../../lib/report/report-schema';

type NodeInput = ProbeReportInput['topologies'][string][string];
type Header = Omit<ProbeReportInput, 'topologies' | 'stats'>;
type Stats = NonNullable<ProbeReportInput['stats']>;

const CHUNK = 64 * 1024;

export class ReportWriter {
  private readonly chunks: string[] = [];
  private current: string;
  private topologyOpen = false;
  private firstTopology = true;
  private firstNode = true;
  /** Nodes written, by topology. */
  readonly nodeCounts: Record<string, number> = {};
  private topology = '';

  constructor(header: Header) {
    const head = JSON.stringify(header);
    this.current = `${head.slice(0, -1)},"topologies":{`;
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
    this.append(`${this.firstNode ? '' : ','}${JSON.stringify(id)}:${JSON.stringify(node)}`);
    this.firstNode = false;
    this.nodeCounts[this.topology]++;
  }

  /** Closes the open topology; harmless when none is open (a reporter that failed before it began one). */
  endTopology(): void {
    if (!this.topologyOpen) return;
    this.append('}');
    this.topologyOpen = false;
  }

  /** Ends the report with its stats; returns the text as chunks. */
  finish(stats: Stats): string[] {
    this.endTopology();
    this.append(`},"stats":${JSON.stringify(stats)}}`);
    this.chunks.push(this.current);
    this.current = '';
    return this.chunks;
  }

  private append(text: string): void {
    this.current += text;
    if (this.current.length >= CHUNK) {
      this.chunks.push(this.current);
      this.current = '';
    }
  }
}

/**
 * Gzips the chunks through one stream, a chunk at a time (the compressor runs on libuv's thread pool, so the event
 * loop stays free; its CPU still counts in process.cpuUsage()). Returns the body and its uncompressed byte count.
 */
export async function gzipChunks(chunks: string[], level: number): Promise<{ body: Buffer; rawBytes: number }> {
  const gzip = createGzip({ level });
  const out: Buffer[] = [];
  gzip.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    gzip.once('end', resolve);
    gzip.once('error', reject);
  });
  let rawBytes = 0;
  for (let i = 0; i < chunks.length; i++) {
    const bytes = Buffer.from(chunks[i], 'utf8');
    // Let go of the text as it is handed over.
    chunks[i] = '';
    rawBytes += bytes.length;
    if (!gzip.write(bytes)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await done;
  return { body: Buffer.concat(out), rawBytes };
}
