/**
 * The report decode workers: worker threads that turn report bodies into their flat form (report-decoding.ts), so
 * that the event loop, which answers reads and makes generations, spends on a report only what applying it costs
 * (report-compaction.ts `compactFlat`). Decoding a 320 KB report is ~4 ms (gunzip, JSON.parse, Ajv, flattening) that
 * no longer waits behind, or holds up, anything on the loop.
 *
 * A worker that dies (out of memory, killed) fails the reports it held with `DecoderStopped` (the route answers 503
 * with Retry-After; the probe sends again) and is started again at once, or after a second if it died within a
 * second of starting, so a worker that cannot start does not spin; each restart is counted. Until every worker is
 * running, readiness says so.
 *
 * Each worker's heap is bounded (`workerHeapLimits`): without a bound a worker takes V8's defaults for this machine
 * (gigabytes), and one huge report would grow the process by that much instead of costing that report a 503.
 */
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger';
import type { ContentEncoding, DecodeOutcome } from './report-decoding';

export interface DecodeWorkerData {
  maxReportBytes: number;
}

export interface DecodeRequest {
  id: number;
  body: ArrayBuffer;
  encoding: ContentEncoding;
}

export type DecodeReply = { id: number; outcome: DecodeOutcome; busyMs: number } | { id: number; error: string };

export interface ReportDecodersOptions {
  workers: number;
  maxReportBytes: number;
  logger: Logger;
  /** Called on each restart of a worker that died. */
  onRestart?: () => void;
}

/** The worker holding a report stopped before answering; the report may be sent again. */
export class DecoderStopped extends Error {}

interface Pending {
  resolve: (reply: { outcome: DecodeOutcome; busyMs: number }) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker?: Worker;
  online: boolean;
  startedAt: number;
  pending: Map<number, Pending>;
}

/**
 * The worker's script beside this one: the bundled .js in the image, the .ts from source (tests, `tsx main.ts`),
 * which a plain worker cannot load, so it is loaded through tsx's require hook.
 */
function workerSource(): { source: string; eval: boolean } {
  const file = join(__dirname, `report-decode-worker${extname(__filename)}`);
  if (extname(file) !== '.ts') return { source: file, eval: false };
  // Resolved at run time through createRequire, so that bundling (where this branch never runs) leaves tsx out.
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  return { source: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, eval: true };
}

/**
 * A decode worker's heap: decoding measured ~6 MB of heap per MiB of report (a 7.4 MiB report fits in 48 MB and
 * not in 32), so the old space is twice that for the largest report allowed, and at least 64 MB; the young
 * space holds a couple of ordinary reports' garbage (~1.5 MB each for 320 KB). What one more report costs beyond
 * the old space is the worker's restart and that report's 503, not the app's memory; the young space only sets how
 * often it is scavenged. 6 MB gives a 4 MB new space (4 MB gives the same): the worker's heap peaked at 30 MB where 16
 * (a 16 MB new space) gave 45, for the same CPU a report (~7 ms in both, 600 bench reports decoded).
 */
export function workerHeapLimits(maxReportBytes: number): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  return { maxOldGenerationSizeMb: Math.max(64, Math.ceil((12 * maxReportBytes) / 1048576)), maxYoungGenerationSizeMb: 6 };
}

export class ReportDecoders {
  private readonly slots: Slot[];
  private readonly script = workerSource();
  private nextId = 0;
  private closing = false;

  constructor(private readonly options: ReportDecodersOptions) {
    this.slots = Array.from({ length: options.workers }, () => ({ online: false, startedAt: 0, pending: new Map() }));
    for (const slot of this.slots) this.start(slot);
  }

  /** Every worker's thread, as it is now (the app's readiness and tests look at them). */
  get threads(): Worker[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
  }

  get pending(): number {
    return this.slots.reduce((n, s) => n + s.pending.size, 0);
  }

  readiness(): { ready: boolean; reason?: string } {
    const down = this.slots.filter((s) => !s.online).length;
    return down === 0 ? { ready: true } : { ready: false, reason: `${down} of ${this.slots.length} report decode workers are not running` };
  }

  /**
   * Decodes `body` in the least busy worker. The body's memory is transferred when it is a buffer of its own (the
   * caller must not read it afterwards), copied when it shares one (Node's pool for small buffers).
   */
  decode(body: Buffer, encoding: ContentEncoding): Promise<{ outcome: DecodeOutcome; busyMs: number }> {
    const slot = this.slots.reduce((best, s) => (s.worker && (!best.worker || s.pending.size < best.pending.size) ? s : best));
    const worker = slot.worker;
    if (!worker || this.closing) return Promise.reject(new DecoderStopped(this.closing ? 'the app is stopping' : 'the report decoder is restarting'));
    const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const buffer = (whole ? body.buffer : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) as ArrayBuffer;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      worker.postMessage({ id, body: buffer, encoding } satisfies DecodeRequest, [buffer]);
    });
  }

  /** Stops the workers; reports still in them fail with `DecoderStopped`. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  private start(slot: Slot): void {
    const worker = new Worker(this.script.source, {
      eval: this.script.eval,
      workerData: { maxReportBytes: this.options.maxReportBytes } satisfies DecodeWorkerData,
      resourceLimits: workerHeapLimits(this.options.maxReportBytes),
    });
    slot.worker = worker;
    slot.startedAt = Date.now();
    // The HTTP server and timers keep the process alive; a worker alone should not.
    worker.unref();
    worker.once('online', () => (slot.online = true));
    worker.on('message', (reply: DecodeReply) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if ('error' in reply) pending.reject(new Error(`decoding the report failed: ${reply.error}`));
      else pending.resolve(reply);
    });
    worker.on('error', (err) => this.options.logger.error({ err }, 'a report decode worker failed'));
    worker.once('exit', (code) => this.exited(slot, worker, code));
  }

  private exited(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.online = false;
    const lost = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of lost) p.reject(new DecoderStopped(this.closing ? 'the app is stopping' : 'the report decoder stopped'));
    if (this.closing) return;
    this.options.logger.error({ code, lostReports: lost.length }, 'a report decode worker exited; starting another');
    this.options.onRestart?.();
    const delay = Date.now() - slot.startedAt < 1000 ? 1000 : 0;
    const timer = setTimeout(() => {
      if (!this.closing) this.start(slot);
    }, delay);
    timer.unref();
  }
}
