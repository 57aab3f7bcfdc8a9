/**
 * The monitoring app as an Argo Rollouts canary (`rollouts.enabled`): the same pods from a Rollout in place of the
 * Deployment, stable and canary Services, each step judged by an AnalysisTemplate on Prometheus; and, off, nothing
 * different from a stack that never heard of rollouts.
 */
import { appChecks, CANARY_HASH_ARG, STABLE_HASH_ARG } from '../../components/gitops/canary-analysis';
import { SYNC_WAVE_ANNOTATION } from '../../components/gitops/sync-waves';
import { parseStackConfig } from '../../components/stack-config';
import { PackResource, runPack } from '../support/policy-pack';
import { validateKubernetesObject } from './support/kubernetes-schema';
import { Emitted, engineConfig, kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig, TEST_PROMETHEUS_URL, withRollouts } from './support/program';
import { matches, workload } from './support/pods';

const APP = 'monitoring-app';
const appOf = (r: Emitted): string => r.inputs.metadata.labels['app.kubernetes.io/name'];
const only = (rs: Emitted[]): Emitted => {
  expect(rs).toHaveLength(1);
  return rs[0];
};
const packInputs = (run: ProgramRun): PackResource[] => run.resources.map(({ type, name, inputs, outputs }) => ({ type, name, inputs, outputs }));
/** The name the provider gave an auto-named object, as other objects reference it. */
const nameOf = (r: Emitted): string => r.outputs.metadata.name;

let plain: ProgramRun;
let canary: ProgramRun;
beforeAll(async () => {
  plain = await runProgram('prod', stackFileConfig('prod'));
  canary = await runProgram('prod', withRollouts('prod'));
});

describe('with rollouts off', () => {
  test('the stack is exactly what it is without any rollouts config, whatever else the section says', async () => {
    const off = await runProgram('prod', {
      ...stackFileConfig('prod'),
      ...engineConfig({ 'orchestrator:rollouts': { enabled: false, prometheusUrl: TEST_PROMETHEUS_URL, canaryWeights: [10, 30, 60], analysis: { count: 10 } } }),
    });
    const shape = (run: ProgramRun) => JSON.stringify(run.resources.map(({ type, name, inputs }) => ({ type, name, inputs })));
    expect(shape(off)).toBe(shape(plain));
    expect(kubernetesObjects(plain).filter((r) => r.inputs.apiVersion === 'argoproj.io/v1alpha1')).toEqual([]);
  });
});

