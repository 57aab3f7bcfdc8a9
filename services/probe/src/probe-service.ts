/**
 * The probe's loop: collect every interval, hand the report to the transport, keep the numbers /metrics and
 * /readyz show. A collection that overruns its interval delays the next one rather than overlapping it.
 */
import type { Logger } from '../../lib/logger';
import { CollectedReport, Collector, CollectorOptions } from './collector';
import { ProbeMetrics } from './probe-metrics';
import { ReportTransport, TransportOptions } from './report-transport';

export interface ProbeServiceOptions {
  collector: CollectorOptions;
  transport: Omit<TransportOptions, 'logger' | 'onOutcome' | 'onGzipOnly'>;
  logger: Logger;
  metrics: ProbeMetrics;
}

export class ProbeService {
  readonly collector: Collector;
  readonly transport: ReportTransport;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lastReport?: CollectedReport;
  private lastCollectionEnd = 0;

  constructor(private readonly options: ProbeServiceOptions) {
    const { metrics } = options;
    this.collector = new Collector(options.collector);
    this.transport = new ReportTransport({
      ...options.transport,
      logger: options.logger,
      onGzipOnly: () => this.collector.useEncoding('gzip'),
      onOutcome: (outcome) => {
        if (outcome.kind === 'delivered') metrics.reportsDelivered.inc();
        else if (outcome.kind === 'refused') metrics.reportsRefused.inc({ status: String(outcome.status) });
        else {
          metrics.deliveryRetries.inc();
          if (outcome.status === 401 || outcome.status === 403) metrics.reportsRefused.inc({ status: String(outcome.status) });
        }
        metrics.bufferedReports.set(this.transport.buffered);
      },
    });
  }

  get latest(): CollectedReport | undefined {
    return this.lastReport;
  }

  /** Ready once a collection finished, and not while collections have stalled for three intervals. */
  readiness(): { ready: boolean; reason?: string } {
    if (!this.lastReport) return { ready: false, reason: 'no collection finished yet' };
    const late = Date.now() - this.lastCollectionEnd > 3 * this.options.collector.intervalSeconds * 1000;
    return late ? { ready: false, reason: 'no collection finished in three intervals' } : { ready: true };
  }

  start(): void {
    this.schedule(0);
  }

  /** One collection, delivered through the transport. */
  async collectOnce(): Promise<CollectedReport> {
    const { metrics, logger } = this.options;
    const report = await this.collector.collect(this.transport.droppedReports);
    this.lastReport = report;
    this.lastCollectionEnd = Date.now();
    metrics.collections.inc();
    metrics.collectionCpuSeconds.observe(report.cpuSeconds);
    metrics.collectionDurationSeconds.observe(report.wallSeconds);
    metrics.reportBytes.observe({ encoding: 'raw' }, report.rawBytes);
    metrics.reportBytes.observe({ encoding: report.encoding }, report.body.length);
    for (const [topology, n] of Object.entries(report.nodes)) metrics.nodes.set({ topology }, n);
    metrics.sockets.set(report.endpoints.sockets);
    metrics.unplacedSockets.set(report.endpoints.unplaced);
    metrics.fdWalks.inc(report.endpoints.fdWalks);
    for (const reporter of Object.keys(report.collectionErrors)) metrics.collectionErrors.inc({ reporter });
    if (Object.keys(report.collectionErrors).length > 0) logger.warn({ collectionErrors: report.collectionErrors }, 'collection degraded');
    logger.debug({ cpuSeconds: report.cpuSeconds, wallSeconds: report.wallSeconds, rawBytes: report.rawBytes, bodyBytes: report.body.length, encoding: report.encoding, nodes: report.nodes }, 'collected');
    this.transport.enqueue(report.body, report.timestamp, report.encoding);
    metrics.reportsDropped.set(this.transport.droppedReports);
    metrics.bufferedReports.set(this.transport.buffered);
    return report;
  }

  /** Stops collecting, lets a running collection finish, and delivers what is buffered within `deadlineMs`. */
  async stop(deadlineMs: number): Promise<number> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const started = Date.now();
    if (this.running) await this.running;
    return this.transport.drain(Math.max(0, deadlineMs - (Date.now() - started)));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.running = this.collectOnce()
        .then(
          () => undefined,
          (err: Error) => this.options.logger.error({ err }, 'collection failed'),
        )
        .finally(() => {
          this.running = undefined;
          const next = this.options.collector.intervalSeconds * 1000 - (Date.now() - started);
          this.schedule(Math.max(0, next));
        });
    }, delayMs);
  }
}
