/**
 * Reaching into Kubernetes objects as the engine hands them to a policy: plain JSON, the resource's inputs for
 * resource policies and its outputs for stack policies. During a preview a value that depends on another resource
 * may be unknown, and reading it throws (the engine then reports the policy as advisory for that object), so the
 * rules read only the fields they judge.
 */

// Policies judge arbitrary JSON from the engine; typing every path would only hide the checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The object itself when `type` is a Kubernetes object (`kubernetes:<group>/<version>:<Kind>`), else undefined. */
export function kubernetesObject(type: string, props: Json): Json | undefined {
  if (!type.startsWith('kubernetes:')) return undefined;
  // Components of the provider (yaml ConfigFile, helm Chart) carry no apiVersion/kind of their own.
  return typeof props.apiVersion === 'string' && typeof props.kind === 'string' ? props : undefined;
}

/** `Kind name` for messages: the object's own name where it has one, else the Pulumi resource name. */
export function describe(object: Json, resourceName: string): string {
  return `${object.kind} ${object.metadata?.name ?? resourceName}`;
}

export interface PodTemplate {
  metadata?: Json;
  spec: Json;
}

// Where each workload kind keeps the pods it makes. A Rollout may point at a Deployment instead (workloadRef);
// that Deployment is then judged on its own.
const POD_TEMPLATES: Record<string, (o: Json) => PodTemplate | undefined> = {
  Pod: (o) => (o.spec ? { metadata: o.metadata, spec: o.spec } : undefined),
  Deployment: (o) => o.spec?.template,
  StatefulSet: (o) => o.spec?.template,
  DaemonSet: (o) => o.spec?.template,
  ReplicaSet: (o) => o.spec?.template,
  Job: (o) => o.spec?.template,
  CronJob: (o) => o.spec?.jobTemplate?.spec?.template,
  Rollout: (o) => o.spec?.template,
};

/** Kinds that run several interchangeable or ordered replicas, which a drain must not take down all at once. */
export const REPLICATED_KINDS = ['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout'];

/** The pod template of a workload (the pod's own spec for a Pod), or undefined for every other object. */
export function podTemplate(object: Json): PodTemplate | undefined {
  const template = POD_TEMPLATES[object.kind]?.(object);
  return template?.spec ? template : undefined;
}

/** The `app.kubernetes.io/name` of a workload's pods. */
export function podApp(template: PodTemplate): string | undefined {
  return template.metadata?.labels?.['app.kubernetes.io/name'];
}

export interface ContainerAt {
  container: Json;
  /** Init containers run to completion before the others start. */
  init: boolean;
}

export function containers(spec: Json): ContainerAt[] {
  return [
    ...(spec.initContainers ?? []).map((container: Json) => ({ container, init: true })),
    ...(spec.containers ?? []).map((container: Json) => ({ container, init: false })),
  ];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a label selector selects an object with these labels (an empty selector selects everything). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  const byLabel = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => have[k] === v);
  const byExpression = (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in have && values.includes(have[key]);
      case 'NotIn':
        return !(key in have) || !values.includes(have[key]);
      case 'Exists':
        return key in have;
      case 'DoesNotExist':
        return !(key in have);
      default:
        return false;
    }
  });
  return byLabel && byExpression;
}
