/** Helpers to reach into emitted workloads: their pod templates and containers. */
import { Emitted, kubernetesObjects, ProgramRun } from './program';

export const WORKLOAD_KINDS = ['StatefulSet', 'Deployment', 'DaemonSet', 'Rollout'];

export function workloads(run: ProgramRun): Emitted[] {
  return kubernetesObjects(run).filter((r) => WORKLOAD_KINDS.includes(r.inputs.kind));
}

export interface ContainerAt {
  workload: Emitted;
  container: any;
  init: boolean;
  podSpec: any;
}

export function containers(run: ProgramRun): ContainerAt[] {
  return workloads(run).flatMap((workload) => {
    const podSpec = workload.inputs.spec.template.spec;
    return [
      ...(podSpec.initContainers ?? []).map((container: any) => ({ workload, container, init: true, podSpec })),
      ...podSpec.containers.map((container: any) => ({ workload, container, init: false, podSpec })),
    ];
  });
}

/** The workload whose pods carry `app.kubernetes.io/name=<app>`. */
export function workload(run: ProgramRun, app: string): Emitted {
  const found = workloads(run).find((w) => w.inputs.spec.template.metadata.labels['app.kubernetes.io/name'] === app);
  if (!found) throw new Error(`no workload for ${app}`);
  return found;
}

export function env(c: any): Record<string, string> {
  return Object.fromEntries((c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
}

export function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
