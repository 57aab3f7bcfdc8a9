/**
 * The policy pack on hand-made objects, through @pulumi/policy's own analyzer handlers (tests/support/policy-pack.ts):
 * what passes, and for each rule an object that breaks it and fails that rule alone.
 */
import { PROBE } from '../../services/lib/contract';
import { HOST_ACCESS_EXCEPTIONS } from '../../policy/host-access-exceptions';
import { imagePinProblem, policies } from '../../policy/rules';
import { analyzeResource, analyzeStack, Diagnostic, runPack, UNKNOWN } from '../support/policy-pack';
import { deployment, disruptionBudget, labels, mesosAgent, probe, resource, statefulSet } from './fixtures';

const failing = (ds: Diagnostic[]) => [...new Set(ds.map((d) => d.policy))].sort();
const judge = async (object: any) => analyzeResource(resource(object));
const pod = (o: any) => o.spec.template.spec;
const main = (o: any) => pod(o).containers[0];

describe('an ordinary workload', () => {
  test('a Deployment as the platform declares one, with its PodDisruptionBudget, passes every policy', async () => {
    expect(await runPack([resource(deployment()), resource(disruptionBudget())])).toEqual([]);
  });

  test.each<[string, string, (o: any) => void, RegExp]>([
    ['an image pinned to latest', 'pinned-images', (o) => (main(o).image = 'nginx:latest'), /container web image "nginx:latest" is pinned to latest/],
    ['an untagged image', 'pinned-images', (o) => (main(o).image = 'nginx'), /image "nginx" is not pinned/],
    ['an init container with an untagged image', 'pinned-images', (o) => (pod(o).initContainers = [{ ...main(o), name: 'init', image: 'busybox' }]), /container init image "busybox"/],
    ['no memory limit', 'requests-and-limits', (o) => delete main(o).resources.limits.memory, /container web sets no limits.memory/],
    ['no requests at all', 'requests-and-limits', (o) => delete main(o).resources.requests, /sets no requests.cpu, requests.memory/],
    ['no readiness probe', 'health-probes', (o) => delete main(o).readinessProbe, /container web has no readinessProbe/],
    ['no liveness probe', 'health-probes', (o) => delete main(o).livenessProbe, /container web has no livenessProbe/],
    ['no runAsNonRoot anywhere', 'non-root-containers', (o) => delete pod(o).securityContext.runAsNonRoot, /does not set runAsNonRoot: true/],
    ['a container overriding the pod\'s user with root', 'non-root-containers', (o) => (main(o).securityContext.runAsUser = 0), /does not run as a non-zero runAsUser/],
    ['a privileged container', 'non-root-containers', (o) => (main(o).securityContext.privileged = true), /container web runs privileged/],
    ['privilege escalation left allowed', 'non-root-containers', (o) => delete main(o).securityContext.allowPrivilegeEscalation, /allowPrivilegeEscalation: false/],
    ['capabilities not dropped', 'non-root-containers', (o) => (main(o).securityContext.capabilities = {}), /does not drop ALL capabilities/],
    ['a capability added', 'non-root-containers', (o) => (main(o).securityContext.capabilities.add = ['NET_ADMIN']), /adds capabilities NET_ADMIN/],
    ['the node\'s network', 'host-access-only-as-declared', (o) => (pod(o).hostNetwork = true), /shares the node's network/],
    ['the node\'s PID namespace', 'host-access-only-as-declared', (o) => (pod(o).hostPID = true), /shares the node's PID namespace/],
    ['a host path', 'host-access-only-as-declared', (o) => (pod(o).volumes = [{ name: 'etc', hostPath: { path: '/etc' } }]), /mounts the host path \/etc/],
    ['the API token mounted', 'no-service-account-token', (o) => delete pod(o).automountServiceAccountToken, /automountServiceAccountToken: false/],
    ['a label missing on the object', 'common-labels', (o) => delete o.metadata.labels['app.kubernetes.io/component'], /the object lacks the labels app.kubernetes.io\/component/],
    ['a label missing on the pod template', 'common-labels', (o) => delete o.spec.template.metadata.labels['app.kubernetes.io/instance'], /its pod template lacks the labels app.kubernetes.io\/instance/],
    ['another part-of', 'common-labels', (o) => (o.metadata.labels['app.kubernetes.io/part-of'] = 'billing'), /part-of billing, not orchestrator/],
    ['another manager', 'common-labels', (o) => (o.metadata.labels['app.kubernetes.io/managed-by'] = 'helm'), /managed-by helm, not pulumi/],
  ])('%s fails %s alone', async (_what, policy, breakIt, message) => {
    const object = deployment();
    breakIt(object);
    const ds = await judge(object);
    expect(failing(ds)).toEqual([policy]);
    expect(ds.map((d) => d.message).join('\n')).toMatch(message);
    expect(ds.every((d) => d.enforcementLevel === 'mandatory' && d.message.startsWith('Deployment web: '))).toBe(true);
  });

  test('an init container needs no probes (Kubernetes refuses them there)', async () => {
    const object = deployment();
    const { readinessProbe: _r, livenessProbe: _l, ...init } = main(object);
    pod(object).initContainers = [{ ...init, name: 'migrate' }];
    expect(await judge(object)).toEqual([]);
  });

  test('a volume claim template without the labels fails common-labels', async () => {
    const object = statefulSet();
    object.spec.volumeClaimTemplates[0].metadata.labels = {};
    expect((await judge(object)).map((d) => d.message)).toEqual([expect.stringMatching(/^StatefulSet db: its volume claim template data lacks the labels app.kubernetes.io\/name/)]);
  });

  test('objects without pods are judged on their labels only', async () => {
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'orchestrator', labels: labels('web') }, data: {} };
    expect(await judge(config)).toEqual([]);
    expect(failing(await judge({ ...config, metadata: { name: 'c' } }))).toEqual(['common-labels']);
  });

  test('resources that are not Kubernetes objects are not judged', async () => {
    expect(await analyzeResource({ type: 'orchestrator:zookeeper:ZooKeeperEnsemble', name: 'zookeeper', inputs: {} })).toEqual([]);
  });
});

