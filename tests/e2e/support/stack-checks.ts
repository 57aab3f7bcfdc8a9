/**
 * Checks both stacks' end-to-end tests make, each returning what it found (a list of problems is empty when all is
 * well), so the tests' assertions print every problem at once.
 */
import { runProgram } from '../../components/support/program';
import type { Kubectl } from './cluster/kubectl';
import { declaredFieldDifferences, declaredObjects, kubectlResource, liveObject } from './declared-objects';
import type { PlannedStep, StackWorkspace } from './engine/stack-workspace';

/** `type name` of each resource, sorted; the engine's own (stack, providers) left out. */
export function resourceKeys(resources: { type: string; name: string }[]): string[] {
  return resources
    .filter((r) => !r.type.startsWith('pulumi:'))
    .map((r) => `${r.type} ${r.name}`)
    .sort();
}

/**
 * A preview of a new stack next to a run of the program under Pulumi's mocks with the same config: the resources the
 * engine plans, the ones the program declares, and the operations planned (the engine's own resources left out).
 */
export async function previewAgainstDeclared(ws: StackWorkspace): Promise<{ planned: string[]; declared: string[]; ops: string[] }> {
  const steps = await ws.preview();
  const declared = resourceKeys((await runProgram(ws.stack, await ws.engineConfig())).resources);
  const ops = [...new Set(steps.filter((s) => !s.type.startsWith('pulumi:')).map((s) => s.op))];
  return { planned: resourceKeys(steps), declared, ops };
}

/** Steps that change something, as `op type name`: not `same`, nor a refresh that read back what the state holds. */
export function changes(steps: PlannedStep[]): string[] {
  return steps.filter((s) => s.op !== 'same' && s.op !== 'refresh' && !s.type.startsWith('pulumi:')).map((s) => `${s.op} ${s.type} ${s.name}`);
}

/** Declared fields the API server's copy lacks or holds differently, per object, for every object in the state. */
export async function objectsDifferingFromDeclared(ws: StackWorkspace, kubectl: Kubectl): Promise<string[]> {
  const problems: string[] = [];
  for (const declared of declaredObjects(await ws.exportState())) {
    const live = await liveObject(kubectl, declared);
    const where = `${declared.type} ${declared.namespace ?? ''}/${declared.name}`;
    if (!live) problems.push(`${where}: not in the API server`);
    else problems.push(...declaredFieldDifferences(declared.object, live).map((d) => `${where}: ${d}`));
  }
  return problems;
}

/**
 * Each volume claim of the namespace with the claim's phase, its volume's StorageClass, and whether the volume sits on
 * the node of the pod that mounts it (local volumes are pinned to a node: `orchestrator.local/node`).
 */
export async function claimBindings(kubectl: Kubectl, namespace: string): Promise<{ claim: string; phase: string; storageClass: string; onPodsNode: boolean }[]> {
  const [claims, volumes, pods] = await Promise.all([kubectl.getJson(['pvc', '-n', namespace]), kubectl.getJson(['pv']), kubectl.getJson(['pods', '-n', namespace])]);
  const nodeOfClaim = new Map<string, string>();
  for (const pod of pods.items) for (const v of pod.spec.volumes ?? []) if (v.persistentVolumeClaim) nodeOfClaim.set(v.persistentVolumeClaim.claimName, pod.spec.nodeName);
  return claims.items.map((c: any) => {
    const volume = volumes.items.find((v: any) => v.metadata.name === c.spec.volumeName);
    return {
      claim: c.metadata.name,
      phase: c.status?.phase ?? '',
      storageClass: volume?.spec.storageClassName ?? '',
      onPodsNode: volume !== undefined && volume.metadata.labels?.['orchestrator.local/node'] === nodeOfClaim.get(c.metadata.name),
    };
  });
}

/** Objects of the stack's types still labelled with its instance, anywhere in the cluster, after a destroy. */
export async function leftoversOfInstance(kubectl: Kubectl, types: string[], instance: string): Promise<string[]> {
  const resources = [...new Set(types.map(kubectlResource))];
  const found = await kubectl.getJson([resources.join(','), '-A', '-l', `app.kubernetes.io/instance=${instance}`]);
  return found.items.map((o: any) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
}
