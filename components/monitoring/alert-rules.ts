/**
 * The platform's alerts as Prometheus rule groups: plain data, the `spec.groups` of one PrometheusRule, and the
 * same text `promtool check rules` and `promtool test rules` read in tests/components/alert-rules.test.ts.
 *
 * Every selector names the installation's namespace, so two stacks watched by one Prometheus never mix, and the
 * `job` the PodMonitors give each part (its `app.kubernetes.io/name`, see scrape-targets.ts). Metric names are the
 * ones each part exports:
 * - ZooKeeper 3.8's Prometheus provider: `znode_count`, `readlatency` / `updatelatency` (summaries, ms); a server
 *   without a quorum stops exporting its data-tree gauges (shown on a real quorum in zookeeper-config.test.ts);
 * - mesos/mesos_exporter 1.1: `mesos_master_elected`, `mesos_master_slaves_state{state}`, `mesos_slave_registered`;
 * - Marathon 1.11: `marathon_leadership_duration_gauge_seconds`, registered only once an instance leads;
 * - the services' own registries: services/allocator/src/metrics.ts, services/sync-engine/src/metrics.ts, and
 *   the app's `APP.metrics` in services/lib/contract.ts.
 */
import { APP } from '../../services/lib/contract';
import { quorumSize } from '../quorum';
import { SCRAPE_TARGETS } from './scrape-targets';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: 'critical' | 'warning' };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

export interface AlertRulesArgs {
  /** The installation's namespace: every selector is scoped to it. */
  namespace: string;
  /** ZooKeeper servers in the ensemble; the quorum alert fires below a majority of them. */
  zookeeperServers: number;
  /** Name of the probes' DaemonSet, as kube-state-metrics reports it. */
  probeDaemonSet: string;
}

/** Design limit of one full allocation cycle at 50,000 agents (ARCHITECTURE.md targets). */
const ALLOCATOR_CYCLE_LIMIT_SECONDS = 0.5;
/** The sync-engine's replication lag target, p99 (ARCHITECTURE.md targets). */
const SYNC_LAG_LIMIT_SECONDS = 0.05;