describe('with rollouts on', () => {
  test('a Rollout replaces the app\'s Deployment, with the same pods, replicas and selector; the allocator stays a Deployment', () => {
    const deployment = workload(plain, APP);
    const rollout = only(ofKind(canary, 'Rollout'));
    expect(ofKind(canary, 'Deployment').filter((d) => appOf(d) === APP)).toEqual([]);
    expect(rollout.inputs.spec.template).toEqual(deployment.inputs.spec.template);
    expect(rollout.inputs.spec.replicas).toBe(deployment.inputs.spec.replicas);
    expect(rollout.inputs.spec.selector).toEqual(deployment.inputs.spec.selector);
    expect(rollout.inputs.metadata).toEqual(deployment.inputs.metadata);
    expect(workload(canary, 'allocator').inputs.kind).toBe('Deployment');
    expect(workload(canary, 'allocator').inputs).toEqual(workload(plain, 'allocator').inputs);
  });

  test('nothing else changes: every other object is as it was', () => {
    const others = (run: ProgramRun) => kubernetesObjects(run).filter((r) => !(appOf(r) === APP && ['Deployment', 'Rollout', 'AnalysisTemplate', 'Service'].includes(r.inputs.kind)));
    expect(others(canary).map((r) => r.inputs)).toEqual(others(plain).map((r) => r.inputs));
  });

  test("the app's Service still selects every pod of the app and is still where probes and users go; the stable and canary Services the Rollout names select the same pods until the controller narrows them", () => {
    const podLabels = only(ofKind(canary, 'Rollout')).inputs.spec.template.metadata.labels;
    const services = ofKind(canary, 'Service').filter((s) => appOf(s) === APP);
    expect(services.map((s) => s.name).sort()).toEqual(['monitoring-app-canary', 'monitoring-app-stable', 'monitoring-app-svc']);
    for (const svc of services) {
      expect(matches(svc.inputs.spec.selector, podLabels)).toBe(true);
      expect(svc.inputs.spec.ports).toEqual([{ name: 'http', port: 8093 }]);
    }
    const { canaryService, stableService } = only(ofKind(canary, 'Rollout')).inputs.spec.strategy.canary;
    expect([canaryService, stableService]).toEqual([nameOf(services.find((s) => s.name === 'monitoring-app-canary')!), nameOf(services.find((s) => s.name === 'monitoring-app-stable')!)]);
    const root = services.find((s) => s.name === 'monitoring-app-svc')!;
    expect(canary.outputs.monitoringUrl).toBe(`http://${nameOf(root)}.orchestrator.svc:8093`);
    expect(canary.outputs.monitoringUrl).toBe(plain.outputs.monitoringUrl);
  });

  test("the app's PodDisruptionBudget still covers its pods, and only it", () => {
    const podLabels = only(ofKind(canary, 'Rollout')).inputs.spec.template.metadata.labels;
    const budgets = ofKind(canary, 'PodDisruptionBudget').filter((b) => matches(b.inputs.spec.selector.matchLabels, podLabels));
    expect(budgets.map((b) => b.inputs)).toEqual(ofKind(plain, 'PodDisruptionBudget').filter((b) => appOf(b) === APP).map((b) => b.inputs));
  });

  test('each canary weight is followed by an analysis of the template, given the canary\'s and the stable pods\' hashes', () => {
    const rollout = only(ofKind(canary, 'Rollout')).inputs;
    const template = only(ofKind(canary, 'AnalysisTemplate'));
    const analysis = {
      analysis: {
        templates: [{ templateName: nameOf(template) }],
        args: [
          { name: CANARY_HASH_ARG, valueFrom: { podTemplateHashValue: 'Latest' } },
          { name: STABLE_HASH_ARG, valueFrom: { podTemplateHashValue: 'Stable' } },
        ],
      },
    };
    expect(rollout.spec.strategy.canary.steps).toEqual([{ setWeight: 20 }, analysis, { setWeight: 50 }, analysis]);
    expect(template.inputs.spec.args).toEqual([{ name: CANARY_HASH_ARG }, { name: STABLE_HASH_ARG }]);
    // Never below the one replica asked for; a canary that never gets ready is rolled back, not waited on.
    expect(rollout.spec.strategy.canary).toMatchObject({ maxSurge: 1, maxUnavailable: 0 });
    expect(rollout.spec).toMatchObject({ progressDeadlineAbort: true, progressDeadlineSeconds: 600 });
  });

  test("the analysis asks the configured Prometheus about the app's own series in this stack's namespace, with the default thresholds", () => {
    const spec = only(ofKind(canary, 'AnalysisTemplate')).inputs.spec;
    const analysis = parseStackConfig({}).rollouts.analysis;
    const checks = appChecks({ job: APP, namespace: 'orchestrator' }, analysis);
    expect(spec.metrics.map((m: any) => [m.name, m.provider.prometheus.address, m.provider.prometheus.query, m.successCondition])).toEqual(
      checks.map((c) => [c.name, TEST_PROMETHEUS_URL, c.query, `result[0] <= ${c.max}`]),
    );
    for (const m of spec.metrics) expect(m.provider.prometheus.query).toContain('namespace="orchestrator"');
  });

  test('the configured steps and analysis settings are the ones emitted', async () => {
    const run = await runProgram(
      'dev',
      withRollouts('dev', { prometheusUrl: 'https://prometheus.example.com', canaryWeights: [10, 30, 60], analysis: { interval: '30s', count: 6, failureLimit: 2, window: '5m', maxErrorRatio: 0.05, maxP99Seconds: 2, maxRefusedShareAboveStable: 0.1 } }),
    );
    const rollout = only(ofKind(run, 'Rollout')).inputs;
    expect(rollout.spec.strategy.canary.steps.filter((s: any) => s.setWeight !== undefined)).toEqual([{ setWeight: 10 }, { setWeight: 30 }, { setWeight: 60 }]);
    expect(rollout.spec.strategy.canary.steps.filter((s: any) => s.analysis)).toHaveLength(3);
    const metrics = only(ofKind(run, 'AnalysisTemplate')).inputs.spec.metrics;
    for (const m of metrics) {
      expect(m).toMatchObject({ initialDelay: '5m', interval: '30s', count: 6, failureLimit: 2 });
      expect(m.provider.prometheus.address).toBe('https://prometheus.example.com');
      expect(m.provider.prometheus.query).toContain('[5m]');
    }
    expect(metrics.map((m: any) => m.successCondition)).toEqual(['result[0] <= 0.05', 'result[0] <= 2', 'result[0] <= 0.1']);
  });

  test('the Rollout and the AnalysisTemplate validate against the Argo Rollouts schema, with no unknown fields, and carry the services\' sync wave', () => {
    for (const r of [...ofKind(canary, 'Rollout'), ...ofKind(canary, 'AnalysisTemplate')]) {
      expect({ object: r.name, problems: validateKubernetesObject(r.inputs) }).toEqual({ object: r.name, problems: [] });
      expect(r.inputs.metadata.annotations[SYNC_WAVE_ANNOTATION]).toBe(workload(plain, APP).inputs.metadata.annotations[SYNC_WAVE_ANNOTATION]);
    }
  });

  test("the policy pack judges the Rollout's pods like a Deployment's: it objects to an image on latest and a missing probe", async () => {
    expect(await runPack(packInputs(canary), 'prod')).toEqual([]);
    const broken = packInputs(canary).map((r) => {
      if (!r.type.endsWith(':Rollout')) return r;
      const inputs = structuredClone(r.inputs) as any;
      inputs.spec.template.spec.containers[0].image = 'orchestrator/app:latest';
      delete inputs.spec.template.spec.containers[0].livenessProbe;
      return { ...r, inputs, outputs: inputs };
    });
    expect((await runPack(broken, 'prod')).map((d) => d.policy).sort()).toEqual(['health-probes', 'pinned-images']);
  });

  test("with Argo CD delivery too, the AppProject allows the Rollout and the AnalysisTemplate, as every other kind emitted", async () => {
    const run = await runProgram('prod', { ...withRollouts('prod'), ...engineConfig({ 'orchestrator:gitops': { enabled: true, repoURL: 'https://github.com/acme/orchestrator.git' } }) });
    const project = only(ofKind(run, 'AppProject')).inputs.spec;
    const allowed = new Set([...project.clusterResourceWhitelist, ...project.namespaceResourceWhitelist].map((k: { group: string; kind: string }) => `${k.group}/${k.kind}`));
    const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
    const synced = kubernetesObjects(run).filter((r) => !['AppProject', 'Application'].includes(r.inputs.kind));
    const emitted = new Set(synced.map((r) => `${group(r.inputs.apiVersion)}/${r.inputs.kind}`));
    expect(emitted).toContain('argoproj.io/Rollout');
    expect(emitted).toContain('argoproj.io/AnalysisTemplate');
    expect([...emitted].filter((k) => !allowed.has(k))).toEqual([]);
  });

  test('the policy pack objects once the Rollout has no PodDisruptionBudget', async () => {
    const withoutBudget = packInputs(canary).filter((r) => r.name !== 'monitoring-app-pdb');
    expect((await runPack(withoutBudget, 'prod')).map((d) => `${d.policy}: ${d.message}`)).toEqual([
      expect.stringMatching(/^disruption-budget-per-replicated-workload: Rollout monitoring-app-[0-9a-f]+: no PodDisruptionBudget selects its pods$/),
    ]);
  });
});

