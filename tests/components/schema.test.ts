import { validateKubernetesObject } from './support/kubernetes-schema';
import { kubernetesObjects, ProgramRun, runProgram, stackFileConfig, withSyncEngine } from './support/program';

const KINDS = ['ConfigMap', 'DaemonSet', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'PodMonitor', 'PrometheusRule', 'Secret', 'Service', 'ServiceAccount', 'StatefulSet'];

describe.each([
  ['dev', 'dev', () => stackFileConfig('dev'), KINDS],
  ['prod', 'prod', () => stackFileConfig('prod'), KINDS],
  // The sync-engine's state volume is the one PersistentVolumeClaim outside a StatefulSet's templates.
  ['dev with the sync-engine enabled', 'dev', () => withSyncEngine('dev'), [...KINDS, 'PersistentVolumeClaim'].sort()],
] as const)('the %s stack', (_label, stack, config, kinds) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack, config());
  });

  test('emits Kubernetes objects of every expected kind', () => {
    const emitted = new Set(kubernetesObjects(run).map((r) => r.inputs.kind));
    expect([...emitted].sort()).toEqual(kinds);
  });

  test('every emitted object validates against the Kubernetes OpenAPI schema, with no unknown fields', () => {
    const problems = kubernetesObjects(run).flatMap((r) => validateKubernetesObject(r.inputs).map((p) => `${r.inputs.kind} ${r.name}: ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('the schema check itself', () => {
  const deployment = () => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27.2', ports: [{ containerPort: 80 }] }] } },
    },
  });

  test('accepts a valid object', () => {
    expect(validateKubernetesObject(deployment())).toEqual([]);
  });

  test('rejects a misspelled field the API server would silently drop', () => {
    const object: any = deployment();
    object.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    expect(validateKubernetesObject(object)).toEqual(['spec.template.spec.containers[0].imagePullPolcy is not a field of apps/v1 Deployment']);
  });

  test('rejects a field of the wrong type', () => {
    const object: any = deployment();
    object.spec.replicas = '3';
    expect(validateKubernetesObject(object).join()).toMatch(/spec\/replicas must be integer/);
  });

  test('rejects a missing required field', () => {
    const object: any = deployment();
    delete object.spec.template.spec.containers[0].name;
    expect(validateKubernetesObject(object).join()).toMatch(/containers\/0 must have required property name/);
  });

  test('reads the Prometheus Operator models too, which ship as ES modules only', () => {
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'web' } }, podMetricsEndpoints: [{ port: 'http', path: '/metrics' }] },
    };
    expect(validateKubernetesObject(monitor)).toEqual([]);
    const misspelled: any = structuredClone(monitor);
    misspelled.spec.podMetricsEndpoints[0].intervall = '30s';
    expect(validateKubernetesObject(misspelled)).toEqual(['spec.podMetricsEndpoints[0].intervall is not a field of monitoring.coreos.com/v1 PodMonitor']);
    const mistyped: any = structuredClone(monitor);
    mistyped.spec.podMetricsEndpoints[0].port = 8080;
    expect(validateKubernetesObject(mistyped).join()).toMatch(/podMetricsEndpoints\/0\/port must be string/);
  });

  test('accepts any key in maps such as labels and annotations', () => {
    const object: any = deployment();
    object.metadata.annotations = { 'example.com/anything': 'x' };
    expect(validateKubernetesObject(object)).toEqual([]);
  });
});
