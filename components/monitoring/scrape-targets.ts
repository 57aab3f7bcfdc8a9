/**
 * What Prometheus scrapes, part by part: one PodMonitor each, selecting the part's pods by its selector labels and
 * naming the container port and path that serve Prometheus text. Pure data; `PlatformMonitors` makes the objects.
 */
import type { Labels } from '../labels';

export interface ScrapeTarget {
  /** `app.kubernetes.io/name` of the part's pods; with `jobLabel` it is also the `job` label of its series. */
  app: string;
  /** `app.kubernetes.io/component`, for the PodMonitor's own labels. */
  component: string;
  /** Name of the container port that serves the metrics. */
  port: string;
  path: string;
}

/**
 * Every part of the platform and where its metrics are. Mesos masters and agents are read through their exporter
 * sidecar (their own /metrics/snapshot is JSON); Marathon standbys proxy every request, /metrics/prometheus too, to
 * the leader, so each Marathon pod answers with the leader's metrics, and none answers while nobody leads.
 */
export const SCRAPE_TARGETS: readonly ScrapeTarget[] = [
  { app: 'zookeeper', component: 'coordination', port: 'metrics', path: '/metrics' },
  { app: 'mesos-master', component: 'master', port: 'metrics', path: '/metrics' },
  { app: 'mesos-agent', component: 'agent', port: 'metrics', path: '/metrics' },
  { app: 'marathon', component: 'scheduler', port: 'http', path: '/metrics/prometheus' },
  { app: 'allocator', component: 'allocation', port: 'http', path: '/metrics' },
  { app: 'sync-engine', component: 'migration', port: 'http', path: '/metrics' },
  { app: 'probe', component: 'monitoring', port: 'http', path: '/metrics' },
  { app: 'monitoring-app', component: 'monitoring', port: 'http', path: '/metrics' },
];

/** The label the PodMonitors take their series' `job` from: the pods' app name, stable across stacks. */
export const JOB_LABEL = 'app.kubernetes.io/name';

/** A PodMonitor's spec for one part, scoped to this installation's pods in its own namespace. */
export function podMonitorSpec(target: ScrapeTarget, namespace: string, selector: Labels): Record<string, unknown> {
  return {
    jobLabel: JOB_LABEL,
    namespaceSelector: { matchNames: [namespace] },
    selector: { matchLabels: selector },
    podMetricsEndpoints: [{ port: target.port, path: target.path, interval: '30s', scrapeTimeout: '10s' }],
  };
}
