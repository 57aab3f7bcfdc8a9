/**
 * The dev stack through the real Pulumi engine and Kubernetes provider against a real control plane with kwok
 * nodes. The tests share one cluster and one stack and run in order, as an operator's day would: preview, up, read
 * the result back, render, drift, an update, an update the cluster refuses, destroy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './support/cluster/health';
import { REPO_ROOT } from './support/pinned-tools';
import { declaredObjects, DeclaredObject, liveObject } from './support/declared-objects';
import { documentedOutputs } from './support/documented-outputs';
import { readManifests, renderStackToDirectory } from './support/engine/render';
import { changes, claimBindings, leftoversOfInstance, objectsDifferingFromDeclared, previewAgainstDeclared } from './support/stack-checks';
import { stackOnLocalCluster } from './support/stack-on-cluster';
import { podPlacements, unreadyWorkloads } from './support/workload-status';

const NS = 'orchestrator-dev';
const INSTANCE = 'orchestrator-dev';

const env = stackOnLocalCluster('dev');

const declared = async (): Promise<DeclaredObject[]> => declaredObjects(await env.ws.exportState());
const named = (objects: DeclaredObject[], type: string, logical: string) => objects.find((o) => o.type === type && o.urn.endsWith(`::${logical}`))!;

test('preview plans exactly the resources the program declares, each one a create', async () => {
  const { planned, declared, ops } = await previewAgainstDeclared(env.ws);
  expect(planned).toEqual(declared);
  expect(ops).toEqual(['create']);
});

test('the policy pack runs for real: an agent work dir on a system directory stops the preview with the rule\'s reason', async () => {
  await env.ws.setConfig({ key: 'orchestrator:mesosAgents.workDir', value: '/etc' });
  const refused = await env.ws.run(['preview', '--policy-pack', join(REPO_ROOT, 'policy')]);
  expect(refused.code).not.toBe(0);
  expect(refused.stdout).toContain('[mandatory]  host-access-only-as-declared');
  expect(refused.stdout).toMatch(/DaemonSet mesos-agent-[a-z0-9]+: mounts the host path \/etc, which is, contains or lies inside the system directory \/etc/);
  await env.ws.setConfig({ key: 'orchestrator:mesosAgents.workDir', value: '/var/lib/mesos/agent' });
});

test('up passes the policy pack and brings every workload to ready, each volume claim bound to a default-class volume on its pod\'s node', async () => {
  const { stdout } = await env.ws.upOk();
  expect(stdout).toMatch(/Policy Packs run:\s+Name\s+Version\s+orchestrator\|local\|\S+\/policy /);
  expect(await unreadyWorkloads(env.cluster.kubectl, NS)).toEqual([]);
  const pods = await podPlacements(env.cluster.kubectl, NS);
  expect(pods.filter((p) => !p.ready || p.phase !== 'Running')).toEqual([]);
  // dev's agents have no selector or toleration: one per untainted (platform) node, none on the agent pool.
  expect(pods.filter((p) => p.app === 'mesos-agent').map((p) => p.node).sort()).toEqual(['platform-0', 'platform-1', 'platform-2']);
  const claims = await claimBindings(env.cluster.kubectl, NS);
  expect(claims.map((c) => c.claim).sort()).toEqual(['data-zookeeper-0', expect.stringMatching(/^work-mesos-master-[a-z0-9]+-0$/)]);
  expect(claims.filter((c) => c.phase !== 'Bound' || c.storageClass !== 'standard' || !c.onPodsNode)).toEqual([]);
});

test('the outputs are the README\'s documented contract and name Services and pods that exist', async () => {
  const out = await env.ws.outputs();
  expect(Object.keys(out).sort()).toEqual(documentedOutputs());
  expect(out.namespace).toBe(NS);
  expect(out.zookeeperConnectString).toBe(`zookeeper-0.zookeeper-headless.${NS}.svc.cluster.local:2181`);
  expect([out.zookeeperQuorum, out.mesosQuorum]).toEqual([1, 1]);
  expect(out.mesosZkUrl).toBe(`zk://${out.zookeeperConnectString}/mesos`);
  expect(out.marathonZkUrl).toBe(`zk://${out.zookeeperConnectString}/marathon`);
  // Every URL output names a Service of the namespace that serves its port.
  const urls = Object.entries(out).filter(([, v]) => typeof v === 'string' && v.startsWith('http://'));
  expect(urls.map(([k]) => k)).toEqual(expect.arrayContaining(['mesosMasterUrl', 'marathonUrl']));
  for (const [key, url] of urls) {
    const [, service, port] = new RegExp(`^http://([a-z0-9-]+)\\.${NS}\\.svc:(\\d+)$`).exec(String(url)) ?? [];
    expect([key, service]).toEqual([key, expect.any(String)]);
    const live = await env.cluster.kubectl.getJson(['service', service, '-n', NS]);
    expect([key, live.spec.ports.map((p: any) => p.port)]).toEqual([key, expect.arrayContaining([Number(port)])]);
  }
  // The server's DNS name is real once the headless Service's endpoints carry the pod's hostname.
  const slices = await env.cluster.kubectl.getJson(['endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=zookeeper-headless']);
  expect(slices.items.flatMap((s: any) => (s.endpoints ?? []).map((e: any) => e.hostname))).toEqual(['zookeeper-0']);
});

test('every object the program declared is in the API server with every field it declared', async () => {
  expect(await objectsDifferingFromDeclared(env.ws, env.cluster.kubectl)).toEqual([]);
});

test('renderYamlToDirectory writes, one file each, the objects that up applied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-render-'));
  try {
    const files = await renderStackToDirectory('dev', dir);
    const applied = (await declared()).map((d) => d.object);
    expect(files).toHaveLength(applied.length);
    expect(withAutonamesMasked(readManifests(dir))).toEqual(withAutonamesMasked(applied));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refresh after an out-of-band kubectl scale shows the drift; up will not take the field back from kubectl, and says so', async () => {
  const marathon = named(await declared(), 'kubernetes:apps/v1:Deployment', 'marathon');
  const scale = (replicas: number) => env.cluster.kubectl.run(['scale', 'deployment', marathon.name, '-n', NS, `--replicas=${replicas}`]);
  await scale(2);
  const drift = await env.ws.refreshPreview();
  expect(changes(drift)).toEqual(['update kubernetes:apps/v1:Deployment marathon']);
  expect(Object.keys(drift.find((s) => s.op === 'update')!.detailedDiff ?? {})).toEqual(['spec.replicas']);

  // Server-side apply: kubectl now manages spec.replicas, and the provider does not override another manager's field
  // unless the resource asks it to (pulumi.com/patchForce), so the update stops with the conflict, changing nothing.
  const result = await env.ws.up(['--refresh']);
  expect(result.code).not.toBe(0);
  expect(`${result.stdout}\n${result.stderr}`).toContain('conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
  expect((await env.cluster.kubectl.getJson(['deployment', marathon.name, '-n', NS])).spec.replicas).toBe(2);

  // Scaled back to what the program declares, the managers agree again and the stack applies cleanly.
  await scale(1);
  await env.ws.upOk(['--refresh']);
  expect(changes(await env.ws.preview())).toEqual([]);
  expect(await unreadyWorkloads(env.cluster.kubectl, NS)).toEqual([]);
});

test('a new image tag and cpu request update the ZooKeeper StatefulSet in place and roll its pod; nothing else changes', async () => {
  const before = await liveByUrn();
  const zkBefore = await env.cluster.kubectl.getJson(['statefulset', 'zookeeper', '-n', NS]);
  await env.ws.setConfig({ key: 'orchestrator:images.zookeeper', value: 'zookeeper:3.8.5' });
  await env.ws.setConfigTree('orchestrator:zookeeper.resources', { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  expect(changes(await env.ws.preview())).toEqual(['update kubernetes:apps/v1:StatefulSet zookeeper']);
  await env.ws.upOk();

  const zk = await env.cluster.kubectl.getJson(['statefulset', 'zookeeper', '-n', NS]);
  expect(zk.metadata.uid).toBe(zkBefore.metadata.uid);
  expect(zk.status.updateRevision).not.toBe(zkBefore.status.updateRevision);
  expect(zk.status.currentRevision).toBe(zk.status.updateRevision);
  const pod = await env.cluster.kubectl.getJson(['pod', 'zookeeper-0', '-n', NS]);
  expect(pod.metadata.labels['controller-revision-hash']).toBe(zk.status.updateRevision);
  expect(pod.spec.containers[0]).toMatchObject({ image: 'zookeeper:3.8.5', resources: { requests: { cpu: '500m' } } });
  expect(await unreadyWorkloads(env.cluster.kubectl, NS)).toEqual([]);

  // Every other object is the same object (uid) at the same spec generation.
  const after = await liveByUrn();
  const zkUrn = [...before.keys()].find((urn) => urn.endsWith('StatefulSet::zookeeper'))!;
  const moved = [...before].filter(([urn, b]) => urn !== zkUrn && (after.get(urn)?.uid !== b.uid || after.get(urn)?.generation !== b.generation));
  expect(moved).toEqual([]);
});

test('an update the API server refuses fails with the server\'s reason and leaves the stack agreeing with the cluster', async () => {
  // A cluster policy the program cannot know about: the kind of admission rule platform teams add.
  await env.cluster.kubectl.apply(memoryLimitPolicy());
  await waitFor('the memory limit policy to be enforced', Date.now() + 30_000, async () => {
    const refused = await env.cluster.kubectl.run(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(oversizedDeployment()) }).then(() => false, (err: Error) => err.message.includes('denied request'));
    return refused || 'a 9Gi container is still admitted';
  });
  const marathon = named(await declared(), 'kubernetes:apps/v1:Deployment', 'marathon');
  const resources = (memory: string) => ({ requests: { cpu: '250m', memory: '768Mi' }, limits: { cpu: '1', memory } });
  await env.ws.setConfigTree('orchestrator:marathon.resources', resources('12Gi'));
  // --skip-preview: the refusal comes from the real update request, not from the preview's dry run.
  const result = await env.ws.up(['--skip-preview']);
  expect(result.code).not.toBe(0);
  const output = `${result.stdout}\n${result.stderr}`;
  expect(output).toContain(marathon.name);
  expect(output).toContain('denied request: a container in this cluster may have a memory limit of at most 8Gi');

  const live = await env.cluster.kubectl.getJson(['deployment', marathon.name, '-n', NS]);
  expect(live.spec.template.spec.containers[0].resources.limits.memory).toBe('1536Mi');
  expect((await env.ws.exportState()).pending_operations ?? []).toEqual([]);
  expect(changes(await env.ws.refreshPreview())).toEqual([]);

  // With the setting restored the stack settles in one up. (The provider records a refused update's inputs as the
  // resource's last ones, so that up re-applies marathon's declared object; the server's copy does not change.)
  await env.ws.setConfigTree('orchestrator:marathon.resources', resources('1536Mi'));
  await env.ws.upOk();
  expect(changes(await env.ws.preview())).toEqual([]);
  expect((await env.cluster.kubectl.getJson(['deployment', marathon.name, '-n', NS])).metadata.generation).toBe(live.metadata.generation);
});

test('destroy removes the namespace and everything in it, and nothing of the stack is left in the cluster', async () => {
  const types = (await declared()).map((d) => d.type);
  await env.ws.destroy();
  expect(await env.cluster.kubectl.getOptional('namespace', NS)).toBeUndefined();
  expect((await env.ws.exportState()).resources ?? []).toEqual([]);
  expect(await leftoversOfInstance(env.cluster.kubectl, types, INSTANCE)).toEqual([]);
  expect((await env.cluster.kubectl.getJson(['pvc', '-A'])).items).toEqual([]);
});

/** uid and generation of every declared object in the API server, by URN. */
async function liveByUrn(): Promise<Map<string, { uid: string; generation?: number }>> {
  const objects = await declared();
  const live = await Promise.all(objects.map((d) => liveObject(env.cluster.kubectl, d)));
  return new Map(objects.map((d, i) => [d.urn, { uid: live[i]?.metadata.uid, generation: live[i]?.metadata.generation }]));
}

