/**
 * `npm run render`: each stack's manifests for Argo CD, written by the real engine with no cluster. What Argo CD
 * syncs must be exactly what the program declares, the same bytes every time for the same commit and config, free of
 * secrets, and never half-written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../components/support/program';
import { LOCAL_STACK_CONFIG } from './support/engine/local-stack-config';
import { manifestFiles, readManifests, renderForGitOps, STABLE_NAMES } from './support/engine/render';
import { StackWorkspace } from './support/engine/stack-workspace';

const work = mkdtempSync(join(tmpdir(), 'orchestrator-render-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const byIdentity = (a: any, b: any) => `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`);

/**
 * The Kubernetes objects the program declares for `stack` under mocks, with the render's config, named as the
 * render names them: the mocks give an unnamed object `<logical name>-<hash>`, verbatim autonaming its logical name.
 */
async function declaredForRender(stack: string): Promise<any[]> {
  const ws = await StackWorkspace.create({ stack });
  let config: Record<string, string>;
  try {
    await ws.setConfig(STABLE_NAMES);
    config = await ws.engineConfig();
  } finally {
    ws.dispose();
  }
  const objects = (await runProgram(stack, config)).resources.filter((r) => r.type.startsWith('kubernetes:'));
  let text = JSON.stringify(objects.map((r) => r.inputs));
  for (const r of objects) if (!r.inputs.metadata?.name) text = text.split(String(r.outputs.metadata.name)).join(r.name);
  // The provider marks the objects it named, as it does on a cluster.
  return (JSON.parse(text) as any[]).map((o, i) =>
    objects[i].inputs.metadata?.name ? o : { ...o, metadata: { ...o.metadata, name: objects[i].name, annotations: { ...o.metadata.annotations, 'pulumi.com/autonamed': 'true' } } },
  );
}

/**
 * Without its empty strings, maps and lists: the provider leaves them out of the YAML it writes (an env var of value
 * "", an empty nodeSelector), which Kubernetes reads the same as absent.
 */
function withoutEmpty(value: any): any {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value === null || typeof value !== 'object') return value;
  const kept = Object.entries(value)
    .map(([k, v]) => [k, withoutEmpty(v)] as const)
    .filter(([, v]) => v !== '' && !(Array.isArray(v) && v.length === 0) && !(v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0));
  return Object.fromEntries(kept);
}

describe.each(['dev', 'prod'])('npm run render -- --stack %s', (stack) => {
  const first = join(work, stack, 'first');
  const second = join(work, stack, 'second');

  test('writes exactly the objects the program declares, named by their logical names, less the Secrets', async () => {
    const render = await renderForGitOps(stack, first);
    const declared = await declaredForRender(stack);
    const kept = declared.filter((o) => o.kind !== 'Secret');
    expect(render.files).toHaveLength(kept.length);
    expect(readManifests(first).map(withoutEmpty).sort(byIdentity)).toEqual(kept.map(withoutEmpty).sort(byIdentity));
    // The probe token's Secret is named, not written, and its value is in no file.
    expect(render.leftOut).toEqual([{ kind: 'Secret', namespace: expect.any(String), name: 'monitoring-probe-token', reason: expect.stringContaining('create it in the cluster') }]);
    const token = String(LOCAL_STACK_CONFIG.find((s) => s.key === 'orchestrator:monitoring.probeToken')!.value);
    expect(render.files.filter((f) => readFileSync(join(first, f), 'utf8').includes(token))).toEqual([]);
  });

  test('a second render of the same commit and config is byte for byte the same', async () => {
    await renderForGitOps(stack, second);
    const files = manifestFiles(first);
    expect(manifestFiles(second)).toEqual(files);
    expect(files.filter((f) => !readFileSync(join(first, f)).equals(readFileSync(join(second, f))))).toEqual([]);
  });

  test('a render the program refuses leaves the previous render as it was', async () => {
    const before = manifestFiles(second).map((f) => [f, readFileSync(join(second, f), 'utf8')]);
    writeFileSync(join(second, 'marker.txt'), 'kept');
    await expect(renderForGitOps(stack, second, { config: [{ key: 'orchestrator:zookeeper.replicas', value: 2 }] })).rejects.toThrow(/orchestrator:zookeeper\.replicas must be an odd number/);
    expect(manifestFiles(second).map((f) => [f, readFileSync(join(second, f), 'utf8')])).toEqual(before);
    expect(readFileSync(join(second, 'marker.txt'), 'utf8')).toBe('kept');
  });
});
