/**
 * Objects and fields every platform workload declares the same way: its common args, its ServiceAccount, its
 * PodDisruptionBudget and its volume claim.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { Labels } from './labels';
import type { ResourceRequirements, StorageConfig } from './stack-config';

/** What every platform part is given. */
export interface WorkloadArgs {
  /** Namespace the part lives in. */
  namespace: string;
  /** `app.kubernetes.io/instance` of this installation. */
  instance: string;
  /** Pinned image of the part's main container. */
  image: string;
  /** Requests and limits of the main container. */
  resources: ResourceRequirements;
}

type Metadata = { namespace: string; labels: Labels };

/**
 * A ServiceAccount of the part's own whose token is never mounted: no platform part talks to the Kubernetes API,
 * so none should carry a credential for it.
 */
export function tokenlessServiceAccount(name: string, metadata: Metadata, parent: pulumi.Resource): k8s.core.v1.ServiceAccount {
  return new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata, automountServiceAccountToken: false }, { parent });
}

/** A PodDisruptionBudget over the part's pods, bounding voluntary evictions (drains, upgrades). */
export function disruptionBudget(
  name: string,
  metadata: Metadata,
  selector: Labels,
  bound: { minAvailable: number } | { maxUnavailable: number },
  parent: pulumi.Resource,
): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata, spec: { ...bound, selector: { matchLabels: selector } } }, { parent });
}

/** A StatefulSet volume claim template; an empty class name leaves the choice to the cluster's default class. */
export function volumeClaim(name: string, labels: Labels, storage: StorageConfig): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name, labels },
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: storage.className || undefined, resources: { requests: { storage: storage.size } } },
  };
}
