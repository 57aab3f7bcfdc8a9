/**
 * What the cluster's controllers report about a namespace's workloads and pods, read through kubectl.
 */
import type { Kubectl } from './cluster/kubectl';

export interface WorkloadStatus {
  kind: 'StatefulSet' | 'Deployment' | 'DaemonSet';
  name: string;
  /** Pods the controller wants. */
  desired: number;
  ready: number;
  /** Pods at the current template revision. */
  updated: number;
  /** The controller has seen the latest spec. */
  observed: boolean;
}

export async function workloadStatuses(kubectl: Kubectl, namespace: string): Promise<WorkloadStatus[]> {
  const list = await kubectl.getJson(['statefulsets,deployments,daemonsets', '-n', namespace]);
  return list.items.map((w: any): WorkloadStatus => {
    const observed = (w.status?.observedGeneration ?? 0) >= w.metadata.generation;
    if (w.kind === 'DaemonSet') {
      return { kind: w.kind, name: w.metadata.name, desired: w.status?.desiredNumberScheduled ?? 0, ready: w.status?.numberReady ?? 0, updated: w.status?.updatedNumberScheduled ?? 0, observed };
    }
    return { kind: w.kind, name: w.metadata.name, desired: w.spec.replicas ?? 1, ready: w.status?.readyReplicas ?? 0, updated: w.status?.updatedReplicas ?? 0, observed };
  });
}

/** Workloads that are not fully rolled out and ready (none, when the namespace is settled). */
export async function unreadyWorkloads(kubectl: Kubectl, namespace: string): Promise<string[]> {
  return (await workloadStatuses(kubectl, namespace))
    .filter((w) => !w.observed || w.desired === 0 || w.ready !== w.desired || w.updated !== w.desired)
    .map((w) => `${w.kind}/${w.name}: ${w.ready}/${w.desired} ready, ${w.updated} updated${w.observed ? '' : ', generation not observed'}`);
}

export interface PodPlacement {
  name: string;
  /** `app.kubernetes.io/name` of the pod. */
  app: string;
  node: string;
  ready: boolean;
  phase: string;
}

export async function podPlacements(kubectl: Kubectl, namespace: string): Promise<PodPlacement[]> {
  const pods = await kubectl.getJson(['pods', '-n', namespace]);
  return pods.items.map((p: any) => ({
    name: p.metadata.name,
    app: p.metadata.labels?.['app.kubernetes.io/name'] ?? '',
    node: p.spec.nodeName ?? '',
    ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    phase: p.status?.phase ?? '',
  }));
}
