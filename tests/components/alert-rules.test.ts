/**
 * The platform's alert rules, given to the real `promtool` (Debian's prometheus package): every expression must
 * parse (`promtool check rules`), and `promtool test rules` must see each alert fire on the series that mean the
 * trouble it names, and none fire on a healthy platform.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AlertRule, platformAlertRules } from '../../components/monitoring/alert-rules';
import { ofKind, runProgram, stackFileConfig } from './support/program';

const NS = 'ns';
const PROBE_DS = 'probe-ds';
const GROUPS = platformAlertRules({ namespace: NS, zookeeperServers: 3, probeDaemonSet: PROBE_DS });
const RULES: AlertRule[] = GROUPS.flatMap((g) => g.rules);
const rule = (name: string): AlertRule => RULES.find((r) => r.alert === name)!;

interface Series {
  series: string;
  values: string;
}

/** `metric{job="…",namespace="ns",…}` for an input series. */
function s(metric: string, labels: Record<string, string>, values: string): Series {
  const all = { namespace: NS, ...labels };
  return { series: `${metric}{${Object.entries(all).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values };
}

/** The annotations promtool expects: the rule's templates with `$value` and `$labels.x` filled in. */
function rendered(r: AlertRule, value: string, labels: Record<string, string>): Record<string, string> {
  const fill = (text: string): string => text.replace(/\{\{ \$value \}\}/g, value).replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => labels[k] ?? '');
  return Object.fromEntries(Object.entries(r.annotations).map(([k, v]) => [k, fill(v)]));
}

interface FiringCase {
  /** What goes wrong, in words. */
  scenario: string;
  alert: string;
  series: Series[];
  /** When the alert is checked (after its `for`). */
  at: string;
  /** The labels the alert carries besides alertname and severity, and its `$value` as rendered. */
  labels: Record<string, string>;
  value: string;
}

const FIRING: FiringCase[] = [
  {
    scenario: 'only one of three ZooKeeper servers still serves a data tree',
    alert: 'ZooKeeperQuorumLost',
    series: [s('znode_count', { job: 'zookeeper', pod: 'zookeeper-0' }, '50x20'), s('up', { job: 'zookeeper', pod: 'zookeeper-1' }, '1x20')],
    at: '5m',
    labels: {},
    value: '1',
  },
  {
    scenario: 'no ZooKeeper server reports at all',
    alert: 'ZooKeeperQuorumLost',
    series: [s('up', { job: 'zookeeper', pod: 'zookeeper-0' }, '0x20')],
    at: '5m',
    labels: {},
    value: '0',
  },
  {
    scenario: 'reads on one server take 150 ms at p99',
    alert: 'ZooKeeperLatencyHigh',
    series: [s('readlatency', { job: 'zookeeper', pod: 'zookeeper-1', quantile: '0.99' }, '150x20'), s('updatelatency', { job: 'zookeeper', pod: 'zookeeper-1', quantile: '0.99' }, '20x20')],
    at: '15m',
    labels: { pod: 'zookeeper-1' },
    value: '150',
  },
  {
    scenario: 'both masters report themselves not elected',
    alert: 'MesosMasterNoLeader',
    series: [s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-0' }, '0x10'), s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-1' }, '0x10')],
    at: '5m',
    labels: {},
    value: '0',
  },
  {
    scenario: 'the leading master counts two unreachable agents',
    alert: 'MesosAgentsLost',
    series: [
      s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-0' }, '1x10'),
      s('mesos_master_slaves_state', { job: 'mesos-master', pod: 'mesos-master-0', state: 'unreachable' }, '2x10'),
      s('mesos_master_slaves_state', { job: 'mesos-master', pod: 'mesos-master-0', state: 'connected_active' }, '5x10'),
      // A standby's stale count is not the cluster's.
      s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-1' }, '0x10'),
      s('mesos_master_slaves_state', { job: 'mesos-master', pod: 'mesos-master-1', state: 'unreachable' }, '7x10'),
    ],
    at: '8m',
    labels: {},
    value: '2',
  },
  {
    scenario: 'an agent reports itself unregistered',
    alert: 'MesosAgentsLost',
    series: [s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-0' }, '1x10'), s('mesos_slave_registered', { job: 'mesos-agent', pod: 'mesos-agent-a' }, '0x10')],
    at: '8m',
    labels: {},
    value: '1',
  },
  {
    scenario: 'no Marathon instance answers with a leadership duration',
    alert: 'MarathonNoLeader',
    series: [s('up', { job: 'marathon', pod: 'marathon-0' }, '0x10')],
    at: '5m',
    labels: { job: 'marathon', namespace: NS },
    value: '1',
  },
  {
    scenario: 'neither allocator replica leads',
    alert: 'AllocatorNoLeader',
    series: [s('allocator_leader', { job: 'allocator', pod: 'allocator-a' }, '0x10'), s('allocator_leader', { job: 'allocator', pod: 'allocator-b' }, '0x10')],
    at: '5m',
    labels: {},
    value: '0',
  },
  {
    scenario: 'every full allocation cycle takes between 0.5 and 1 s',
    alert: 'AllocatorCyclesSlow',
    series: [
      s('allocator_cycle_duration_seconds_bucket', { job: 'allocator', pod: 'allocator-a', scope: 'all', le: '0.5' }, '0+0x30'),
      s('allocator_cycle_duration_seconds_bucket', { job: 'allocator', pod: 'allocator-a', scope: 'all', le: '1' }, '0+60x30'),
      s('allocator_cycle_duration_seconds_bucket', { job: 'allocator', pod: 'allocator-a', scope: 'all', le: '+Inf' }, '0+60x30'),
    ],
    at: '20m',
    labels: {},
    value: '0.995',
  },
  {
    scenario: 'every heartbeat arrives 50 to 100 ms late',
    alert: 'SyncEngineLagHigh',
    series: [
      s('sync_engine_replication_lag_seconds_bucket', { job: 'sync-engine', pod: 'sync-engine-a', direction: 'source-to-target', le: '0.05' }, '0+0x30'),
      s('sync_engine_replication_lag_seconds_bucket', { job: 'sync-engine', pod: 'sync-engine-a', direction: 'source-to-target', le: '0.1' }, '0+600x30'),
      s('sync_engine_replication_lag_seconds_bucket', { job: 'sync-engine', pod: 'sync-engine-a', direction: 'source-to-target', le: '+Inf' }, '0+600x30'),
    ],
    at: '20m',
    labels: { direction: 'source-to-target' },
    value: '0.0995',
  },
  {
    scenario: 'a conflict is resolved every minute',
    alert: 'SyncEngineConflictsRising',
    series: [s('sync_engine_conflicts_total', { job: 'sync-engine', pod: 'sync-engine-a', kind: 'update-update', winner: 'source' }, '0+1x30')],
    at: '20m',
    labels: { kind: 'update-update' },
    value: '10',
  },
  {
    scenario: 'two probes are up but the app has reports from one',
    alert: 'ProbesNotReporting',
    series: [
      s('up', { job: 'probe', pod: 'probe-a' }, '1x10'),
      s('up', { job: 'probe', pod: 'probe-b' }, '1x10'),
      s('app_probes_reporting', { job: 'monitoring-app', pod: 'monitoring-app-a' }, '1x10'),
    ],
    at: '8m',
    labels: {},
    value: '2',
  },
  {
    scenario: 'one of three nodes has no available probe',
    alert: 'ProbesNotRunning',
    series: [
      s('kube_daemonset_status_desired_number_scheduled', { daemonset: PROBE_DS }, '3x20'),
      s('kube_daemonset_status_number_available', { daemonset: PROBE_DS }, '2x20'),
    ],
    at: '15m',
    labels: { daemonset: PROBE_DS, namespace: NS },
    value: '1',
  },
  {
    scenario: "an allocator pod's /metrics cannot be scraped",
    alert: 'PlatformTargetDown',
    series: [s('up', { job: 'allocator', pod: 'allocator-a' }, '0x10')],
    at: '8m',
    labels: { job: 'allocator', namespace: NS, pod: 'allocator-a' },
    value: '0',
  },
];

/** A platform where everything is as it should be, for every part at once. */
const HEALTHY: Series[] = [
  ...['zookeeper-0', 'zookeeper-1', 'zookeeper-2'].flatMap((pod) => [
    s('znode_count', { job: 'zookeeper', pod }, '50x30'),
    s('readlatency', { job: 'zookeeper', pod, quantile: '0.99' }, '3x30'),
    s('updatelatency', { job: 'zookeeper', pod, quantile: '0.99' }, '12x30'),
  ]),
  s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-0' }, '1x30'),
  s('mesos_master_elected', { job: 'mesos-master', pod: 'mesos-master-1' }, '0x30'),
  s('mesos_master_slaves_state', { job: 'mesos-master', pod: 'mesos-master-0', state: 'unreachable' }, '0x30'),
  s('mesos_master_slaves_state', { job: 'mesos-master', pod: 'mesos-master-0', state: 'disconnected_inactive' }, '0x30'),
  s('mesos_master_slaves_state', { job: 'mesos-master', pod: 'mesos-master-0', state: 'connected_active' }, '3x30'),
  s('mesos_slave_registered', { job: 'mesos-agent', pod: 'mesos-agent-a' }, '1x30'),
  s('marathon_leadership_duration_gauge_seconds', { job: 'marathon', pod: 'marathon-0' }, '100+60x30'),
  s('allocator_leader', { job: 'allocator', pod: 'allocator-a' }, '1x30'),
  s('allocator_leader', { job: 'allocator', pod: 'allocator-b' }, '0x30'),
  ...['0.05', '0.5', '+Inf'].map((le) => s('allocator_cycle_duration_seconds_bucket', { job: 'allocator', pod: 'allocator-a', scope: 'all', le }, '0+60x30')),
  ...['0.01', '0.05', '+Inf'].map((le) => s('sync_engine_replication_lag_seconds_bucket', { job: 'sync-engine', pod: 'sync-engine-a', direction: 'source-to-target', le }, '0+600x30')),
  s('sync_engine_conflicts_total', { job: 'sync-engine', pod: 'sync-engine-a', kind: 'update-update', winner: 'source' }, '4x30'),
  s('up', { job: 'probe', pod: 'probe-a' }, '1x30'),
  s('up', { job: 'probe', pod: 'probe-b' }, '1x30'),
  s('app_probes_reporting', { job: 'monitoring-app', pod: 'monitoring-app-a' }, '2x30'),
  s('kube_daemonset_status_desired_number_scheduled', { daemonset: PROBE_DS }, '2x30'),
  s('kube_daemonset_status_number_available', { daemonset: PROBE_DS }, '2x30'),
  ...['zookeeper', 'mesos-master', 'mesos-agent', 'marathon', 'allocator', 'sync-engine', 'monitoring-app'].map((job) => s('up', { job, pod: `${job}-a` }, '1x30')),
];

let dir: string;
let rulesFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchestrator-rules-'));
  rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, stringify({ groups: GROUPS }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs promtool; returns its output, or throws with it when it exits non-zero. */
function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("promtool is not installed: it comes with Debian's prometheus package (.ci/run installs it)");
    throw new Error(`promtool ${args[0]} ${args[1]} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function testRules(name: string, tests: unknown[]): string {
  const file = join(dir, `${name}.test.yaml`);
  writeFileSync(file, stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }));
  return promtool('test', 'rules', file);
}

