/**
 * `POST /api/report`: the probe's report into the window. In order: the bearer token (401), a slot (503 with
 * Retry-After), the body within APP_MAX_REPORT_BYTES as sent (413), gzip or identity (415); then, in a decode
 * worker (report-decoders.ts), the size decompressed (413), JSON (400), the schema major version (400 with the
 * version message) and the schema (400 naming the field). The event loop only applies the decoded report. Each
 * refusal is counted by reason and, when the probe said who it is, against that probe. The slot is held until the
 * answer is sent, so it covers the report's time in the worker.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP } from '../../lib/contract';
import { reportJsonSchema } from '../../lib/report/report-json-schema';
import { HttpError } from '../../lib/service-http';
import { errorSchema, reportAcceptedSchema } from './api-schemas';
import type { BearerToken } from './bearer-auth';
import type { MetricHistory } from './metric-history';
import type { AppMetrics, RefusalReason } from './metrics';
import type { ReportAdmission } from './report-admission';
import type { FlatReport } from './flat-report';
import { compactFlat, StringTable } from './report-compaction';
import { DecoderStopped, ReportDecoders } from './report-decoders';
import type { ContentEncoding } from './report-decoding';
import type { ReportWindow } from './report-window';

export interface ReportIngestOptions {
  window: ReportWindow;
  history: MetricHistory;
  decoders: ReportDecoders;
  admission: ReportAdmission;
  metrics: AppMetrics;
  token: BearerToken;
  maxReportBytes: number;
}

/** What one report request carries through its hooks. */
interface IngestState {
  probeId?: string;
  refusal?: RefusalReason;
  started?: number;
  encoding?: ContentEncoding;
  flat?: FlatReport;
  /** Thread time spent on it so far (ms): the worker's decoding. */
  busyMs?: number;
}

const STATE = Symbol('ingest');
type IngestRequest = FastifyRequest & { [STATE]?: IngestState };

function state(request: FastifyRequest): IngestState {
  const r = request as IngestRequest;
  return (r[STATE] ??= {});
}

function refuse(request: FastifyRequest, reason: RefusalReason, status: number, message: string): HttpError {
  state(request).refusal = reason;
  return new HttpError(status, message);
}

/** The report schema as documentation of the body (the route validates with report-validation.ts). */
function documentedBody(): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...schema } = reportJsonSchema();
  return { ...schema, description: 'One probe report (services/lib/report/report.schema.json), as JSON, brotli- or gzip-compressed or not' };
}

const REASON_BY_STATUS: Record<number, RefusalReason> = { 401: 'unauthorized', 413: 'too_large', 415: 'unsupported_encoding', 503: 'overloaded' };

export async function registerReportIngest(app: FastifyInstance, options: ReportIngestOptions): Promise<void> {
  const { window, history, decoders, admission, metrics, token, maxReportBytes } = options;
  const strings = new StringTable();
  await app.register(async (scope) => {
    // This scope's JSON parser only bounds the body and checks its encoding; the decode worker does the rest.
    scope.removeContentTypeParser(['application/json']);
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: maxReportBytes }, (request, body, done) => {
      const s = state(request);
      s.started = performance.now();
      const raw = body as Buffer;
      const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      metrics.reportBytes.inc({ encoding }, raw.length);
      if (encoding === 'br') s.encoding = 'br';
      else if (encoding === 'gzip' || encoding === 'x-gzip') s.encoding = 'gzip';
      else if (encoding === 'identity') s.encoding = 'identity';
      else {
        done(refuse(request, 'unsupported_encoding', 415, `Content-Encoding must be br, gzip or identity (got ${JSON.stringify(encoding)})`));
        return;
      }
      done(null, raw);
    });

    scope.post(
      '/api/report',
      {
        bodyLimit: maxReportBytes,
        schema: {
          tags: ['ingest'],
          summary: 'A probe report into the sliding window (bearer token; br, gzip or identity; 503 with Retry-After when saturated)',
          headers: { type: 'object', properties: { authorization: { type: 'string', description: 'Bearer <APP_PROBE_TOKEN>' }, [APP.probeIdHeader]: { type: 'string', description: 'The probe\'s id, so refusals are counted against it' } } },
          body: documentedBody(),
          response: { 202: reportAcceptedSchema, 400: errorSchema, 401: errorSchema, 413: errorSchema, 415: errorSchema, 503: errorSchema },
        },
        // The body is validated in the decode worker, with the version first and zod's messages (report-validation.ts).
        validatorCompiler: () => () => true,
        onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
          const s = state(request);
          const header = request.headers[APP.probeIdHeader];
          if (typeof header === 'string') s.probeId = header;
          if (!token.accepts(request.headers.authorization)) {
            reply.header('www-authenticate', 'Bearer realm="probe reports"');
            throw refuse(request, 'unauthorized', 401, 'a probe report needs the header Authorization: Bearer <the probe token>');
          }
          const admitted = admission.admit();
          if (!admitted.admitted) {
            reply.header('retry-after', String(admitted.retryAfterSeconds));
            throw refuse(request, 'overloaded', 503, `${admitted.reason}; retry after ${admitted.retryAfterSeconds} s`);
          }
          reply.raw.once('close', admitted.release);
        },
        preValidation: async (request: FastifyRequest, reply: FastifyReply) => {
          const s = state(request);
          let decoded;
          try {
            decoded = await decoders.decode(request.body as Buffer, s.encoding as ContentEncoding);
          } catch (err) {
            if (!(err instanceof DecoderStopped)) throw err;
            reply.header('retry-after', '1');
            throw refuse(request, 'overloaded', 503, `${err.message}; retry after 1 s`);
          }
          const { outcome } = decoded;
          s.busyMs = decoded.busyMs;
          if (outcome.decodedBytes !== undefined) metrics.reportDecodedBytes.inc(outcome.decodedBytes);
          if (!outcome.ok) {
            if (outcome.probeId !== undefined) s.probeId = outcome.probeId;
            throw refuse(request, outcome.reason, outcome.status, outcome.message);
          }
          s.flat = outcome.flat;
          s.probeId = outcome.flat.header.probe.id;
        },
      },
      async (request, reply) => {
        const s = state(request);
        const applying = performance.now();
        const flat = s.flat as FlatReport;
        const intervalMs = flat.header.intervalSeconds * 1000;
        let nodes = 0;
        const compacted = compactFlat(
          flat,
          window.previous(flat.header.probe.id),
          (_topology, id, series) => {
            nodes++;
            history.record(id, series, intervalMs);
          },
          strings,
        );
        window.add(compacted);
        metrics.reportsAccepted.inc();
        const now = performance.now();
        metrics.ingestCpuSeconds.inc(((s.busyMs ?? 0) + now - applying) / 1000);
        if (s.started !== undefined) metrics.ingestSeconds.observe((now - s.started) / 1000);
        return reply.code(202).send({ accepted: true, nodes });
      },
    );

    scope.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode < 400) return;
      const s = state(request);
      const reason = s.refusal ?? REASON_BY_STATUS[reply.statusCode] ?? 'bad_report';
      metrics.reportsRefused.inc({ reason });
      window.refused(s.probeId);
    });
  });
}
