/**
 * Argo CD sync waves: the order in which Argo CD applies the platform's manifests, waiting for each wave to be
 * healthy before the next. ZooKeeper comes first because everything elects its leader through it; then the Mesos
 * masters, the agents that register with them, Marathon on top of both, and last the services.
 *
 * The wave is a function of an object's part (`app.kubernetes.io/name`) alone, and a stack transformation writes it
 * onto every Kubernetes object the program declares, so components never set it and a new service lands in the
 * services wave without any edit here.
 */
import * as pulumi from '@pulumi/pulumi';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

// The platform's parts in the order they can come up. `orchestrator` is the Namespace, which everything lives in.
const PLATFORM_WAVES: Record<string, number> = { orchestrator: 0, zookeeper: 1, 'mesos-master': 2, 'mesos-agent': 3, marathon: 4 };

/** Every part the platform list does not name: the companion services and whatever comes after them. */
export const SERVICES_WAVE = 5;

/** The sync wave of an object of this part (its `app.kubernetes.io/name`). */
export function syncWave(app: string | undefined): number {
  return app !== undefined && Object.hasOwn(PLATFORM_WAVES, app) ? PLATFORM_WAVES[app] : SERVICES_WAVE;
}

// The Argo CD objects are applied by Pulumi itself, not synced by Argo CD, so a wave on them would mean nothing.
const NOT_SYNCED_BY_ARGO_CD = ['kubernetes:argoproj.io/v1alpha1:Application', 'kubernetes:argoproj.io/v1alpha1:AppProject'];

type Metadata = { labels?: Record<string, string>; annotations?: Record<string, string> } & Record<string, unknown>;

/** `metadata` with the sync-wave annotation of its part added. */
export function withSyncWave(metadata: Metadata): Metadata {
  const wave = String(syncWave(metadata.labels?.['app.kubernetes.io/name']));
  return { ...metadata, annotations: { ...metadata.annotations, [SYNC_WAVE_ANNOTATION]: wave } };
}

/** The stack transformation: annotates the top-level metadata of every Kubernetes object Argo CD will sync. */
export function syncWaveTransformation(args: pulumi.ResourceTransformationArgs): pulumi.ResourceTransformationResult | undefined {
  if (!args.type.startsWith('kubernetes:') || NOT_SYNCED_BY_ARGO_CD.includes(args.type) || args.props.metadata === undefined) return undefined;
  // Metadata may hold outputs (a name another resource decides); resolving it keeps their values and dependencies.
  const metadata = pulumi.output(args.props.metadata as pulumi.Input<Metadata>).apply(withSyncWave);
  return { props: { ...args.props, metadata }, opts: args.opts };
}

/** Registers the transformation for every resource declared after this call; call it once, before the first. */
export function registerSyncWaves(): void {
  pulumi.runtime.registerStackTransformation(syncWaveTransformation);
}
