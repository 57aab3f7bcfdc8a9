/**
 * The recommended Kubernetes labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/),
 * carried by every object the program emits so that `kubectl get -l app.kubernetes.io/part-of=orchestrator` finds
 * all of it and dashboards can group by component.
 */

export const PART_OF = 'orchestrator';
export const MANAGED_BY = 'pulumi';

export interface LabelArgs {
  /** The application: zookeeper, mesos-master, mesos-agent, marathon. */
  name: string;
  /** This installation, unique per stack (e.g. `orchestrator-dev`). */
  instance: string;
  /** The role the application plays in the platform: coordination, master, agent, scheduler. */
  component: string;
}

export type Labels = Record<string, string>;

export function commonLabels(args: LabelArgs): Labels {
  return {
    'app.kubernetes.io/name': args.name,
    'app.kubernetes.io/instance': args.instance,
    'app.kubernetes.io/component': args.component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** The immutable subset used in selectors: a selector must never change after a workload is created. */
export function selectorLabels(args: LabelArgs): Labels {
  return { 'app.kubernetes.io/name': args.name, 'app.kubernetes.io/instance': args.instance };
}

/** The labels, selector and metadata every object of one platform part shares. */
export function partIdentity(args: LabelArgs & { namespace: string }): { labels: Labels; selector: Labels; metadata: { namespace: string; labels: Labels } } {
  const labels = commonLabels(args);
  return { labels, selector: selectorLabels(args), metadata: { namespace: args.namespace, labels } };
}
