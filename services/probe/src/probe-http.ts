/**
 * The probe's HTTP surface on Node's own http server: /healthz, /readyz, /metrics, and GET /api/report (the latest
 * report, for a person or a test to look at). The services' shared Fastify frame (services/lib/service-http.ts)
 * costs ~12 MB of RSS bundled, a fifth of the probe's budget, for four fixed routes without bodies.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { MetricsRegistry } from './prometheus-text';
import { decompressReport, ReportEncoding } from './report-compression';

export interface ProbeHttpOptions {
  registry: MetricsRegistry;
  ready: () => { ready: boolean; reason?: string };
  /** The latest report as it was sent, if any. */
  latestReport: () => { body: Buffer; encoding: ReportEncoding } | undefined;
}

export function createProbeHttp(options: ProbeHttpOptions): Server {
  return createServer((req, res) => {
    void route(req, res, options).catch((err: Error) => json(res, 500, { error: 'Internal Server Error', message: err.message }));
  });
}

async function route(req: IncomingMessage, res: ServerResponse, options: ProbeHttpOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'Method Not Allowed', message: `${req.method} is not served; the probe's routes are GET only` });
  switch (path) {
    case '/healthz':
      return json(res, 200, { status: 'ok' });
    case '/readyz': {
      const state = options.ready();
      return json(res, state.ready ? 200 : 503, { status: state.ready ? 'ready' : 'not ready', reason: state.reason });
    }
    case '/metrics': {
      const text = options.registry.render();
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(text);
      return;
    }
    case '/api/report': {
      const latest = options.latestReport();
      if (!latest) return json(res, 404, { error: 'Not Found', message: 'no report collected yet' });
      const { body, encoding } = latest;
      if (acceptsEncoding(req.headers['accept-encoding'], encoding)) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': body.length });
        res.end(body);
      } else {
        const raw = decompressReport(body, encoding);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': raw.length });
        res.end(raw);
      }
      return;
    }
    default:
      return json(res, 404, { error: 'Not Found', message: `no route ${path}` });
  }
}

/** Whether an Accept-Encoding header lists `encoding` without `;q=0`. */
function acceptsEncoding(header: string | string[] | undefined, encoding: string): boolean {
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name.trim() === encoding && !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) return true;
  }
  return false;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
