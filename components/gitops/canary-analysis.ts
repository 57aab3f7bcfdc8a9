/**
 * How a canary is judged: PromQL over the canary's own pods, and the Argo Rollouts AnalysisTemplate that asks
 * Prometheus for it at each canary step. Plain data; `CanaryRollout` (canary-rollout.ts) makes the objects, and
 * tests/components/canary-analysis.test.ts hands every query to `promtool`.
 *
 * Each query returns exactly one sample whatever Prometheus holds, so that a measurement is never an error or a NaN
 * (which would fail the step for want of data rather than for bad data): where the canary has served nothing yet,
 * it reads 0. The series are the ones the services export:
 * - `http_request_duration_seconds{method,route,status_class}`, the shared HTTP frame's histogram
 *   (services/lib/service-http.ts, named in `HTTP_METRICS` in contract.ts);
 * - the app's `app_reports_accepted_total` and `app_reports_refused_total{reason}` (services/app/src/metrics.ts,
 *   named in `APP.metrics`).
 */
import { APP, HTTP_METRICS } from '../../services/lib/contract';
import type { EnabledRollouts, RolloutsConfig } from '../stack-config';

/** The analysis arguments a Rollout fills with its ReplicaSets' pod-template hashes (see `analysisStep`). */
export const CANARY_HASH_ARG = 'canary-hash';
export const STABLE_HASH_ARG = 'stable-hash';

export type AnalysisSettings = RolloutsConfig['analysis'];

/** Where a service's series are: the `job` its PodMonitor gives them (its app name), in the stack's namespace. */
export interface CanaryTarget {
  job: string;
  namespace: string;
}

/** One thing a canary is judged on: a query that always yields one sample, and the largest value that passes. */
export interface CanaryCheck {
  /** The AnalysisRun's metric name, what `kubectl argo rollouts get rollout` shows. */
  name: string;
  query: string;
  max: number;
}

/** A canary that Argo Rollouts delivers: where its analysis asks, the steps, and how each step is judged. */
export interface CanaryDelivery {
  /** The Prometheus HTTP API that scrapes this stack's PodMonitors. */
  prometheusUrl: string;
  /** The canary's share of pods at each step, ascending. */
  weights: number[];
  analysis: AnalysisSettings;
}

/** The delivery `rollouts` config asks for, or none while it is off. */
export function canaryDelivery(rollouts: EnabledRollouts | undefined): CanaryDelivery | undefined {
  return rollouts && { prometheusUrl: rollouts.prometheusUrl, weights: rollouts.canaryWeights, analysis: rollouts.analysis };
}

/**
 * The selector of one ReplicaSet's pods. Argo Rollouts names a Rollout's ReplicaSets `<rollout>-<pod-template-hash>`
 * and their pods `<replicaset>-<suffix>`, and fills the hash argument in before the query is sent; the PodMonitor
 * gives every series its `pod`.
 */
export function replicaSetPods(t: CanaryTarget, hashArg: string, extra?: string): string {
  return `{job="${t.job}",namespace="${t.namespace}",pod=~".+-{{args.${hashArg}}}-[a-z0-9]+"${extra ? `,${extra}` : ''}}`;
}

const requests = (t: CanaryTarget, window: string, extra?: string): string => `sum(rate(${HTTP_METRICS.requestDuration}_count${replicaSetPods(t, CANARY_HASH_ARG, extra)}[${window}]))`;

/** The share of the canary's requests answered 5xx: 0 before its first 5xx (no series), and 0 while it serves nothing. */
export function errorRatioQuery(t: CanaryTarget, window: string): string {
  return `${requests(t, window, 'status_class="5xx"')} / (${requests(t, window)} > 0) or vector(0)`;
}

/** The canary's p99 request duration in seconds; 0 while it serves nothing (the quantile of no requests is NaN). */
export function p99LatencyQuery(t: CanaryTarget, window: string): string {
  const buckets = `sum by (le) (rate(${HTTP_METRICS.requestDuration}_bucket${replicaSetPods(t, CANARY_HASH_ARG)}[${window}]))`;
  return `histogram_quantile(0.99, ${buckets}) >= 0 or vector(0)`;
}

/**
 * How much more of its probe reports the canary refuses than the stable pods do. Judged against the stable pods, not
 * absolutely: a probe with a stale token or an oversized host is refused by both versions, and must not block every
 * release until it is fixed; what the new version refuses on top of that is the new version's doing.
 */
export function refusedShareAboveStableQuery(t: CanaryTarget, window: string): string {
  const share = (hashArg: string): string => {
    const rate = (metric: string) => `sum(rate(${metric}${replicaSetPods(t, hashArg)}[${window}]))`;
    const refused = rate(APP.metrics.reportsRefused);
    return `(${refused} / (${refused} + ${rate(APP.metrics.reportsAccepted)} > 0) or vector(0))`;
  };
  return `${share(CANARY_HASH_ARG)} - ${share(STABLE_HASH_ARG)}`;
}

/** What any service on the shared HTTP frame is judged on: its 5xx share and its p99. */
export function httpChecks(t: CanaryTarget, a: AnalysisSettings): CanaryCheck[] {
  return [
    { name: 'error-ratio', query: errorRatioQuery(t, a.window), max: a.maxErrorRatio },
    { name: 'p99-latency', query: p99LatencyQuery(t, a.window), max: a.maxP99Seconds },
  ];
}

/** The monitoring app: the HTTP checks, and the probe reports it refuses beyond what the stable version refuses. */
export function appChecks(t: CanaryTarget, a: AnalysisSettings): CanaryCheck[] {
  return [...httpChecks(t, a), { name: 'refused-reports', query: refusedShareAboveStableQuery(t, a.window), max: a.maxRefusedShareAboveStable }];
}

/**
 * The AnalysisTemplate's spec. Every check is measured `count` times, `interval` apart, the first after one `window`
 * of canary traffic; a measurement above its maximum fails, and one failure more than `failureLimit` fails the run,
 * which makes Argo Rollouts abort: the canary is scaled away and all traffic is the stable version's again. A
 * Prometheus that does not answer errors the measurements, and after five in a row the run errs and aborts too.
 */
export function analysisTemplateSpec(prometheusUrl: string, checks: CanaryCheck[], a: AnalysisSettings) {
  return {
    args: [{ name: CANARY_HASH_ARG }, { name: STABLE_HASH_ARG }],
    metrics: checks.map((c) => ({
      name: c.name,
      initialDelay: a.window,
      interval: a.interval,
      count: a.count,
      failureLimit: a.failureLimit,
      // A query's result is a one-sample vector (see above).
      successCondition: `result[0] <= ${c.max}`,
      provider: { prometheus: { address: prometheusUrl, query: c.query } },
    })),
  };
}
