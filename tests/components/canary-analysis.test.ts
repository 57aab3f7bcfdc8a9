/**
 * The canary analysis's PromQL, given to the real `promtool`: every expression the program emits parses
 * (`promtool check rules` over them as recording rules, the alerts included), and `promtool test rules` shows what
 * each analysis query reads on series fed to it, so each threshold is known to trip on a bad canary and to pass a
 * good one, whatever the stable pods and other services do meanwhile.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { analysisTemplateSpec, appChecks, CANARY_HASH_ARG, STABLE_HASH_ARG } from '../../components/gitops/canary-analysis';
import { parseStackConfig } from '../../components/stack-config';
import { ofKind, runProgram, TEST_PROMETHEUS_URL, withRollouts } from './support/program';
import { promtool } from './support/promtool';

const NS = 'ns';
const JOB = 'monitoring-app';
const DEFAULTS = parseStackConfig({}).rollouts.analysis;
const TEMPLATE = analysisTemplateSpec(TEST_PROMETHEUS_URL, appChecks({ job: JOB, namespace: NS }, DEFAULTS), DEFAULTS);
const metric = (name: string) => TEMPLATE.metrics.find((m) => m.name === name)!;

// Pods of one Rollout's two ReplicaSets, named as Argo Rollouts names them: <rollout>-<pod-template-hash>-<suffix>.
const CANARY_HASH = '7d8f9c6b5';
const STABLE_HASH = '5c6d7f8b9';
const CANARY_POD = `monitoring-app-1a2b3c4-${CANARY_HASH}-x2x9z`;
const STABLE_POD = `monitoring-app-1a2b3c4-${STABLE_HASH}-q8w7e`;

/** A query as Argo Rollouts sends it: the arguments the Rollout gives (the two hashes) filled in. */
function resolved(query: string): string {
  return query.replaceAll(`{{args.${CANARY_HASH_ARG}}}`, CANARY_HASH).replaceAll(`{{args.${STABLE_HASH_ARG}}}`, STABLE_HASH);
}

/** Whether a measurement passes: the template's successCondition, `result[0] <= max`, reads the same in JavaScript. */
function passes(successCondition: string, value: number): boolean {
  expect(successCondition).toMatch(/^result\[0\] <= [0-9.]+$/);
  return new Function('result', `return ${successCondition};`)([value]) as boolean;
}

interface Series {
  series: string;
  values: string;
}