test('promtool accepts every rule: the expressions parse and the groups are well formed', () => {
  expect(promtool('check', 'rules', rulesFile)).toMatch(new RegExp(`SUCCESS: ${RULES.length} rules found`));
});

test('every alert has a scenario below that fires it', () => {
  expect([...new Set(FIRING.map((c) => c.alert))].sort()).toEqual(RULES.map((r) => r.alert).sort());
});

test.each(FIRING.map((c) => [c.alert, c.scenario, c] as const))('%s fires when %s', (_alert, _scenario, c) => {
  const r = rule(c.alert);
  const labels = { ...c.labels, severity: r.labels.severity };
  const output = testRules(`firing-${c.alert}`, [
    {
      interval: '1m',
      input_series: c.series,
      alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [{ exp_labels: labels, exp_annotations: rendered(r, c.value, labels) }] }],
    },
  ]);
  expect(output).toMatch(/SUCCESS/);
});

test('no alert fires on a healthy platform', () => {
  const output = testRules('healthy', [
    { interval: '1m', input_series: HEALTHY, alert_rule_test: RULES.map((r) => ({ eval_time: '25m', alertname: r.alert, exp_alerts: [] })) },
  ]);
  expect(output).toMatch(/SUCCESS/);
});

test.each(['dev', 'prod'])("the %s stack's PrometheusRule holds these rules, for its namespace, quorum and probe DaemonSet", async (stack) => {
  const run = await runProgram(stack, stackFileConfig(stack));
  const [prometheusRule] = ofKind(run, 'PrometheusRule');
  const servers = ofKind(run, 'StatefulSet').find((d) => d.inputs.metadata.labels['app.kubernetes.io/name'] === 'zookeeper')!.inputs.spec.replicas;
  // The DaemonSet is auto-named; the rule carries the name the provider gave it.
  const probeDaemonSet = /daemonset="([^"]+)"/.exec(JSON.stringify(prometheusRule.inputs.spec.groups).replaceAll('\\"', '"'))![1];
  expect(probeDaemonSet).toMatch(/^monitoring-probe-[0-9a-f]+$/);
  expect(prometheusRule.inputs.spec.groups).toEqual(platformAlertRules({ namespace: String(run.outputs.namespace), zookeeperServers: servers, probeDaemonSet }));
  expect(prometheusRule.inputs.spec.groups[0].rules[0].expr).toMatch(new RegExp(`< ${Math.floor(servers / 2) + 1}$`));
});
