import { validateKubernetesObject } from './support/kubernetes-schema';
import { kubernetesObjects, ProgramRun, runProgram, stackFileConfig } from './support/program';

describe.each(['dev', 'prod'])('the %s stack', (stack) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack, stackFileConfig(stack));
  });

  test('emits Kubernetes objects of every expected kind', () => {
    const kinds = new Set(kubernetesObjects(run).map((r) => r.inputs.kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'DaemonSet', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'StatefulSet']);
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

  test('accepts any key in maps such as labels and annotations', () => {
    const object: any = deployment();
    object.metadata.annotations = { 'example.com/anything': 'x' };
    expect(validateKubernetesObject(object)).toEqual([]);
  });
});
