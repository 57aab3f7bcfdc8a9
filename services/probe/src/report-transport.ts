/**
 * Delivers reports to the app: `POST <app>/api/report`, brotli or gzip, bearer token. Reports wait in a bounded
 * buffer while the app is unreachable; when it is full the oldest is dropped and counted, so an app down for an hour
 * costs PROBE_BUFFER_REPORTS reports' memory and no more. Oldest first, one at a time.
 *
 *   2xx                      delivered
 *   415 to a brotli report   the app takes only gzip (an app older than the probe): the buffered reports are
 *                            recompressed as gzip, `onGzipOnly` tells the collector, and delivery goes on at once
 *   400, 413, 422, other 4xx refused: the report itself is bad; dropped with an error line naming what the app said
 *   401, 403                 refused: the token is wrong; kept (the app's secret may be rotated to match) and retried
 *   503 / 429 + Retry-After  the app is saturated: wait as long as it asks (capped), then retry
 *   5xx, timeout, no answer  exponential backoff with jitter, then retry
 */
import { Agent as HttpAgent, request as httpRequest, IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Logger } from '../../lib/logger';
import { decompressReport, ReportEncoding } from './report-compression';

export interface TransportOptions {
  /** The app's base URL. */
  appUrl: string;
  token: string;
  bufferReports: number;
  logger: Logger;
  /** A request that takes longer is abandoned and retried. */
  requestTimeoutMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** Longest Retry-After honoured. */
  maxRetryAfterMs?: number;
  /** For tests: a deterministic jitter. */
  random?: () => number;
  /** Called after each delivery attempt. */
  onOutcome?: (outcome: Outcome) => void;
  /** Called once, when the app refuses brotli: reports from then on should be gzip. */
  onGzipOnly?: () => void;
}

export type Outcome =
  | { kind: 'delivered'; status: number; bytes: number }
  | { kind: 'refused'; status: number; message: string; dropped: boolean }
  | { kind: 'retry'; reason: string; delayMs: number; status?: number };

/** The reason of the retry that follows a 415 to brotli: at once, as gzip. */
const GZIP_ONLY = 'the app takes gzip only';

interface Queued {
  body: Buffer;
  encoding: ReportEncoding;
  timestamp: number;
}

export class ReportTransport {
  private readonly queue: Queued[] = [];
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly requestTimeoutMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private attempts = 0;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private stopped = false;
  /** Reports dropped because the buffer was full, since start. */
  droppedReports = 0;
  refusedReports = 0;
  deliveredReports = 0;
  /** When the app last took a report (ms), 0 before the first. */
  lastDelivered = 0;
  /** The app answered 415 to brotli. */
  private gzipOnly = false;

  constructor(private readonly options: TransportOptions) {
    this.url = new URL('/api/report', options.appUrl.endsWith('/') ? options.appUrl : `${options.appUrl}/`);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`unsupported app URL protocol ${this.url.protocol}`);
    // https is loaded only when the app is reached over TLS: the module costs memory a plain-HTTP probe need not pay.
    this.agent = this.url.protocol === 'https:' ? new (require('node:https').Agent)({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.backoff = options.backoff ?? { baseMs: 1000, maxMs: 60_000 };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.random = options.random ?? Math.random;
  }

  get buffered(): number {
    return this.queue.length;
  }

  get bufferedBytes(): number {
    return this.queue.reduce((n, q) => n + q.body.length, 0);
  }

  /** Queues a report and sends when not waiting out a backoff. */
  enqueue(body: Buffer, timestamp: number, encoding: ReportEncoding = 'gzip'): void {
    if (encoding === 'br' && this.gzipOnly) {
      body = toGzip(body, encoding);
      encoding = 'gzip';
    }
    this.queue.push({ body, encoding, timestamp });
    while (this.queue.length > this.options.bufferReports) {
      this.queue.shift();
      this.droppedReports++;
    }
    if (this.droppedReports > 0 && this.queue.length === this.options.bufferReports) {
      this.options.logger.debug({ droppedReports: this.droppedReports }, 'report buffer full; dropped the oldest report');
    }
    if (!this.timer) this.pump();
  }

  /**
   * On shutdown: one attempt per buffered report, newest last, until one fails or the deadline passes. Returns
   * how many were left undelivered.
   */
  async drain(deadlineMs: number): Promise<number> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const end = Date.now() + deadlineMs;
    if (this.sending) await Promise.race([this.sending, sleep(deadlineMs)]);
    while (this.queue.length > 0 && Date.now() < end) {
      const outcome = await this.sendHead(Math.max(1, Math.min(this.requestTimeoutMs, end - Date.now())));
      if (outcome.kind === 'retry' && outcome.reason !== GZIP_ONLY) break;
    }
    this.agent.destroy();
    return this.queue.length;
  }