describe('image references', () => {
  test.each([
    ['zookeeper:3.8.4', undefined],
    ['busybox:1', undefined],
    ['localhost:5000/orchestrator/allocator:0.1.0', undefined],
    [`ghcr.io/acme/orchestrator/app@sha256:${'a'.repeat(64)}`, undefined],
    [`ghcr.io/acme/orchestrator/app:0.1.0@sha256:${'b'.repeat(64)}`, undefined],
    ['zookeeper', 'is not pinned'],
    ['localhost:5000/orchestrator/allocator', 'is not pinned'],
    ['zookeeper:latest', 'is pinned to latest'],
    [`zookeeper@sha256:${'c'.repeat(12)}`, 'is not an image reference'],
    ['', 'has no image'],
  ])('%j: %s', (image, problem) => {
    const found = imagePinProblem(image);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('the declared host-access exceptions', () => {
  test('each names a DaemonSet container and says why', () => {
    expect(HOST_ACCESS_EXCEPTIONS.map((e) => `${e.kind}/${e.app}/${e.container}`)).toEqual(['DaemonSet/mesos-agent/mesos-agent', 'DaemonSet/probe/probe']);
    for (const e of HOST_ACCESS_EXCEPTIONS) for (const why of [e.why, ...e.hostPaths.map((p) => p.why)]) expect(why.length).toBeGreaterThan(20);
  });

  test('the probe\'s mounts and capabilities are the contract\'s', () => {
    const exception = HOST_ACCESS_EXCEPTIONS.find((e) => e.app === 'probe')!;
    expect(exception.hostPaths.map((p) => [p.hostPath, p.mountPath, p.readOnly])).toEqual(PROBE.hostMounts.map((m) => [m.hostPath, m.mountPath, true]));
    expect(exception.privilege).toEqual({ runAsUser: 0, addCapabilities: PROBE.security.capabilities, readOnlyRootFilesystem: true });
    expect(exception.hostPID).toBe(true);
  });

  test('the Mesos agent, privileged on the node\'s network with its three host paths, passes', async () => {
    expect(await judge(mesosAgent())).toEqual([]);
    expect(await judge(mesosAgent('/srv/mesos'))).toEqual([]);
  });

  test('the probe, root with its two capabilities and read-only host mounts in the node\'s PID namespace, passes', async () => {
    expect(await judge(probe())).toEqual([]);
  });

  test.each<[string, () => any, string[], RegExp]>([
    ['the agent mounting /etc as well', () => withVolume(mesosAgent(), 'etc', '/etc', '/etc'), ['host-access-only-as-declared'], /mounts the host path \/etc, which is, contains or lies inside the system directory \/etc/],
    ['the agent\'s work dir inside /etc', () => mesosAgent('/etc/mesos'), ['host-access-only-as-declared'], /\/etc\/mesos, which is, contains or lies inside the system directory \/etc/],
    ['the agent\'s work dir as /var', () => mesosAgent('/var'), ['host-access-only-as-declared'], /system directory \/var\/run/],
    ['the agent\'s work dir mounted elsewhere', () => mountAt(mesosAgent(), 'mesos-agent', 'work', '/work'), ['host-access-only-as-declared'], /mounts the host path \/var\/lib\/mesos\/agent otherwise than declared \(at \/var\/lib\/mesos\/agent\)/],
    ['the agent\'s pre-pull running privileged', () => withSecurity(mesosAgent(), 'pre-pull-busybox', { privileged: true }), ['non-root-containers'], /container pre-pull-busybox runs privileged/],
    ['the agent\'s pre-pull mounting the docker socket', () => withMount(mesosAgent(), 'pre-pull-busybox', 'docker-socket', '/var/run/docker.sock'), ['host-access-only-as-declared'], /lets pre-pull-busybox mount the host path \/var\/run\/docker.sock, granted to mesos-agent alone/],
    ['a Deployment named mesos-agent', () => asDeployment(mesosAgent()), ['host-access-only-as-declared', 'non-root-containers'], /container mesos-agent runs privileged/],
    ['the probe mounting /proc writable', () => mountAt(probe(), 'probe', 'host-proc', '/host/proc', false), ['host-access-only-as-declared'], /mounts the host path \/proc otherwise than declared \(at \/host\/proc, read-only\)/],
    ['the probe adding SYS_ADMIN', () => withSecurity(probe(), 'probe', { capabilities: { drop: ['ALL'], add: [...PROBE.security.capabilities, 'SYS_ADMIN'] } }), ['non-root-containers'], /adds capabilities SYS_ADMIN/],
    ['the probe keeping every capability', () => withSecurity(probe(), 'probe', { capabilities: { add: [...PROBE.security.capabilities] } }), ['non-root-containers'], /does not drop ALL capabilities/],
    ['the probe with a writable root filesystem', () => withSecurity(probe(), 'probe', { readOnlyRootFilesystem: false }), ['non-root-containers'], /readOnlyRootFilesystem: true/],
    ['the probe running privileged', () => withSecurity(probe(), 'probe', { privileged: true }), ['non-root-containers'], /container probe runs privileged/],
    ['the probe on the node\'s network', () => withPod(probe(), { hostNetwork: true }), ['host-access-only-as-declared'], /shares the node's network/],
    ['the probe mounting /var/lib/docker', () => withVolume(probe(), 'docker-data', '/var/lib/docker', '/var/lib/docker', true), ['host-access-only-as-declared'], /\/var\/lib\/docker, which the probe exception does not declare/],
    ['a sidecar in the probe\'s pod running as root', () => withSidecar(probe(), { runAsUser: 0 }), ['non-root-containers'], /container sidecar does not set runAsNonRoot: true/],
  ])('%s fails', async (_what, make, policies_, message) => {
    const ds = await judge(make());
    expect(failing(ds)).toEqual(policies_);
    expect(ds.map((d) => d.message).join('\n')).toMatch(message);
  });
});

describe('a PodDisruptionBudget per replicated workload (the stack policy)', () => {
  const stack = (...objects: any[]) => analyzeStack(objects.map((o) => resource(o)));

  test('a Deployment and a StatefulSet each with their own budget pass; a DaemonSet needs none', async () => {
    expect(await stack(deployment(), disruptionBudget(), statefulSet(), disruptionBudget('db'), mesosAgent())).toEqual([]);
  });

  test('a Deployment no budget selects fails, naming the Deployment', async () => {
    expect(await stack(deployment(), disruptionBudget('db'))).toEqual([
      { policy: 'disruption-budget-per-replicated-workload', enforcementLevel: 'mandatory', message: 'Deployment web: no PodDisruptionBudget selects its pods', urn: 'urn:pulumi:test::orchestrator::kubernetes:apps/v1:Deployment::web' },
    ]);
  });

  test('a budget in another namespace does not cover it', async () => {
    expect(failing(await stack(deployment(), disruptionBudget('web', 'elsewhere')))).toEqual(['disruption-budget-per-replicated-workload']);
  });

  test('two budgets selecting the same pods fail: the eviction API refuses such pods', async () => {
    const second = { ...disruptionBudget(), metadata: { ...disruptionBudget().metadata, name: 'web-pdb-2' } };
    expect((await stack(deployment(), disruptionBudget(), second)).map((d) => d.message)).toEqual([expect.stringMatching(/Deployment web: 2 PodDisruptionBudgets select its pods/)]);
  });

  test('a budget selecting by expression covers the pods it matches', async () => {
    const byExpression = disruptionBudget();
    byExpression.spec.selector = { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['web', 'api'] }] };
    expect(await stack(deployment(), byExpression)).toEqual([]);
    byExpression.spec.selector.matchExpressions[0].operator = 'NotIn';
    expect(failing(await stack(deployment(), byExpression))).toEqual(['disruption-budget-per-replicated-workload']);
  });
});

describe('during a preview', () => {
  test('an image not known until the update (a digest of an image built in the same run) makes pinned-images advisory for that object', async () => {
    const object = deployment();
    main(object).image = UNKNOWN;
    const ds = await judge(object);
    expect(ds).toEqual([expect.objectContaining({ policy: 'pinned-images', enforcementLevel: 'advisory', message: expect.stringMatching(/can't run policy 'pinned-images' .* during preview: string value at .* can't be known during preview/) })]);
  });

  test('the rules never read a container\'s environment, which depends on other resources\' outputs', async () => {
    const object = deployment();
    main(object).env = UNKNOWN;
    pod(object).serviceAccountName = UNKNOWN;
    expect(await judge(object)).toEqual([]);
  });
});

test('every policy is mandatory unless configured otherwise, and named uniquely', () => {
  const names = policies.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
  expect(policies.every((p) => p.enforcementLevel === undefined)).toBe(true);
});

function containerOf(o: any, name: string): any {
  return [...(pod(o).initContainers ?? []), ...pod(o).containers].find((c: any) => c.name === name);
}
function withVolume(o: any, name: string, hostPath: string, mountPath: string, readOnly = false): any {
  pod(o).volumes.push({ name, hostPath: { path: hostPath } });
  main(o).volumeMounts.push({ name, mountPath, readOnly });
  return o;
}
function withMount(o: any, container: string, name: string, mountPath: string): any {
  const c = containerOf(o, container);
  c.volumeMounts = [...(c.volumeMounts ?? []), { name, mountPath }];
  return o;
}
function mountAt(o: any, container: string, name: string, mountPath: string, readOnly?: boolean): any {
  const mount = containerOf(o, container).volumeMounts.find((m: any) => m.name === name);
  mount.mountPath = mountPath;
  if (readOnly !== undefined) mount.readOnly = readOnly;
  return o;
}
function withSecurity(o: any, container: string, fields: Record<string, unknown>): any {
  const c = containerOf(o, container);
  c.securityContext = { ...c.securityContext, ...fields };
  return o;
}
function withPod(o: any, fields: Record<string, unknown>): any {
  Object.assign(pod(o), fields);
  return o;
}
function asDeployment(o: any): any {
  return { ...o, kind: 'Deployment', spec: { ...o.spec, replicas: 1 } };
}
function withSidecar(o: any, security: Record<string, unknown>): any {
  const { volumeMounts: _m, ...rest } = main(o);
  pod(o).containers.push({ ...rest, name: 'sidecar', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...security } });
  return o;
}
