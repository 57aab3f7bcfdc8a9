/**
 * `POST /api/report`: the probe's report into the window. In order: the bearer token (401), a slot (503 with
 * Retry-After), the body within APP_MAX_REPORT_BYTES compressed and decompressed (413), gzip or identity (415),
 * JSON (400), the schema major version (400 with the version message), the schema (400 naming the field). Each
 * refusal is counted by reason and, when the probe said who it is, against that probe.
 */
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP } from '../../lib/contract';
import { reportJsonSchema } from '../../lib/report/report-json-schema';
import { ProbeReport, ReportError, ReportVersionError } from '../../lib/report/report-schema';
import { HttpError } from '../../lib/service-http';
import { errorSchema, reportAcceptedSchema } from './api-schemas';
import type { BearerToken } from './bearer-auth';
import type { MetricHistory } from './metric-history';
import type { AppMetrics, RefusalReason } from './metrics';
import type { ReportAdmission } from './report-admission';
import { compactReport } from './report-compaction';
import type { ReportValidator } from './report-validation';
import type { ReportWindow } from './report-window';

export interface ReportIngestOptions {
  window: ReportWindow;
  history: MetricHistory;
  validator: ReportValidator;
  admission: ReportAdmission;
  metrics: AppMetrics;
  token: BearerToken;
  maxReportBytes: number;
}

/** What one report request carries through its hooks. */
interface IngestState {
  probeId?: string;
  refusal?: RefusalReason;
  cpu?: NodeJS.CpuUsage;
  started?: number;
  report?: ProbeReport;
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
  return { ...schema, description: 'One probe report (services/lib/report/report.schema.json), as JSON, gzip-compressed or not' };
}

const REASON_BY_STATUS: Record<number, RefusalReason> = { 401: 'unauthorized', 413: 'too_large', 415: 'unsupported_encoding', 503: 'overloaded' };

export async function registerReportIngest(app: FastifyInstance, options: ReportIngestOptions): Promise<void> {
  const { window, history, validator, admission, metrics, token, maxReportBytes } = options;
  await app.register(async (scope) => {
    // This scope's JSON parser decompresses and bounds the body; the rest of the app keeps Fastify's.
    scope.removeContentTypeParser(['application/json']);
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: maxReportBytes }, (request, body, done) => {
      const s = state(request);
      s.cpu = process.cpuUsage();
      s.started = performance.now();
      const raw = body as Buffer;
      const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      metrics.reportBytes.inc({ encoding }, raw.length);
      let text: Buffer;
      if (encoding === 'gzip' || encoding === 'x-gzip') {
        try {
          text = gunzipSync(raw, { maxOutputLength: maxReportBytes });
        } catch (err) {
          const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
          done(tooLarge ? refuse(request, 'too_large', 413, `the report is larger than ${maxReportBytes} bytes once decompressed`) : refuse(request, 'bad_json', 400, `body is not valid gzip: ${(err as Error).message}`));
          return;
        }
      } else if (encoding === 'identity') {
        text = raw;
      } else {
        done(refuse(request, 'unsupported_encoding', 415, `Content-Encoding must be gzip or identity (got ${JSON.stringify(encoding)})`));
        return;
      }
      metrics.reportDecodedBytes.inc(text.length);
      try {
        done(null, JSON.parse(text.toString('utf8')));
      } catch (err) {
        done(refuse(request, 'bad_json', 400, `body is not valid JSON: ${(err as Error).message}`));
      }
    });

    scope.post(
      '/api/report',
      {
        bodyLimit: maxReportBytes,
        schema: {
          tags: ['ingest'],
          summary: 'A probe report into the sliding window (bearer token; gzip or identity; 503 with Retry-After when saturated)',
          headers: { type: 'object', properties: { authorization: { type: 'string', description: 'Bearer <APP_PROBE_TOKEN>' }, [APP.probeIdHeader]: { type: 'string', description: 'The probe\'s id, so refusals are counted against it' } } },
          body: documentedBody(),
          response: { 202: reportAcceptedSchema, 400: errorSchema, 401: errorSchema, 413: errorSchema, 415: errorSchema, 503: errorSchema },
        },
        // The body was validated in preValidation, with the version first and zod's messages (report-validation.ts).
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
        preValidation: async (request: FastifyRequest) => {
          const s = state(request);
          try {
            s.report = validator.check(request.body);
          } catch (err) {
            if (!(err instanceof ReportError)) throw err;
            throw refuse(request, err instanceof ReportVersionError ? 'unsupported_version' : 'bad_report', 400, err.message);
          } finally {
            const id = (request.body as { probe?: { id?: unknown } } | undefined)?.probe?.id;
            if (typeof id === 'string') s.probeId = id;
          }
        },
      },
      async (request, reply) => {
        const s = state(request);
        const report = s.report as ProbeReport;
        const intervalMs = report.intervalSeconds * 1000;
        let nodes = 0;
        const compacted = compactReport(report, window.previous(report.probe.id), (_topology, id, series) => {
          nodes++;
          history.record(id, series, intervalMs);
        });
        window.add(compacted);
        metrics.reportsAccepted.inc();
        if (s.cpu) {
          const cpu = process.cpuUsage(s.cpu);
          metrics.ingestCpuSeconds.inc((cpu.user + cpu.system) / 1e6);
        }
        if (s.started !== undefined) metrics.ingestSeconds.observe((performance.now() - s.started) / 1000);
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