export function platformAlertRules(a: AlertRulesArgs): RuleGroup[] {
  const sel = (job: string, extra = ''): string => `{job="${job}",namespace="${a.namespace}"${extra ? `,${extra}` : ''}}`;
  const quorum = quorumSize(a.zookeeperServers);
  return [
    {
      name: 'orchestrator.zookeeper',
      rules: [
        {
          alert: 'ZooKeeperQuorumLost',
          expr: `(count(znode_count${sel('zookeeper')}) or vector(0)) < ${quorum}`,
          for: '1m',
          labels: { severity: 'critical' },
          annotations: {
            summary: `Fewer than ${quorum} of ${a.zookeeperServers} ZooKeeper servers are serving`,
            description: 'Only {{ $value }} servers report a data tree: without a majority ZooKeeper refuses every request, and Mesos, Marathon and the allocator lose their leaders.',
          },
        },
        {
          alert: 'ZooKeeperLatencyHigh',
          expr: `max by (pod) (readlatency${sel('zookeeper', 'quantile="0.99"')}) > 100 or max by (pod) (updatelatency${sel('zookeeper', 'quantile="0.99"')}) > 250`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'ZooKeeper server {{ $labels.pod }} answers slowly',
            description: 'p99 request latency is {{ $value }} ms (reads over 100 ms or writes over 250 ms): look at fsync times, GC pauses and the snapshot size.',
          },
        },
      ],
    },
    {
      name: 'orchestrator.mesos',
      rules: [
        {
          alert: 'MesosMasterNoLeader',
          expr: `(sum(mesos_master_elected${sel('mesos-master')}) or vector(0)) != 1`,
          for: '2m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Expected one leading Mesos master, found {{ $value }}',
            description: 'Agents and frameworks need exactly one elected master; check the masters\' ZooKeeper sessions and the replicated log quorum.',
          },
        },
        {
          alert: 'MesosAgentsLost',
          expr:
            `sum(mesos_master_slaves_state${sel('mesos-master', 'state=~"disconnected_inactive|unreachable"')} and on (pod) (mesos_master_elected${sel('mesos-master')} == 1)) > 0` +
            ` or count(mesos_slave_registered${sel('mesos-agent')} == 0) > 0`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} Mesos agents are disconnected, unreachable or unregistered',
            description: 'The leading master has lost agents, or agents report themselves unregistered: their resources are not offered and their tasks may be lost.',
          },
        },
      ],
    },
    {
      name: 'orchestrator.marathon',
      rules: [
        {
          alert: 'MarathonNoLeader',
          // Standbys proxy /metrics/prometheus to the leader, and answer 502 while there is none.
          expr: `absent(marathon_leadership_duration_gauge_seconds${sel('marathon')})`,
          for: '2m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'No Marathon instance is leading',
            description: 'No instance reports a leadership duration: deployments, scaling and task relaunches have stopped.',
          },
        },
      ],
    },
    {
      name: 'orchestrator.allocator',
      rules: [
        {
          alert: 'AllocatorNoLeader',
          expr: `(sum(allocator_leader${sel('allocator')}) or vector(0)) != 1`,
          for: '1m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Expected one leading allocator replica, found {{ $value }}',
            description: 'Without a leader no offers are made and leader-only API calls answer 503; check the replicas\' ZooKeeper sessions.',
          },
        },
        {
          alert: 'AllocatorCyclesSlow',
          expr: `histogram_quantile(0.99, sum by (le) (rate(allocator_cycle_duration_seconds_bucket${sel('allocator', 'scope="all"')}[5m]))) > ${ALLOCATOR_CYCLE_LIMIT_SECONDS}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Allocation cycles take {{ $value }} s at p99',
            description: `Full cycles exceed the design limit of ${ALLOCATOR_CYCLE_LIMIT_SECONDS * 1000} ms: offers arrive late; check agents, frameworks and roles against the benchmark's scale.`,
          },
        },
      ],
    },
    {
      name: 'orchestrator.sync-engine',
      rules: [
        {
          alert: 'SyncEngineLagHigh',
          expr: `histogram_quantile(0.99, sum by (direction, le) (rate(sync_engine_replication_lag_seconds_bucket${sel('sync-engine')}[5m]))) > ${SYNC_LAG_LIMIT_SECONDS}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Replication lag ({{ $labels.direction }}) is {{ $value }} s at p99',
            description: `Over ${SYNC_LAG_LIMIT_SECONDS * 1000} ms: a cutover will not freeze until lag settles; check both ensembles' load and the engine's CPU.`,
          },
        },
        {
          alert: 'SyncEngineConflictsRising',
          expr: `sum by (kind) (increase(sync_engine_conflicts_total${sel('sync-engine')}[10m])) > 0`,
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} sync conflicts of kind {{ $labels.kind }} in 10 minutes',
            description: 'Both ensembles changed the same nodes; every conflict was resolved by the policy and is listed at GET /conflicts.',
          },
        },
      ],
    },
    {
      name: 'orchestrator.monitoring',
      rules: [
        {
          alert: 'ProbesNotReporting',
          expr: `(count(up${sel('probe')} == 1) or vector(0)) > (max(${APP.metrics.probesReporting}${sel('monitoring-app')}) or vector(0))`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Running probes are missing from the topology',
            description: 'More probes are up than the app has reports from: their hosts are missing from the topology (check the probe token and the app URL).',
          },
        },
        {
          alert: 'ProbesNotRunning',
          expr:
            `kube_daemonset_status_desired_number_scheduled{namespace="${a.namespace}",daemonset="${a.probeDaemonSet}"}` +
            ` - kube_daemonset_status_number_available{namespace="${a.namespace}",daemonset="${a.probeDaemonSet}"} > 0`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} nodes have no running probe',
            description: 'Those nodes are unseen by the monitoring app (read from kube-state-metrics).',
          },
        },
        {
          alert: 'PlatformTargetDown',
          expr: `up{namespace="${a.namespace}",job=~"${SCRAPE_TARGETS.map((t) => t.app).join('|')}"} == 0`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $labels.job }} pod {{ $labels.pod }} cannot be scraped',
            description: 'Either the part or its metrics endpoint is down; its alerts above are blind for it meanwhile.',
          },
        },
      ],
    },
  ];
}
