/**
 * The app assembled: window, history, topologies, streams, ingest and read API on the shared HTTP frame, and the
 * ticker that makes generations. main.ts starts it from the environment; tests start it with a clock of their own.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/logger';
import { createServiceHttp } from '../../lib/service-http';
import { BearerToken } from './bearer-auth';
import type { AppConfig } from './config';
import { registerReadApi } from './http-api';
import { MetricHistory } from './metric-history';
import { AppMetrics, createMetrics } from './metrics';
import { ReportAdmission } from './report-admission';
import { registerReportIngest } from './report-ingest';
import { ReportDecoders } from './report-decoders';
import { ReportWindow } from './report-window';
import { TopologyService } from './topology-service';
import { TopologyStreams } from './topology-streams';

export interface AppOptions extends Pick<AppConfig, 'probeToken' | 'apiToken' | 'windowSeconds' | 'maxReportBytes' | 'maxPendingReports' | 'historySeconds'>, Partial<Pick<AppConfig, 'decodeWorkers'>> {
  logger: Logger;
  uiDir?: string;
  clock?: () => number;
  /** Generations at most this often; 0 lets every read see every report (tests). */
  minGenerationMs?: number;
  maxStaleMs?: number;
  /** How often the ticker looks for work; 0 starts none (tests drive `tick`). */
  tickMs?: number;
  /** WebSocket diffs at most this often per socket. */
  streamIntervalMs?: number;
  /** Event-loop lag source for the admission check (tests pin it). */
  lag?: () => number;
}

export interface AppUnderRun {
  http: FastifyInstance;
  window: ReportWindow;
  history: MetricHistory;
  service: TopologyService;
  streams: TopologyStreams;
  admission: ReportAdmission;
  decoders: ReportDecoders;
  metrics: AppMetrics;
  /** One round of the ticker: a generation if due, then the streams. */
  tick(): void;
  /** Stops the ticker, the admission sampler and the decode workers (the HTTP server is closed by its owner, first). */
  stop(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<AppUnderRun> {
  const metrics = createMetrics();
  const window = new ReportWindow({ windowMs: options.windowSeconds * 1000, clock: options.clock });
  const history = new MetricHistory({ retentionMs: options.historySeconds * 1000 });
  const service = new TopologyService({ window, history, metrics, minGenerationMs: options.minGenerationMs, maxStaleMs: options.maxStaleMs });
  const streams = new TopologyStreams(service, { minIntervalMs: options.streamIntervalMs, metrics });
  const admission = new ReportAdmission({ maxInFlight: options.maxPendingReports, lag: options.lag });
  const decoders = new ReportDecoders({ workers: options.decodeWorkers ?? 1, maxReportBytes: options.maxReportBytes, logger: options.logger, onRestart: () => metrics.decodeWorkerRestarts.inc() });
  metrics.track({
    windowNodes: () => window.size().nodes,
    probes: () => {
      const counts: Record<string, number> = { ok: 0, late: 0, gone: 0 };
      for (const p of window.probes()) counts[p.status]++;
      return counts;
    },
    websocketClients: () => streams.size,
    historySeries: () => history.series,
    historyBytes: () => history.bytes,
  });
  const http = await createServiceHttp({
    logger: options.logger,
    registry: metrics.registry,
    ready: () => decoders.readiness(),
    openapi: { title: 'orchestrator monitoring app', version: '1.0.0', description: 'Probe reports in, topologies out: REST, WebSocket live views, and the web UI' },
  });
  await registerReportIngest(http, { window, history, decoders, admission, metrics, token: new BearerToken(options.probeToken), maxReportBytes: options.maxReportBytes });
  await registerReadApi(http, { service, streams, apiToken: options.apiToken === undefined ? undefined : new BearerToken(options.apiToken), uiDir: options.uiDir });
  const failed = (err: unknown) => options.logger.error({ err }, 'making a generation failed');
  const tick = () => {
    try {
      service.tick();
      streams.flush();
    } catch (err) {
      failed(err);
    }
  };
  const tickMs = options.tickMs ?? 250;
  // The running app works in steps between which reports and reads are answered (TopologyService.tickAsync).
  const timer = tickMs > 0 ? setInterval(() => void service.tickAsync().then(() => streams.flush(), failed), tickMs) : undefined;
  timer?.unref();
  return {
    http,
    window,
    history,
    service,
    streams,
    admission,
    decoders,
    metrics,
    tick,
    async stop() {
      if (timer) clearInterval(timer);
      admission.close();
      await decoders.close();
    },
  };
}