function s(name: string, labels: Record<string, string>, values: string): Series {
  const all = { job: JOB, namespace: NS, ...labels };
  return { series: `${name}{${Object.entries(all).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values };
}

/** A pod's requests on one route and status class: `perMinute` of them, each taking between `low` and `high` seconds. */
function requests(pod: string, statusClass: string, perMinute: number, between: [number, number] = [0, 0.005], extra: Record<string, string> = {}): Series[] {
  const labels = { pod, method: 'POST', route: '/api/report', status_class: statusClass, ...extra };
  const [, high] = between;
  const buckets = ['0.005', '0.5', '1', '+Inf'].map((le) => s('http_request_duration_seconds_bucket', { ...labels, le }, le === '+Inf' || Number(le) >= high ? `0+${perMinute}x15` : '0x15'));
  return [...buckets, s('http_request_duration_seconds_count', labels, `0+${perMinute}x15`)];
}

/** A pod's probe reports: accepted and refused per minute (refused ones under `reason`; the others stay at 0). */
function reports(pod: string, acceptedPerMinute: number, refusedPerMinute: number, reason = 'bad_report'): Series[] {
  return [
    s('app_reports_accepted_total', { pod }, `0+${acceptedPerMinute}x15`),
    s('app_reports_refused_total', { pod, reason }, `0+${refusedPerMinute}x15`),
    s('app_reports_refused_total', { pod, reason: reason === 'overloaded' ? 'too_large' : 'overloaded' }, '0x15'),
  ];
}

interface Scenario {
  scenario: string;
  metric: 'error-ratio' | 'p99-latency' | 'refused-reports';
  series: Series[];
  /** What the query reads at 10 minutes, to three decimals. */
  value: number;
  passes: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    scenario: "2 % of the canary's requests are answered 5xx",
    metric: 'error-ratio',
    series: [...requests(CANARY_POD, '2xx', 49), ...requests(CANARY_POD, '5xx', 1)],
    value: 0.02,
    passes: false,
  },
  {
    scenario: 'the canary answers every request while the stable pod and another service fail half of theirs',
    metric: 'error-ratio',
    series: [
      ...requests(CANARY_POD, '2xx', 50),
      ...requests(STABLE_POD, '2xx', 25),
      ...requests(STABLE_POD, '5xx', 25),
      // Another service whose pod happens to carry the same hash: its job keeps it out.
      ...requests(`allocator-9f8e7d6-${CANARY_HASH}-abcde`, '5xx', 25).map((x) => ({ ...x, series: x.series.replace(`job="${JOB}"`, 'job="allocator"') })),
    ],
    value: 0,
    passes: true,
  },
  {
    scenario: "a fifth of the canary's requests are refused 4xx (the clients' doing, not the canary's)",
    metric: 'error-ratio',
    series: [...requests(CANARY_POD, '2xx', 40), ...requests(CANARY_POD, '4xx', 10)],
    value: 0,
    passes: true,
  },
  {
    scenario: 'the canary has served nothing yet (flat counters, no 5xx series at all)',
    metric: 'error-ratio',
    series: [...requests(CANARY_POD, '2xx', 0), ...requests(STABLE_POD, '5xx', 10)],
    value: 0,
    passes: true,
  },
  {
    scenario: "every one of the canary's requests takes between 0.5 and 1 s, on two routes",
    metric: 'p99-latency',
    series: [...requests(CANARY_POD, '2xx', 30, [0.5, 1]), ...requests(CANARY_POD, '2xx', 30, [0.5, 1], { method: 'GET', route: '/api/topology/:id' })],
    value: 0.995,
    passes: false,
  },
  {
    scenario: 'the canary answers within 5 ms while the stable pod is slow',
    metric: 'p99-latency',
    series: [...requests(CANARY_POD, '2xx', 60), ...requests(STABLE_POD, '2xx', 60, [0.5, 1])],
    value: 0.005,
    passes: true,
  },
  {
    scenario: 'the canary has served nothing yet (the quantile of no requests is NaN)',
    metric: 'p99-latency',
    series: [...requests(CANARY_POD, '2xx', 0), ...requests(STABLE_POD, '2xx', 60, [0.5, 1])],
    value: 0,
    passes: true,
  },
  {
    scenario: "the canary refuses a tenth of the probes' reports as bad while the stable pod accepts them all",
    metric: 'refused-reports',
    series: [...reports(CANARY_POD, 54, 6), ...reports(STABLE_POD, 60, 0)],
    value: 0.1,
    passes: false,
  },
  {
    scenario: "both versions refuse 5 % of the reports as unauthorized (a probe's stale token, no fault of the canary)",
    metric: 'refused-reports',
    series: [...reports(CANARY_POD, 57, 3, 'unauthorized'), ...reports(STABLE_POD, 57, 3, 'unauthorized')],
    value: 0,
    passes: true,
  },
  {
    scenario: 'the canary is sent no reports while the stable pod refuses 5 %',
    metric: 'refused-reports',
    series: [...reports(CANARY_POD, 0, 0), ...reports(STABLE_POD, 57, 3, 'overloaded')],
    value: -0.05,
    passes: true,
  },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchestrator-analysis-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `promtool check rules` over expressions held as recording rules; returns how many rules it found. */
function checkExpressions(name: string, exprs: string[]): string {
  const file = join(dir, `${name}.rules.yaml`);
  writeFileSync(file, stringify({ groups: [{ name, rules: exprs.map((expr, i) => ({ record: `check:expression_${i}`, expr })) }] }));
  return promtool('check', 'rules', file);
}

test('the analysis measures each check the configured times and rolls back past the failure limit', () => {
  expect(TEMPLATE.metrics.map((m) => m.name)).toEqual(['error-ratio', 'p99-latency', 'refused-reports']);
  for (const m of TEMPLATE.metrics) {
    expect(m).toMatchObject({ initialDelay: DEFAULTS.window, interval: DEFAULTS.interval, count: DEFAULTS.count, failureLimit: DEFAULTS.failureLimit });
    expect(m.provider.prometheus.address).toBe(TEST_PROMETHEUS_URL);
  }
  expect(TEMPLATE.metrics.map((m) => m.successCondition)).toEqual([
    `result[0] <= ${DEFAULTS.maxErrorRatio}`,
    `result[0] <= ${DEFAULTS.maxP99Seconds}`,
    `result[0] <= ${DEFAULTS.maxRefusedShareAboveStable}`,
  ]);
});

test('promtool parses every PromQL expression the program emits: the alert rules and the analysis queries', async () => {
  const run = await runProgram('prod', withRollouts('prod'));
  const alerts = ofKind(run, 'PrometheusRule').flatMap((r) => r.inputs.spec.groups.flatMap((g: any) => g.rules.map((rule: any) => rule.expr as string)));
  const queries = ofKind(run, 'AnalysisTemplate').flatMap((t) => t.inputs.spec.metrics.map((m: any) => m.provider.prometheus.query as string));
  expect(queries).toHaveLength(3);
  // As emitted, the Argo Rollouts placeholders stand inside label-matcher strings, where PromQL takes any text.
  expect(checkExpressions('emitted', [...alerts, ...queries])).toMatch(new RegExp(`SUCCESS: ${alerts.length + queries.length} rules found`));
  expect(checkExpressions('resolved', queries.map(resolved))).toMatch(/SUCCESS: 3 rules found/);
});

test('the syntax check fails on an expression that does not parse', () => {
  const broken = metric('error-ratio').provider.prometheus.query.replace(/\)$/, '');
  expect(() => checkExpressions('broken', [broken])).toThrow(/parse error/);
});

test.each(SCENARIOS.map((c) => [c.metric, c.passes ? 'passes' : 'fails', c.scenario, c] as const))('%s %s when %s', (_metric, _verdict, _scenario, c) => {
  const m = metric(c.metric);
  const file = join(dir, 'scenario.test.yaml');
  writeFileSync(
    file,
    stringify({
      rule_files: [],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: c.series,
          // promtool compares values exactly; rounding to 1e-3 keeps float noise out of the expected value.
          promql_expr_test: [{ expr: `round((${resolved(m.provider.prometheus.query)}), 0.001)`, eval_time: '10m', exp_samples: [{ labels: '{}', value: c.value }] }],
        },
      ],
    }),
  );
  expect(promtool('test', 'rules', file)).toMatch(/SUCCESS/);
  expect(passes(m.successCondition, c.value)).toBe(c.passes);
});

test('the scenarios trip and pass every check', () => {
  for (const name of TEMPLATE.metrics.map((m) => m.name)) {
    expect({ name, verdicts: [...new Set(SCENARIOS.filter((c) => c.metric === name).map((c) => c.passes))].sort() }).toEqual({ name, verdicts: [false, true] });
  }
});