describe('rollouts config', () => {
  test.each([
    [{ enabled: true }, 'orchestrator:rollouts.prometheusUrl is required when rollouts.enabled is true (the Prometheus that scrapes this stack, e.g. http://prometheus-operated.monitoring.svc:9090)'],
    [{ enabled: 'yes' }, 'orchestrator:rollouts.enabled must be true or false (got "yes")'],
    [{ enabled: true, prometheusUrl: 'prometheus:9090' }, 'orchestrator:rollouts.prometheusUrl must be an http:// or https:// URL of the Prometheus HTTP API'],
    [{ canaryWeights: [50, 20] }, 'orchestrator:rollouts.canaryWeights must be ascending whole percentages between 1 and 99, e.g. [20, 50] (got [50,20])'],
    [{ canaryWeights: [20, 100] }, 'orchestrator:rollouts.canaryWeights.1 must be ascending whole percentages between 1 and 99'],
    [{ canaryWeights: [] }, 'orchestrator:rollouts.canaryWeights must be ascending whole percentages between 1 and 99'],
    [{ analysis: { interval: '1 minute' } }, 'orchestrator:rollouts.analysis.interval must be a duration such as 30s, 1m or 2h (got "1 minute")'],
    [{ analysis: { window: '30s' } }, "orchestrator:rollouts.analysis.window must be at least 1m: two scrapes of the canary at the PodMonitors' 30 s interval (got \"30s\")"],
    [{ analysis: { count: 3, failureLimit: 3 } }, 'orchestrator:rollouts.analysis.failureLimit must be less than analysis.count, or no step could pass (got 3)'],
    [{ analysis: { count: 0 } }, 'orchestrator:rollouts.analysis.count must be a whole number between 1 and 30 (got 0)'],
    [{ analysis: { maxErrorRatio: 1.5 } }, 'orchestrator:rollouts.analysis.maxErrorRatio must be a number from 0 to 1 (a share of requests) (got 1.5)'],
    [{ analysis: { maxP99Seconds: 30 } }, "orchestrator:rollouts.analysis.maxP99Seconds must be at most 10: the request histogram's largest bucket, beyond which a p99 cannot be read (got 30)"],
    [{ services: ['allocator'] }, 'orchestrator:rollouts.services is not a known setting'],
  ])('%j is refused: %s', (rollouts, message) => {
    expect(() => parseStackConfig({ rollouts })).toThrow(message);
  });

  test('the defaults: off, two steps at 20 and 50 %, four measurements a minute apart over a 2-minute window', () => {
    expect(parseStackConfig({}).rollouts).toEqual({
      enabled: false,
      canaryWeights: [20, 50],
      analysis: { interval: '1m', count: 4, failureLimit: 1, window: '2m', maxErrorRatio: 0.01, maxP99Seconds: 0.5, maxRefusedShareAboveStable: 0.02 },
    });
  });
});
