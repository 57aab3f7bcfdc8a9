/**
 * A view's JSON as the API sends it: exactly `JSON.stringify(view)`, as UTF-8 bytes, made in steps. A view of
 * 10,000 unclustered containers is ~25 MB of JSON; stringified at once that is one long stop of the event loop
 * (~0.1-0.3 s here), and re-encoding a cached string to UTF-8 on every send costs again each read. The ticker runs
 * these steps between others (topology-service.ts), so reads find the bytes ready and nothing waits long for them.
 *
 * Each piece is written straight into one buffer, sized from what the caller expects (the view's bytes of the last
 * generation): a list of parts joined at the end held every byte twice and copied 25 MB once more per generation.
 */

/** Array elements per step: a few milliseconds of stringifying for the largest nodes. */
const CHUNK = 2000;

export interface ViewJsonOptions {
  /** Array elements stringified per step. */
  chunk?: number;
  /** The size the JSON is likely to have (the same view's last time): the buffer starts at it, with some room. */
  expectedBytes?: number;
}

export function* viewJsonSteps(view: object, options: ViewJsonOptions = {}): Generator<void, Buffer> {
  const chunk = options.chunk ?? CHUNK;
  const out = new ByteSink(Math.ceil((options.expectedBytes ?? 0) * 1.05));
  let separator = '{';
  for (const [key, value] of Object.entries(view)) {
    // JSON.stringify leaves these keys out of an object.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    out.write(`${separator}${JSON.stringify(key)}:`);
    separator = ',';
    if (!Array.isArray(value) || value.length <= chunk) {
      out.write(JSON.stringify(value));
      continue;
    }
    out.write('[');
    for (let i = 0; i < value.length; i += chunk) {
      if (i > 0) out.write(',');
      // The piece without its brackets: a sliced string, written without being copied first.
      const piece = JSON.stringify(value.slice(i, i + chunk));
      out.write(piece.slice(1, -1));
      yield;
    }
    out.write(']');
  }
  out.write(separator === '{' ? '{}' : '}');
  return out.bytes();
}

/** All the steps at once, for a read that finds no bytes made. */
export function viewJson(view: object, options: ViewJsonOptions = {}): Buffer {
  const steps = viewJsonSteps(view, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** UTF-8 written one piece after another into one buffer, which doubles when a piece does not fit. */
class ByteSink {
  private buffer: Buffer;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, 4096));
  }

  write(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8; only when that might not fit is the exact length worth counting.
    if (this.length + 3 * text.length > this.buffer.length) {
      const needed = this.length + Buffer.byteLength(text);
      if (needed > this.buffer.length) this.grow(needed);
    }
    this.length += this.buffer.write(text, this.length);
  }

  /** The bytes written; copied to a buffer of their size only when the one written into is much larger. */
  bytes(): Buffer {
    const written = this.buffer.subarray(0, this.length);
    return this.buffer.length - this.length > this.buffer.length / 8 ? Buffer.from(written) : written;
  }

  private grow(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.buffer.length));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