/**
 * Autonamed objects get a random suffix per run (`zookeeper-config-5f2a9c1b`), so a render and an up name them
 * differently; every autoname is replaced by its base wherever it appears, and objects are sorted by kind and name.
 */
function withAutonamesMasked(objects: any[]): any[] {
  const autonamed = objects.filter((o) => o.metadata?.annotations?.['pulumi.com/autonamed'] === 'true').map((o) => o.metadata.name as string);
  let text = JSON.stringify(objects);
  for (const name of autonamed) text = text.split(name).join(`${name.replace(/-[a-z0-9]+$/, '')}-<autoname>`);
  return (JSON.parse(text) as any[]).sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

/** A ValidatingAdmissionPolicy refusing workloads whose containers' memory limit exceeds 8Gi, bound cluster-wide. */
function memoryLimitPolicy(): object[] {
  const name = 'orchestrator-local-container-size';
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'statefulsets', 'daemonsets'] }] },
        validations: [
          {
            expression: "object.spec.template.spec.containers.all(c, !has(c.resources.limits) || !('memory' in c.resources.limits) || quantity(c.resources.limits.memory).compareTo(quantity('8Gi')) <= 0)",
            message: 'a container in this cluster may have a memory limit of at most 8Gi',
          },
        ],
      },
    },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name, validationActions: ['Deny'] } },
  ];
}

/** A Deployment the policy must refuse, sent as a server-side dry run to learn when the policy is in force. */
function oversizedDeployment(): object {
  const labels = { app: 'policy-probe' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'policy-probe', namespace: 'default' },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:1.36.1', resources: { limits: { memory: '9Gi' } } }] } } },
  };
}
