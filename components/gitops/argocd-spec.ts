/**
 * The Argo CD objects of one environment as plain data: an AppProject that fences in what the environment's
 * Application may deploy, and the Application that keeps the cluster equal to the manifests rendered into git.
 */
import type { Labels } from '../labels';

/** A Kubernetes kind by API group (`''` is the core group), as AppProject allow-lists name them. */
export interface GroupKind {
  group: string;
  kind: string;
}

/** The one cluster-scoped kind the platform's manifests hold. */
export const CLUSTER_KINDS: GroupKind[] = [{ group: '', kind: 'Namespace' }];

/**
 * The namespaced kinds the platform and its services may ship. Listed one by one (never `*`) so that a manifest of
 * any other kind, say a RoleBinding slipped into deploy/<stack>, is refused by Argo CD rather than applied.
 */
export const NAMESPACED_KINDS: GroupKind[] = [
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'Secret' },
  { group: '', kind: 'PersistentVolumeClaim' },
  { group: '', kind: 'Service' },
  { group: '', kind: 'ServiceAccount' },
  { group: 'apps', kind: 'Deployment' },
  { group: 'apps', kind: 'StatefulSet' },
  { group: 'apps', kind: 'DaemonSet' },
  { group: 'policy', kind: 'PodDisruptionBudget' },
  { group: 'monitoring.coreos.com', kind: 'ServiceMonitor' },
  { group: 'monitoring.coreos.com', kind: 'PodMonitor' },
  { group: 'monitoring.coreos.com', kind: 'PrometheusRule' },
  { group: 'argoproj.io', kind: 'Rollout' },
  { group: 'argoproj.io', kind: 'AnalysisTemplate' },
];

export interface EnvironmentDelivery {
  /** Name of both objects: the installation (`orchestrator-<stack>`), what operators type in `argocd app get`. */
  name: string;
  /** Namespace Argo CD runs in. */
  argocdNamespace: string;
  /** Git repository and revision holding the rendered manifests, and their directory in it. */
  repoURL: string;
  targetRevision: string;
  path: string;
  /** Where they are applied: the API server and the stack's namespace. */
  destinationServer: string;
  destinationNamespace: string;
  labels: Labels;
}

/** Where a stack's manifests live in the repository: the configured path, or `deploy/<stack>`. */
export function manifestPath(configured: string, stack: string): string {
  return configured === '' ? `deploy/${stack}` : configured;
}

export function appProject(d: EnvironmentDelivery) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: d.name, namespace: d.argocdNamespace, labels: d.labels },
    spec: {
      sourceRepos: [d.repoURL],
      destinations: [{ server: d.destinationServer, namespace: d.destinationNamespace }],
      clusterResourceWhitelist: CLUSTER_KINDS,
      namespaceResourceWhitelist: NAMESPACED_KINDS,
      // Objects in the namespace that git does not hold show up as warnings instead of going unnoticed.
      orphanedResources: { warn: true },
    },
  };
}

export function application(d: EnvironmentDelivery) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    // No resources-finalizer: deleting the Application (say, to move it) must not delete the running platform.
    metadata: { name: d.name, namespace: d.argocdNamespace, labels: d.labels },
    spec: {
      project: d.name,
      // renderYamlToDirectory writes CRDs and other objects into subdirectories of the stack's directory.
      source: { repoURL: d.repoURL, targetRevision: d.targetRevision, path: d.path, directory: { recurse: true } },
      destination: { server: d.destinationServer, namespace: d.destinationNamespace },
      syncPolicy: {
        // Git is the truth: objects removed from it are removed from the cluster, and hand edits are reverted.
        automated: { prune: true, selfHeal: true },
        // Prune only once everything else is synced and healthy; the namespace is one of the manifests.
        syncOptions: ['PruneLast=true', 'CreateNamespace=false'],
        // A sync that fails (an API server restart, a webhook not yet up) is retried with growing pauses.
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
      revisionHistoryLimit: 10,
    },
  };
}
