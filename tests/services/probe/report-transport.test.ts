/**
 * Delivery to a real local HTTP server that behaves as the app's POST /api/report does: takes a brotli or gzip report
 * with the right bearer token, refuses a bad token (401), an encoding it does not take (415) or a bad report (400
 * naming the field), answers 503 with Retry-After when saturated, hangs, or is down.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ProbeReport } from '../../../services/lib/report/report-schema';
import { ReportEncoding, reportCompressor } from '../../../services/probe/src/report-compression';
import { ReportWriter } from '../../../services/probe/src/report-writer';
import { Outcome, ReportTransport, TransportOptions } from '../../../services/probe/src/report-transport';
import { readReport } from './collect-report';

const TOKEN = 'probe-secret-1';

function reportBody(timestamp: number, encoding: ReportEncoding = 'gzip'): Buffer {
  const compressor = reportCompressor(encoding);
  // The brotli tests are about brotli: a Node where the probe would fall back to gzip fails them here.
  expect(compressor.encoding).toBe(encoding);
  const writer = new ReportWriter({ schemaVersion: '1.0', probe: { id: 'node-1', version: '0.1.0' }, host: 'node-1', timestamp, intervalSeconds: 15 }, compressor);
  writer.beginTopology('host');
  writer.node('host:node-1', { timestamp, labels: { name: 'node-1' } });
  writer.endTopology();
  return writer.finish({ droppedReports: 0, collectionErrors: {} }).body;
}

type Behaviour = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

class FakeApp {
  server!: Server;
  received: ProbeReport[] = [];
  /** The Content-Encoding of each request. */
  encodings: string[] = [];
  /** What this app decompresses; another encoding is answered 415. */
  takes = new Set(['br', 'gzip']);
  requests = 0;
  behaviour: Behaviour = (_req, _body, res) => res.writeHead(202).end('{"status":"accepted"}');
  private held: ServerResponse[] = [];

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (b: Buffer) => parts.push(b));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(parts);
        const encoding = String(req.headers['content-encoding']);
        this.encodings.push(encoding);
        if (req.headers.authorization !== `Bearer ${TOKEN}`) res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Unauthorized","message":"bearer token required"}');
        else if (!this.takes.has(encoding)) res.writeHead(415, { 'content-type': 'application/json' }).end(`{"error":"Unsupported Media Type","message":"Content-Encoding must be gzip or identity (got \\"${encoding}\\")"}`);
        else this.behaviour(req, body, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  accept: Behaviour = (req, body, res) => {
    this.received.push(readReport(body, req.headers['content-encoding']));
    res.writeHead(202).end('{"status":"accepted"}');
  };

  hang: Behaviour = (_req, _body, res) => {
    this.held.push(res);
  };

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function capturedLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function waitFor(predicate: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) return resolve();
      if (Date.now() > end) return reject(new Error('timed out waiting'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('report delivery', () => {
  let app: FakeApp;
  let transport: ReportTransport | undefined;
  const outcomes: Outcome[] = [];

  function transportTo(url: string, extra: Partial<TransportOptions> = {}): ReportTransport {
    transport = new ReportTransport({ appUrl: url, token: TOKEN, bufferReports: 5, logger: capturedLogger().logger, random: () => 0.5, backoff: { baseMs: 50, maxMs: 400 }, requestTimeoutMs: 2000, onOutcome: (o) => outcomes.push(o), ...extra });
    return transport;
  }

  beforeEach(() => {
    app = new FakeApp();
    outcomes.length = 0;
  });
  afterEach(async () => {
    await transport?.drain(0);
    transport = undefined;
    await app.stop().catch(() => undefined);
  });

  test('a report arrives gzipped with the bearer token and is a report the app accepts', async () => {
    const url = await app.start();
    app.behaviour = app.accept;
    const t = transportTo(url);
    t.enqueue(reportBody(1000), 1000);
    await waitFor(() => app.received.length === 1 && outcomes.length === 1);
    expect(app.received[0]).toMatchObject({ host: 'node-1', timestamp: 1000 });
    expect(outcomes).toEqual([{ kind: 'delivered', status: 202, bytes: expect.any(Number) }]);
    expect(t.buffered).toBe(0);
  });

  test('a brotli report arrives as brotli to an app that takes it', async () => {
    const url = await app.start();
    app.behaviour = app.accept;
    const t = transportTo(url);
    t.enqueue(reportBody(1000, 'br'), 1000, 'br');
    await waitFor(() => app.received.length === 1);
    expect(app.encodings).toEqual(['br']);
    expect(app.received[0]).toMatchObject({ host: 'node-1', timestamp: 1000 });
  });

  test('an app that takes only gzip gets every buffered report as gzip, once it refuses brotli', async () => {
    const url = await app.start();
    app.takes = new Set(['gzip']);
    app.behaviour = app.accept;
    const { logger, lines } = capturedLogger();
    let gzipOnly = 0;
    // Both reports are buffered when the first attempt is refused, so both are converted.
    const t = transportTo(url, { logger, onGzipOnly: () => gzipOnly++ });
    t.enqueue(reportBody(1, 'br'), 1, 'br');
    t.enqueue(reportBody(2, 'br'), 2, 'br');
    await waitFor(() => app.received.length === 2);
    // Later brotli reports are converted on the way in, and the collector is told once.
    t.enqueue(reportBody(3, 'br'), 3, 'br');
    await waitFor(() => app.received.length === 3);
    expect(app.received.map((r) => r.timestamp)).toEqual([1, 2, 3]);
    expect(app.encodings).toEqual(['br', 'gzip', 'gzip', 'gzip']);
    expect(gzipOnly).toBe(1);
    expect(t.refusedReports).toBe(0);
    const warning = lines.filter((l) => l.level === 40);
    expect(warning).toHaveLength(1);
    expect(warning[0].msg).toBe('the app does not take brotli reports (415); sending gzip from now on, at about twice the compression CPU: update the app');
    expect(warning[0].appMessage).toBe('Content-Encoding must be gzip or identity (got "br")');
  });

  test('a report the app refuses as bad is dropped with a log line that carries the app\'s message', async () => {
    const url = await app.start();
    app.behaviour = (_req, _body, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"Bad Request","message":"topologies.process[\\"process:h:1:2\\"].labels.cmdline must be at most 4096 characters"}');
    const { logger, lines } = capturedLogger();
    const t = transportTo(url, { logger });
    t.enqueue(reportBody(1), 1);
    await waitFor(() => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ kind: 'refused', status: 400, dropped: true });
    expect(t.buffered).toBe(0);
    const line = lines.find((l) => l.level === 50)!;
    expect(line.msg).toBe('the app refused a report (400): topologies.process["process:h:1:2"].labels.cmdline must be at most 4096 characters; dropped it');
    expect(line.status).toBe(400);
  });

  test('a wrong token is logged as such, and the reports are kept for when the app takes it', async () => {
    const url = await app.start();
    app.behaviour = app.accept;
    const { logger, lines } = capturedLogger();
    const t = transportTo(url, { logger, token: 'stale-token' });
    t.enqueue(reportBody(1), 1);
    await waitFor(() => outcomes.length >= 1);
    expect(outcomes[0]).toMatchObject({ kind: 'retry', status: 401 });
    expect(t.buffered).toBe(1);
    expect(lines.find((l) => l.level === 50)!.msg).toMatch(/^the app refused the report's token \(401\): PROBE_TOKEN must match the app's APP_PROBE_TOKEN/);
    expect(JSON.stringify(lines)).not.toContain('stale-token');
  });

  test('503 with Retry-After: the next attempt waits as long as the app asked', async () => {
    const url = await app.start();
    let saturated = true;
    const times: number[] = [];
    app.behaviour = (req, body, res) => {
      times.push(Date.now());
      if (saturated) {
        saturated = false;
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":"Service Unavailable","message":"ingest queue full"}');
      } else app.accept(req, body, res);
    };
    const t = transportTo(url);
    t.enqueue(reportBody(1), 1);
    await waitFor(() => app.received.length === 1);
    expect(outcomes[0]).toMatchObject({ kind: 'retry', status: 503, delayMs: 1000 });
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  test('an app that hangs is given up on after the request timeout and retried with backoff', async () => {
    const url = await app.start();
    app.behaviour = app.hang;
    const t = transportTo(url, { requestTimeoutMs: 200 });
    t.enqueue(reportBody(1), 1);
    await waitFor(() => outcomes.length >= 1);
    expect(outcomes[0]).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^no answer from 127\.0\.0\.1:\d+ within 200 ms$/) });
    expect(t.buffered).toBe(1);
  });

  test('an app that is down: backoff doubles with jitter up to its cap, and the buffer holds the newest reports', async () => {
    const url = await app.start();
    await app.stop();
    const t = transportTo(url);
    for (let i = 0; i < 12; i++) t.enqueue(reportBody(i), i);
    expect(t.buffered).toBe(5);
    expect(t.droppedReports).toBe(7);
    await waitFor(() => outcomes.length >= 5);
    // Equal jitter with random() = 0.5: three quarters of 50, 100, 200, 400, then the 400 cap.
    expect(outcomes.slice(0, 5).map((o) => (o.kind === 'retry' ? o.delayMs : -1))).toEqual([38, 75, 150, 300, 300]);
    expect(outcomes[0]).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^ECONNREFUSED /) });
    // The app comes back on the same port: the five kept reports arrive, oldest first.
    await app.start(Number(new URL(url).port));
    app.behaviour = app.accept;
    await waitFor(() => app.received.length === 5);
    expect(app.received.map((r) => r.timestamp)).toEqual([7, 8, 9, 10, 11]);
  });

  test('drain on shutdown delivers what is buffered, ignoring the backoff it was waiting out', async () => {
    const url = await app.start();
    let down = true;
    app.behaviour = (req, body, res) => (down ? res.writeHead(500).end() : app.accept(req, body, res));
    const t = transportTo(url, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    t.enqueue(reportBody(1), 1);
    await waitFor(() => outcomes.length === 1);
    t.enqueue(reportBody(2), 2);
    down = false;
    const left = await t.drain(5000);
    expect(left).toBe(0);
    expect(app.received.map((r) => r.timestamp)).toEqual([1, 2]);
    transport = undefined;
  });
});
