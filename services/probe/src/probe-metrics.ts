/** The probe's Prometheus metrics (prometheus-text.ts explains why not prom-client). */
import { Counter, Gauge, Histogram, MetricsRegistry } from './prometheus-text';

export function createProbeMetrics() {
  const registry = new MetricsRegistry();
  const r = <M extends Counter | Gauge | Histogram>(m: M): M => registry.register(m);
  return {
    registry,
    collectionCpuSeconds: r(new Histogram('probe_collection_cpu_seconds', "The probe's own CPU time (user + system) per collection, compression included", [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5])),
    collectionDurationSeconds: r(new Histogram('probe_collection_duration_seconds', 'Wall time per collection', [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])),
    collections: r(new Counter('probe_collections_total', 'Collections run')),
    collectionErrors: r(new Counter('probe_collection_errors_total', 'Collections in which a reporter reported an error, by reporter')),
    reportBytes: r(new Histogram('probe_report_bytes', 'Size of each report, as JSON (raw) and as sent (br, or gzip to an app that takes only gzip)', [1e3, 1e4, 5e4, 1e5, 5e5, 1e6, 2e6, 5e6, 1e7])),
    nodes: r(new Gauge('probe_report_nodes', 'Nodes in the latest report, by topology')),
    sockets: r(new Gauge('probe_tcp_sockets', 'TCP sockets read in the latest collection')),
    unplacedSockets: r(new Gauge('probe_unplaced_sockets', 'Sockets with an inode no process could be found for, latest collection')),
    fdWalks: r(new Counter('probe_fd_table_walks_total', 'Process fd tables walked to place socket inodes')),
    reportsDelivered: r(new Counter('probe_reports_delivered_total', 'Reports the app accepted')),
    reportsRefused: r(new Counter('probe_reports_refused_total', 'Reports the app refused, by status')),
    reportsDropped: r(new Gauge('probe_reports_dropped', 'Reports dropped since start because the buffer was full')),
    deliveryRetries: r(new Counter('probe_report_delivery_retries_total', 'Delivery attempts that will be retried (app unreachable, saturated or failing)')),
    bufferedReports: r(new Gauge('probe_buffered_reports', 'Reports waiting for delivery')),
  };
}

export type ProbeMetrics = ReturnType<typeof createProbeMetrics>;
