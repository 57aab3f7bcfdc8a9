/** GitOps delivery: the sync wave of every object, and the Argo CD AppProject and Application of a stack. */
import { parseStackConfig } from '../../components/stack-config';
import { CLUSTER_KINDS, NAMESPACED_KINDS } from '../../components/gitops/argocd-spec';
import { SERVICES_WAVE, SYNC_WAVE_ANNOTATION, syncWave, syncWaveTransformation } from '../../components/gitops/sync-waves';
import { runPack } from '../support/policy-pack';
import { validateKubernetesObject } from './support/kubernetes-schema';
import { engineConfig, kubernetesObjects, ofKind, ProgramRun, runProgram, stackFileConfig } from './support/program';

const REPO = 'https://github.com/acme/orchestrator.git';
const withGitops = (stack: string, gitops: Record<string, unknown>) => ({ ...stackFileConfig(stack), ...engineConfig({ 'orchestrator:gitops': gitops }) });
const argoObjects = (run: ProgramRun) => kubernetesObjects(run).filter((r) => r.inputs.apiVersion === 'argoproj.io/v1alpha1');
const synced = (run: ProgramRun) => kubernetesObjects(run).filter((r) => !argoObjects(run).includes(r));

describe('sync waves', () => {
  test.each([
    ['orchestrator', 0],
    ['zookeeper', 1],
    ['mesos-master', 2],
    ['mesos-agent', 3],
    ['marathon', 4],
    ['allocator', SERVICES_WAVE],
    ['sync-engine', SERVICES_WAVE],
    ['probe', SERVICES_WAVE],
    ['app', SERVICES_WAVE],
    ['a-service-added-next-year', SERVICES_WAVE],
    ['constructor', SERVICES_WAVE],
    [undefined, SERVICES_WAVE],
  ])('%s is in wave %i', (app, wave) => {
    expect(syncWave(app)).toBe(wave);
  });

  test('bring the platform up in order: ZooKeeper, Mesos masters, agents, Marathon, then the services', () => {
    const order = ['orchestrator', 'zookeeper', 'mesos-master', 'mesos-agent', 'marathon', 'allocator'].map(syncWave);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  test('the transformation annotates a Kubernetes object of any part, keeping its annotations, and leaves other resources alone', async () => {
    const args = (type: string, metadata: unknown) => ({ type, name: 'x', props: { metadata }, opts: {}, resource: undefined as any });
    const result = syncWaveTransformation(args('kubernetes:apps/v1:Deployment', { labels: { 'app.kubernetes.io/name': 'allocator' }, annotations: { keep: 'me' } }))!;
    const metadata: any = await new Promise((resolve) => (result.props.metadata as any).apply(resolve));
    expect(metadata.annotations).toEqual({ keep: 'me', [SYNC_WAVE_ANNOTATION]: String(SERVICES_WAVE) });
    expect(syncWaveTransformation(args('orchestrator:services:Allocator', undefined))).toBeUndefined();
    expect(syncWaveTransformation(args('kubernetes:argoproj.io/v1alpha1:Application', { labels: {} }))).toBeUndefined();
  });

  test.each(['dev', 'prod'])('every object of the %s stack carries the wave of its part, and only top-level metadata does', async (stack) => {
    const run = await runProgram(stack, stackFileConfig(stack));
    for (const r of kubernetesObjects(run)) {
      expect({ object: r.name, wave: r.inputs.metadata.annotations?.[SYNC_WAVE_ANNOTATION] }).toEqual({ object: r.name, wave: String(syncWave(r.inputs.metadata.labels['app.kubernetes.io/name'])) });
      expect(r.inputs.spec?.template?.metadata?.annotations?.[SYNC_WAVE_ANNOTATION]).toBeUndefined();
    }
    const waveOf = (kind: string, app: string) => ofKind(run, kind).find((r) => r.inputs.metadata.labels['app.kubernetes.io/name'] === app)!.inputs.metadata.annotations[SYNC_WAVE_ANNOTATION];
    expect(['Namespace/orchestrator', 'StatefulSet/zookeeper', 'StatefulSet/mesos-master', 'DaemonSet/mesos-agent', 'Deployment/marathon'].map((k) => waveOf(...(k.split('/') as [string, string])))).toEqual(['0', '1', '2', '3', '4']);
  });
});

describe('Argo CD delivery of a stack', () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram('prod', withGitops('prod', { enabled: true, repoURL: REPO }));
  });

  test('is off unless the stack turns it on', async () => {
    expect(argoObjects(await runProgram('dev', stackFileConfig('dev')))).toEqual([]);
  });

  test('declares an AppProject and an Application named after the installation, in Argo CD\'s namespace', () => {
    expect(argoObjects(run).map((r) => [r.inputs.kind, r.inputs.metadata.namespace, r.inputs.metadata.name])).toEqual([
      ['AppProject', 'argocd', 'orchestrator-prod'],
      ['Application', 'argocd', 'orchestrator-prod'],
    ]);
  });

  test('both validate against the Argo CD schema, with no unknown fields', () => {
    expect(argoObjects(run).flatMap((r) => validateKubernetesObject(r.inputs).map((p) => `${r.inputs.kind}: ${p}`))).toEqual([]);
  });

  test('the Application syncs deploy/<stack> from the repository automatically, pruning, self-healing and retrying with backoff', () => {
    const app = ofKind(run, 'Application')[0].inputs;
    expect(app.spec).toMatchObject({
      project: 'orchestrator-prod',
      source: { repoURL: REPO, targetRevision: 'main', path: 'deploy/prod', directory: { recurse: true } },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'orchestrator' },
      syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } } },
    });
    expect(app.metadata.finalizers).toBeUndefined();
  });

  test('the AppProject allows the one repository, the stack namespace and listed kinds, and nothing by wildcard', () => {
    const project = ofKind(run, 'AppProject')[0].inputs;
    expect(project.spec.sourceRepos).toEqual([REPO]);
    expect(project.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: 'orchestrator' }]);
    expect(project.spec.clusterResourceWhitelist).toEqual([{ group: '', kind: 'Namespace' }]);
    expect(JSON.stringify(project)).not.toMatch(/"\*"|\*/);
  });

  test('the AppProject allows every kind the program emits, with Namespace the only cluster-scoped one', () => {
    const group = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
    const allowed = [...CLUSTER_KINDS, ...NAMESPACED_KINDS].map((k) => `${k.group}/${k.kind}`);
    const emitted = [...new Set(synced(run).map((r) => `${group(r.inputs.apiVersion)}/${r.inputs.kind}`))];
    expect(emitted.filter((k) => !allowed.includes(k))).toEqual([]);
    expect(synced(run).filter((r) => r.inputs.metadata.namespace === undefined).map((r) => r.inputs.kind)).toEqual(['Namespace']);
  });

  test('the Argo CD objects carry the common labels and no sync wave, and the policy pack passes the whole stack', async () => {
    for (const r of argoObjects(run)) expect(r.inputs.metadata.annotations?.[SYNC_WAVE_ANNOTATION]).toBeUndefined();
    expect(await runPack(run.resources.map(({ type, name, inputs, outputs }) => ({ type, name, inputs, outputs })), 'prod')).toEqual([]);
  });

  test('follows the configured revision and directory', async () => {
    const other = await runProgram('dev', withGitops('dev', { enabled: true, repoURL: 'git@github.com:acme/orchestrator.git', targetRevision: 'release-1', path: 'environments/dev' }));
    expect(ofKind(other, 'Application')[0].inputs.spec.source).toMatchObject({ repoURL: 'git@github.com:acme/orchestrator.git', targetRevision: 'release-1', path: 'environments/dev' });
  });

  test.each([
    [{ enabled: true }, 'orchestrator:gitops.repoURL is required when gitops.enabled is true'],
    [{ enabled: 'yes', repoURL: REPO }, 'orchestrator:gitops.enabled must be true or false (got "yes")'],
    [{ enabled: true, repoURL: 'github.com/acme/orchestrator' }, 'orchestrator:gitops.repoURL must be a git repository URL (https://…, ssh://… or git@host:path) (got "github.com/acme/orchestrator")'],
    [{ enabled: true, repoURL: REPO, path: '/deploy/dev' }, 'orchestrator:gitops.path must be a relative directory such as deploy/dev, without leading or trailing slashes (got "/deploy/dev")'],
    [{ enabled: true, repoURL: REPO, argocdNamespace: 'Argo' }, 'orchestrator:gitops.argocdNamespace must be a DNS-1123 label'],
    [{ enabled: true, repoURL: REPO, branch: 'main' }, 'orchestrator:gitops.branch is not a known setting'],
  ])('config %j is refused: %s', (gitops, message) => {
    expect(() => parseStackConfig({ gitops })).toThrow(message);
  });
});
