/** The probe's Prometheus metrics (prom-client, its own registry with the default process metrics). */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createProbeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    collectionCpuSeconds: new Histogram({
      name: 'probe_collection_cpu_seconds',
      help: "The probe's own CPU time (user + system) per collection, compression included",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    collectionDurationSeconds: new Histogram({
      name: 'probe_collection_duration_seconds',
      help: 'Wall time per collection',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    collections: new Counter({ name: 'probe_collections_total', help: 'Collections run', registers }),
    collectionErrors: new Counter({ name: 'probe_collection_errors_total', help: 'Collections in which a reporter reported an error, by reporter', labelNames: ['reporter'], registers }),
    reportBytes: new Histogram({
      name: 'probe_report_bytes',
      help: 'Size of each report, as JSON (raw) and as sent (gzip)',
      labelNames: ['encoding'],
      buckets: [1e3, 1e4, 5e4, 1e5, 5e5, 1e6, 2e6, 5e6, 1e7],
      registers,
    }),
    nodes: new Gauge({ name: 'probe_report_nodes', help: 'Nodes in the latest report, by topology', labelNames: ['topology'], registers }),
    sockets: new Gauge({ name: 'probe_tcp_sockets', help: 'TCP sockets read in the latest collection', registers }),
    unplacedSockets: new Gauge({ name: 'probe_unplaced_sockets', help: 'Sockets with an inode no process could be found for, latest collection', registers }),
    fdWalks: new Counter({ name: 'probe_fd_table_walks_total', help: 'Process fd tables walked to place socket inodes', registers }),
    reportsDelivered: new Counter({ name: 'probe_reports_delivered_total', help: 'Reports the app accepted', registers }),
    reportsRefused: new Counter({ name: 'probe_reports_refused_total', help: 'Reports the app refused, by status', labelNames: ['status'], registers }),
    reportsDropped: new Gauge({ name: 'probe_reports_dropped', help: 'Reports dropped since start because the buffer was full', registers }),
    deliveryRetries: new Counter({ name: 'probe_report_delivery_retries_total', help: 'Delivery attempts that will be retried (app unreachable, saturated or failing)', registers }),
    bufferedReports: new Gauge({ name: 'probe_buffered_reports', help: 'Reports waiting for delivery', registers }),
  };
}

export type ProbeMetrics = ReturnType<typeof createProbeMetrics>;