  private pump(): void {
    if (this.sending || this.stopped || this.queue.length === 0) return;
    this.sending = (async () => {
      while (this.queue.length > 0 && !this.stopped) {
        const outcome = await this.sendHead(this.requestTimeoutMs);
        if (outcome.kind === 'retry') {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, outcome.delayMs);
          this.timer.unref();
          return;
        }
      }
    })().finally(() => {
      this.sending = undefined;
    });
  }

  private async sendHead(timeoutMs: number): Promise<Outcome> {
    const head = this.queue[0];
    const outcome = await this.post(head, timeoutMs).then(
      (res) => this.judge(res, head),
      (err: Error) => this.retry(`${err.message}`, undefined, undefined),
    );
    this.options.onOutcome?.(outcome);
    return outcome;
  }

  private judge(res: { status: number; body: string; retryAfter?: string }, head: Queued): Outcome {
    const log = this.options.logger;
    if (res.status >= 200 && res.status < 300) {
      this.queue.shift();
      this.attempts = 0;
      this.deliveredReports++;
      this.lastDelivered = Date.now();
      return { kind: 'delivered', status: res.status, bytes: head.body.length };
    }
    const message = appMessage(res.body);
    if (res.status === 415 && head.encoding === 'br') return this.fallBackToGzip(message);
    if (res.status === 401 || res.status === 403) {
      log.error({ status: res.status, appMessage: message, url: this.url.href }, `the app refused the report's token (${res.status}): PROBE_TOKEN must match the app's APP_PROBE_TOKEN; keeping reports and retrying`);
      this.refusedReports++;
      return this.retry(`refused with ${res.status}`, undefined, res.status);
    }
    if (res.status === 503 || res.status === 429 || res.status === 408) {
      return this.retry(`app answered ${res.status}`, parseRetryAfter(res.retryAfter, Date.now()), res.status);
    }
    if (res.status >= 400 && res.status < 500) {
      this.queue.shift();
      this.refusedReports++;
      log.error({ status: res.status, appMessage: message, reportTimestamp: head.timestamp, bytes: head.body.length }, `the app refused a report (${res.status}): ${message}; dropped it`);
      return { kind: 'refused', status: res.status, message, dropped: true };
    }
    return this.retry(`app answered ${res.status}`, undefined, res.status);
  }

  private fallBackToGzip(message: string): Outcome {
    this.gzipOnly = true;
    for (const queued of this.queue) {
      if (queued.encoding !== 'br') continue;
      queued.body = toGzip(queued.body, queued.encoding);
      queued.encoding = 'gzip';
    }
    this.options.logger.warn({ status: 415, appMessage: message, url: this.url.href }, 'the app does not take brotli reports (415); sending gzip from now on, at about twice the compression CPU: update the app');
    this.options.onGzipOnly?.();
    return { kind: 'retry', reason: GZIP_ONLY, delayMs: 0, status: 415 };
  }

  private retry(reason: string, retryAfterMs: number | undefined, status: number | undefined): Outcome {
    this.attempts++;
    let delayMs: number;
    if (retryAfterMs !== undefined) delayMs = Math.min(retryAfterMs, this.maxRetryAfterMs);
    else {
      // "Equal jitter": half the exponential step fixed, half random, so probes that lost the app together do not
      // come back together, and none retries at once.
      const step = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(this.attempts - 1, 30));
      delayMs = Math.round(step / 2 + this.random() * (step / 2));
    }
    if (this.attempts === 1 || this.attempts % 10 === 0) {
      this.options.logger.warn({ reason, status, attempts: this.attempts, delayMs, buffered: this.queue.length, url: this.url.href }, 'could not deliver a report; retrying');
    }
    return { kind: 'retry', reason, delayMs, status };
  }

  private post({ body, encoding }: Queued, timeoutMs: number): Promise<{ status: number; body: string; retryAfter?: string }> {
    const url = this.url;
    const options: RequestOptions = {
      method: 'POST',
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      agent: this.agent,
      headers: {
        'content-type': 'application/json',
        'content-encoding': encoding,
        'content-length': body.length,
        authorization: `Bearer ${this.options.token}`,
      },
    };
    const request = url.protocol === 'https:' ? require('node:https').request : httpRequest;
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        req.destroy();
        reject(new Error(`no answer from ${url.host} within ${timeoutMs} ms`));
      }, timeoutMs);
      const req = request(options, (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          // The app's answer is a short JSON; keep at most 4 KB of whatever comes.
          if (size < 4096) parts.push(b);
          size += b.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          if (done) return;
          done = true;
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8').slice(0, 4096), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          if (done) return;
          done = true;
          reject(err);
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (done) return;
        done = true;
        reject(new Error(err.code ? `${err.code} ${url.host}` : err.message));
      });
      req.end(body);
    });
  }
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** The app's `{ error, message }` as one line, or the raw text. */
function appMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 500) || '(no message)';
}

/** A brotli body as gzip, for an app that takes only gzip. */
function toGzip(body: Buffer, encoding: ReportEncoding): Buffer {
  return gzipSync(decompressReport(body, encoding), { level: 1 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
