/**
 * Compressing a report while it is written (report-writer.ts hands over each 256 KB of JSON as it fills), so that
 * no collection holds the whole 6 MB of JSON at once.
 *
 * Brotli at quality 1 is the default. On the generated large host's 6 MB report it costs ~8 ms where gzip level 1
 * costs ~18 ms, and its output is ~20 % smaller (384 against 467 KB). The app decodes it no slower than gzip
 * (services/probe/README.md has the measurements). gzip is what an app that does not take `br` gets: the
 * transport falls back to it when the app answers 415 (report-transport.ts).
 *
 * gzip can be cut into members (RFC 1952 §2.2), one `gzipSync` per 256 KB. Brotli cannot: a brotli body is one
 * stream. Node's synchronous zlib API compresses one buffer and closes its stream, and its asynchronous streams
 * compress only once the collection yields, which it does only at the end. So `BrotliStream` drives the native
 * encoder of a `zlib.BrotliCompress` itself, as Node's own `zlib.brotliCompressSync` does (lib/zlib.js
 * processChunkSync), and leaves the stream open between chunks. It relies on Node-internal parts (`_handle`,
 * `_writeState`), so `reportCompressor` first checks a round trip through them and uses gzip if it fails.
 */
import { brotliDecompressSync, constants, createBrotliCompress, gunzipSync, gzipSync } from 'node:zlib';
import type { BrotliCompress } from 'node:zlib';

export type ReportEncoding = 'br' | 'gzip';

export interface ReportCompressor {
  readonly encoding: ReportEncoding;
  /** Compresses `chunk`, which the caller may reuse once this returns. */
  write(chunk: Uint8Array): void;
  /** The whole compressed body; the compressor is done. */
  finish(): Buffer;
}

/** Brotli quality 1 and a 1 MB window: the window bounds the encoder's memory, and a larger one saved nothing. */
const BROTLI_QUALITY = 1;
const BROTLI_WINDOW_BITS = 20;
const OUT_BYTES = 64 * 1024;

/**
 * A compressor for `encoding`. Brotli falls back to gzip when Node's encoder cannot be driven chunk by chunk (a
 * Node whose internals differ); the result's `encoding` is what the body really is.
 */
export function reportCompressor(encoding: ReportEncoding): ReportCompressor {
  if (encoding === 'br' && brotliStreamWorks()) return new BrotliStream();
  return new GzipMembers();
}

/** A body of `encoding` as JSON bytes again (GET /api/report for a client that takes neither, the 415 fallback). */
export function decompressReport(body: Buffer, encoding: ReportEncoding): Buffer {
  return encoding === 'br' ? brotliDecompressSync(body) : gunzipSync(body);
}

/** One gzip member per chunk, level 1. */
class GzipMembers implements ReportCompressor {
  readonly encoding = 'gzip';
  private readonly members: Buffer[] = [];

  write(chunk: Uint8Array): void {
    this.members.push(gzipSync(chunk, { level: 1 }));
  }

  finish(): Buffer {
    return this.members.length === 1 ? this.members[0] : Buffer.concat(this.members);
  }
}

/** The parts of a `zlib.BrotliCompress` that `BrotliStream` drives; see the header. */
interface EncoderHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, out: Buffer, outOffset: number, outLength: number): void;
}
type DrivableStream = BrotliCompress & { _handle?: EncoderHandle; _writeState?: Uint32Array };

/** One brotli stream, fed chunk by chunk. */
class BrotliStream implements ReportCompressor {
  readonly encoding = 'br';
  private readonly stream: DrivableStream;
  private readonly handle: EncoderHandle;
  /** After each writeSync: [output bytes left free, input bytes not consumed]. */
  private readonly state: Uint32Array;
  private readonly parts: Buffer[] = [];
  private out = Buffer.allocUnsafe(OUT_BYTES);
  private outOffset = 0;
  private error?: Error;

  constructor() {
    this.stream = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS } }) as DrivableStream;
    const { _handle: handle, _writeState: state } = this.stream;
    // Not `instanceof`: the state array comes from Node's own realm, which is not a test runner's.
    if (typeof handle?.writeSync !== 'function' || !ArrayBuffer.isView(state) || state.length < 2) {
      this.stream.close();
      throw new Error("this Node's brotli encoder cannot be driven chunk by chunk");
    }
    this.handle = handle;
    this.state = state;
    // The native side reports failures as an 'error' event, as it does for Node's own synchronous calls.
    this.stream.on('error', (err: Error) => {
      this.error = err;
    });
  }

  write(chunk: Uint8Array): void {
    this.feed(chunk, constants.BROTLI_OPERATION_PROCESS);
  }

  finish(): Buffer {
    this.feed(new Uint8Array(0), constants.BROTLI_OPERATION_FINISH);
    this.stream.close();
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
  }

  private feed(input: Uint8Array, operation: number): void {
    let inOffset = 0;
    let inLength = input.length;
    for (;;) {
      const free = OUT_BYTES - this.outOffset;
      this.handle.writeSync(operation, input, inOffset, inLength, this.out, this.outOffset, free);
      if (this.error) throw this.error;
      const [outLeft, inLeft] = this.state;
      const produced = free - outLeft;
      if (produced > 0) {
        this.parts.push(this.out.subarray(this.outOffset, this.outOffset + produced));
        this.outOffset += produced;
      }
      if (this.outOffset === OUT_BYTES) {
        this.out = Buffer.allocUnsafe(OUT_BYTES);
        this.outOffset = 0;
      }
      inOffset += inLength - inLeft;
      inLength = inLeft;
      // Done when the input is taken and the encoder stopped short of filling the output (nothing more pending).
      if (inLength === 0 && outLeft > 0) return;
    }
  }
}

let brotliChecked: boolean | undefined;

/** Whether `BrotliStream` round-trips on this Node: checked once, on text of two chunks. */
function brotliStreamWorks(): boolean {
  if (brotliChecked !== undefined) return brotliChecked;
  try {
    const sample = Buffer.from(JSON.stringify({ check: 'brotli stream', n: Array.from({ length: 512 }, (_, i) => i) }));
    const stream = new BrotliStream();
    stream.write(sample.subarray(0, 700));
    stream.write(sample.subarray(700));
    brotliChecked = brotliDecompressSync(stream.finish()).equals(sample);
  } catch {
    brotliChecked = false;
  }
  return brotliChecked;
}
