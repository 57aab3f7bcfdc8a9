/**
 * The app's Prometheus metrics. Counters and histograms are updated where things happen; gauges that mirror state
 * (window size, probes, WebSocket clients) are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a report was refused; the `reason` label of app_reports_refused_total. */
export const REFUSAL_REASONS = ['unauthorized', 'overloaded', 'too_large', 'unsupported_encoding', 'bad_json', 'unsupported_version', 'bad_report'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface AppMetrics {
  registry: Registry;
  reportsAccepted: Counter;
  reportsRefused: Counter<'reason'>;
  reportBytes: Counter<'encoding'>;
  reportDecodedBytes: Counter;
  ingestCpuSeconds: Counter;
  decodeWorkerRestarts: Counter;
  ingestSeconds: Histogram;
  mergeSeconds: Histogram;
  resolveSeconds: Histogram;
  renderSeconds: Histogram<'topology'>;
  viewSeconds: Histogram<'topology'>;
  generations: Counter;
  readRestarts: Counter;
  websocketMessages: Counter<'type'>;
  /** Sources for the state gauges, set once the parts exist. */
  track(sources: { windowNodes(): Record<string, number>; probes(): Record<string, number>; websocketClients(): number; historySeries(): number; historyBytes(): number }): void;
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(registry = new Registry()): AppMetrics {
  let sources: Parameters<AppMetrics['track']>[0] | undefined;
  const m: AppMetrics = {
    registry,
    reportsAccepted: new Counter({ name: 'app_reports_accepted_total', help: 'Probe reports accepted into the window', registers: [registry] }),
    reportsRefused: new Counter({ name: 'app_reports_refused_total', help: 'Probe reports refused, by reason', labelNames: ['reason'], registers: [registry] }),
    reportBytes: new Counter({ name: 'app_report_bytes_total', help: 'Report bytes received as sent (compressed or not), by content encoding', labelNames: ['encoding'], registers: [registry] }),
    reportDecodedBytes: new Counter({ name: 'app_report_decoded_bytes_total', help: 'Report bytes after decompression (the JSON parsed)', registers: [registry] }),
    ingestCpuSeconds: new Counter({ name: 'app_report_ingest_cpu_seconds_total', help: 'Thread time spent on reports: decoding and validating in the decode workers, applying on the event loop', registers: [registry] }),
    decodeWorkerRestarts: new Counter({ name: 'app_decode_worker_restarts_total', help: 'Report decode workers started again after one died', registers: [registry] }),
    ingestSeconds: new Histogram({ name: 'app_report_ingest_seconds', help: 'Time to decode, validate and store one report', buckets: SECONDS, registers: [registry] }),
    mergeSeconds: new Histogram({ name: 'app_merge_seconds', help: 'Time to advance the window: apply queued reports and expiry to the merged report', buckets: SECONDS, registers: [registry] }),
    resolveSeconds: new Histogram({ name: 'app_connection_resolve_seconds', help: 'Time to resolve the merged report\'s connections across hosts', buckets: SECONDS, registers: [registry] }),
    renderSeconds: new Histogram({ name: 'app_render_seconds', help: 'Time to render one topology from the merged report', labelNames: ['topology'], buckets: SECONDS, registers: [registry] }),
    viewSeconds: new Histogram({ name: 'app_view_seconds', help: 'Time to build and serialise one view (filter, search, clustering) of a rendered topology', labelNames: ['topology'], buckets: SECONDS, registers: [registry] }),
    generations: new Counter({ name: 'app_generations_total', help: 'Merged reports made (a new one at most once per pacing interval, when something changed)', registers: [registry] }),
    readRestarts: new Counter({ name: 'app_read_restarts_total', help: 'Reads building in steps that started again because the window advanced under them', registers: [registry] }),
    websocketMessages: new Counter({ name: 'app_websocket_messages_total', help: 'WebSocket messages sent, by type (snapshot, diff)', labelNames: ['type'], registers: [registry] }),
    track(s) {
      sources = s;
    },
  };
  new Gauge({
    name: 'app_window_nodes',
    help: 'Nodes in the merged report, by reported topology',
    labelNames: ['topology'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [t, n] of Object.entries(sources?.windowNodes() ?? {})) this.set({ topology: t }, n);
    },
  });
  new Gauge({
    name: 'app_probes',
    help: 'Probes known, by status (ok, late, gone)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [s, n] of Object.entries(sources?.probes() ?? {})) this.set({ status: s }, n);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(sources ? read() : 0);
      },
    });
  gauge('app_websocket_clients', 'Open WebSocket connections', () => sources!.websocketClients());
  gauge('app_history_series', 'Metric series held for the details charts', () => sources!.historySeries());
  gauge('app_history_bytes', 'Bytes of sample storage held for the details charts', () => sources!.historyBytes());
  for (const reason of REFUSAL_REASONS) m.reportsRefused.inc({ reason }, 0);
  return m;
}
