/**
 * The stack configuration: every `orchestrator:*` key, its default, and its rule, validated once into a typed
 * object before any resource is declared. Components never read `pulumi.Config` themselves.
 *
 * A bad value stops the program with one line naming the key and the rule, for example
 * `orchestrator:zookeeper.replicas must be an odd number between 1 and 7 (got 2)`.
 */
import { z } from 'zod';
import { HTTP_METRICS } from '../services/lib/contract';

/** The project's config namespace: keys are written `orchestrator:<key>` in `Pulumi.<stack>.yaml`. */
export const CONFIG_NAMESPACE = 'orchestrator';

// Kubernetes quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/),
// restricted to positive values: a zero or negative request is always a mistake here.
const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const quantity = z.string().regex(QUANTITY, { error: 'must be a positive Kubernetes quantity such as 500m, 2, 512Mi or 10Gi' }).refine((q) => parseQuantity(q) > 0, {
  error: 'must be a positive Kubernetes quantity such as 500m, 2, 512Mi or 10Gi',
});

// An image reference pinned to a tag other than `latest` (optionally with a digest). Pinning is what makes a
// `pulumi up` repeatable: the same stack config always runs the same bits.
const IMAGE = /^(?<repo>[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*):(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@sha256:[a-f0-9]{64})?$/;
const pinnedImage = (example: string) =>
  z
    .string()
    .regex(IMAGE, { error: `must be an image pinned to a tag, e.g. ${example}` })
    .refine((ref) => IMAGE.exec(ref)?.groups?.tag !== 'latest', { error: 'must be pinned to a tag other than latest' });
const image = pinnedImage('zookeeper:3.8.4');

// Where the service images are pushed: a registry host (a dot, a port or localhost, so Docker never reads it as a
// Docker Hub namespace) and an optional path. The images are <registry>/<repository from contract.ts>:<tag>.
const REGISTRY = /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+|[a-z0-9]([a-z0-9-]*[a-z0-9])?:\d+)(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const registry = z.string().regex(REGISTRY, { error: 'must be a registry host with an optional path, e.g. registry.example.com/platform or localhost:5000' });
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const imageTag = z
  .string()
  .regex(TAG, { error: 'must be a Docker tag (letters, digits, _ . -, at most 128, not starting with . or -)' })
  .refine((tag) => tag !== 'latest', { error: 'must be a tag other than latest' });
const flag = z.boolean({ error: 'must be true or false' });

// A service image CI pushed: pinned by digest (`name@sha256:…`, what a push reports), or to a tag other than latest.
const SERVICE_IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+(?=\/))?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?<digest>@sha256:[a-f0-9]{64})?$/;
const PINNED_SERVICE_IMAGE = 'must be an image pinned by digest or to a tag other than latest, e.g. registry.example.com/orchestrator/allocator@sha256:…';
const serviceImage = z.string().refine(
  (ref) => {
    const groups = SERVICE_IMAGE.exec(ref)?.groups;
    return groups !== undefined && (groups.digest !== undefined || (groups.tag !== undefined && groups.tag !== 'latest'));
  },
  { error: PINNED_SERVICE_IMAGE },
);

/** The four companion services, by the keys `ServiceImageRefs` uses. */
export const SERVICE_IMAGE_KEYS = ['allocator', 'syncEngine', 'probe', 'app'] as const;

const resourceList = z.strictObject({ cpu: quantity, memory: quantity });
const resources = z
  .strictObject({ requests: resourceList, limits: resourceList })
  .refine((r) => parseQuantity(r.requests.cpu) <= parseQuantity(r.limits.cpu), { error: 'must not exceed limits.cpu', path: ['requests', 'cpu'] })
  .refine((r) => parseQuantity(r.requests.memory) <= parseQuantity(r.limits.memory), { error: 'must not exceed limits.memory', path: ['requests', 'memory'] });

const storage = (defaultSize: string) =>
  z
    .strictObject({
      /** StorageClass for the volume claims; empty means the cluster's default class. */
      className: z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/, { error: 'must be a StorageClass name (lower-case DNS subdomain) or empty for the default class' }).default(''),
      size: quantity.default(defaultSize),
    })
    .prefault({});

const antiAffinity = z.enum(['required', 'preferred'], { error: 'must be "required" (one pod per node) or "preferred"' });

const replicas = (max: number) => z.number({ error: `must be a whole number between 1 and ${max}` }).int({ error: `must be a whole number between 1 and ${max}` }).min(1, { error: `must be a whole number between 1 and ${max}` }).max(max, { error: `must be a whole number between 1 and ${max}` });

// Quorum-based parts need an odd count: an even ensemble tolerates no more failures than the odd one below it.
const oddReplicas = z
  .number({ error: 'must be an odd number between 1 and 7' })
  .refine((n) => Number.isInteger(n) && n >= 1 && n <= 7 && n % 2 === 1, { error: 'must be an odd number between 1 and 7' });

const labelMap = z.record(z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { error: 'must be a valid label key' }), z.string().max(63, { error: 'must be a label value of at most 63 characters' }));

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal'], { error: 'must be Exists or Equal' }).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { error: 'must be NoSchedule, PreferNoSchedule or NoExecute' }).optional(),
  tolerationSeconds: z.number().int().min(0).optional(),
});

// `host:port[,host:port...][/chroot]`, as ZooKeeper clients take it.
const zkConnect = z
  .string()
  .regex(/^[A-Za-z0-9.\-[\]:]+:\d+(,[A-Za-z0-9.\-[\]:]+:\d+)*(\/[^\s,]*[^\s,/])?$/, { error: 'must be a ZooKeeper connect string host:port[,host:port...][/chroot]' });

// The sync-engine's include/exclude patterns (`*` within a segment, `**` across); they travel comma-separated.
const pathPattern = z.string().regex(/^\/[^\s,]*$/, { error: 'must be an absolute path pattern such as /mesos/** (no commas or spaces)' });

const dnsSubdomain = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: 'must be a Kubernetes object name (lower-case DNS subdomain)' }).max(253, { error: 'must be at most 253 characters' });

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'must be a DNS-1123 label (lower-case letters, digits and -)' }).max(63, { error: 'must be at most 63 characters' });

// Where Argo CD may fetch manifests from: an https URL or an scp-like ssh address of a git repository.
const GIT_REPO_URL = /^(https:\/\/[^\s/]+\/\S+|ssh:\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$/;

// GitOps delivery through Argo CD: off unless a stack turns it on, and then it must say where its manifests live.
const gitops = z
  .strictObject({
    /** Declare an Argo CD AppProject and Application that sync this stack's rendered manifests from git. */
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    /** The git repository holding the rendered manifests (`deploy/<stack>/`). */
    repoURL: z.string().regex(GIT_REPO_URL, { error: 'must be a git repository URL (https://…, ssh://… or git@host:path)' }).optional(),
    /** Branch, tag or commit Argo CD follows. */
    targetRevision: z.string().regex(/^[^\s]+$/, { error: 'must be a branch, tag or commit without spaces' }).default('main'),
    /** Directory of the manifests in the repository; empty means `deploy/<stack>`. */
    path: z.string().regex(/^([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/, { error: 'must be a relative directory such as deploy/dev, without leading or trailing slashes' }).default(''),
    /** Namespace Argo CD runs in and reads Applications and AppProjects from. */
    argocdNamespace: dnsLabel.default('argocd'),
    /** API server Argo CD deploys to; the default is the cluster Argo CD runs in. */
    destinationServer: z.string().regex(/^https:\/\/\S+$/, { error: 'must be an https:// URL of a Kubernetes API server' }).default('https://kubernetes.default.svc'),
  })
  .refine((g) => !g.enabled || g.repoURL !== undefined, { error: 'is required when gitops.enabled is true', path: ['repoURL'] })
  .prefault({});

// A duration Argo Rollouts and PromQL both read the same way: a whole number of seconds, minutes or hours.
const DURATION = /^(?<n>[1-9]\d*)(?<unit>s|m|h)$/;
const duration = z.string().regex(DURATION, { error: 'must be a duration such as 30s, 1m or 2h' });
/** Seconds in a duration; NaN for a malformed one (its own rule reports it, and a comparison with NaN fails too). */
export function durationSeconds(d: string): number {
  const groups = DURATION.exec(d)?.groups;
  return groups ? Number(groups.n) * { s: 1, m: 60, h: 3600 }[groups.unit as 's' | 'm' | 'h'] : Number.NaN;
}
const wholeNumber = (min: number, max: number) => {
  const error = `must be a whole number between ${min} and ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const ratio = (what: string) => z.number({ error: `must be a number from 0 to 1 (${what})` }).min(0, { error: `must be a number from 0 to 1 (${what})` }).max(1, { error: `must be a number from 0 to 1 (${what})` });
const CANARY_WEIGHTS = 'must be ascending whole percentages between 1 and 99, e.g. [20, 50]';
const LARGEST_BUCKET = HTTP_METRICS.buckets[HTTP_METRICS.buckets.length - 1];
const PROMETHEUS_URL_EXAMPLE = 'http://prometheus-operated.monitoring.svc:9090';

// Argo Rollouts canaries with Prometheus analysis: off unless a stack turns them on, and then it must say which
// Prometheus judges them (the one scraping this stack's PodMonitors). See "Shipping it" in README.md.
const rollouts = z
  .strictObject({
    /** Ship the monitoring app as an Argo Rollouts canary, judged by Prometheus, instead of a Deployment. */
    enabled: flag.default(false),
    /** The Prometheus HTTP API the analysis queries, e.g. the Prometheus Operator's `prometheus-operated` Service. */
    prometheusUrl: z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/\S*)?$/, { error: `must be an http:// or https:// URL of the Prometheus HTTP API, e.g. ${PROMETHEUS_URL_EXAMPLE}` }).optional(),
    /** The canary's share of pods at each step, ascending; each step is judged before the next, the last before 100 %. */
    canaryWeights: z
      .array(z.number({ error: CANARY_WEIGHTS }).int({ error: CANARY_WEIGHTS }).min(1, { error: CANARY_WEIGHTS }).max(99, { error: CANARY_WEIGHTS }), { error: CANARY_WEIGHTS })
      .min(1, { error: CANARY_WEIGHTS })
      .max(5, { error: 'must list at most 5 steps' })
      .refine((w) => w.every((x, i) => i === 0 || x > w[i - 1]), { error: CANARY_WEIGHTS })
      .default([20, 50]),
    analysis: z
      .strictObject({
        /** Time between two measurements of one analysis step. */
        interval: duration.default('1m'),
        /** Measurements per step: a step takes `window` + (count - 1) x `interval`. */
        count: wholeNumber(1, 30).default(4),
        /** Failed measurements a step tolerates; one more fails it, and the canary is rolled back. */
        failureLimit: wholeNumber(0, 29).default(1),
        /** What each measurement looks back over, and how long the first waits: the canary's own traffic only. */
        window: duration.default('2m'),
        /** Largest share of the canary's requests answered 5xx. */
        maxErrorRatio: ratio('a share of requests').default(0.01),
        /** Largest p99 of the canary's request durations, in seconds. */
        maxP99Seconds: z
          .number({ error: `must be a number of seconds above 0 and at most ${LARGEST_BUCKET}` })
          .gt(0, { error: `must be a number of seconds above 0 and at most ${LARGEST_BUCKET}` })
          .max(LARGEST_BUCKET, { error: `must be at most ${LARGEST_BUCKET}: the request histogram's largest bucket, beyond which a p99 cannot be read` })
          .default(0.5),
        /** Largest share of probe reports the canary refuses beyond what the stable pods refuse. */
        maxRefusedShareAboveStable: ratio('a share of reports').default(0.02),
      })
      .refine((a) => a.failureLimit < a.count, { error: 'must be less than analysis.count, or no step could pass', path: ['failureLimit'] })
      // Pods are scraped every 30 s (scrape-targets.ts); rate() needs two samples of the canary in the window.
      .refine((a) => durationSeconds(a.window) >= 60, { error: 'must be at least 1m: two scrapes of the canary at the PodMonitors\' 30 s interval', path: ['window'] })
      .prefault({}),
  })
  .refine((r) => !r.enabled || r.prometheusUrl !== undefined, { error: `is required when rollouts.enabled is true (the Prometheus that scrapes this stack, e.g. ${PROMETHEUS_URL_EXAMPLE})`, path: ['prometheusUrl'] })
  .prefault({});

/** Defaults are the development-sized platform; `Pulumi.prod.yaml` raises what production needs. */
export const stackConfigSchema = z.strictObject({
  /** Namespace every object lives in; other teams' StackReferences rely on it. */
  namespace: dnsLabel.default('orchestrator'),
  /** Pinned images of the platform's parts, and where the program builds and pushes the services' images. */
  images: z
    .strictObject({
      zookeeper: image.default('zookeeper:3.8.4'),
      mesosMaster: image.default('mesosphere/mesos-master:1.11.0'),
      mesosAgent: image.default('mesosphere/mesos-slave:1.11.0'),
      marathon: image.default('mesosphere/marathon:v1.11.24'),
      /** The sidecar beside each Mesos master and agent that serves /metrics/snapshot as Prometheus text. */
      mesosExporter: image.default('mesosphere/mesos-exporter:v1.1.2'),
      /** The service images' registry; the default is a development cluster's local registry (kind, k3d). */
      registry: registry.default('localhost:5000'),
      /** The service images' tag; unset means the git commit (`<commit>-dirty` for a build from uncommitted changes). */
      tag: imageTag.optional(),
      /** Build and push the service images (true), or deploy pushed ones (false: the keys below, else registry + tag). */
      build: flag.default(true),
      /** Build during `pulumi preview` too; off by default, so a preview needs no Docker engine. */
      buildOnPreview: flag.default(false),
      /** With `build: false`: the pushed image per service (what CI sets), instead of `<registry>/<repository>:<tag>`. */
      allocator: serviceImage.optional(),
      syncEngine: serviceImage.optional(),
      probe: serviceImage.optional(),
      app: serviceImage.optional(),
    })
    // A service's reference while the program builds it would be silently ignored; say so instead.
    .superRefine((images, ctx) => {
      if (!images.build) return;
      for (const key of SERVICE_IMAGE_KEYS) {
        if (images[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is only used with images.build: false (otherwise the program builds it)' });
      }
    })
    .refine((images) => images.build || !images.buildOnPreview, { error: 'needs images.build: true (nothing is built otherwise)', path: ['buildOnPreview'] })
    .prefault({}),
  zookeeper: z
    .strictObject({
      replicas: oddReplicas.default(1),
      antiAffinity: antiAffinity.default('preferred'),
      resources: resources.default({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }),
      storage: storage('5Gi'),
      /** JVM heap; keep it well under the memory limit so the page cache has room for snapshots. */
      heapMb: z.number().int().min(64, { error: 'must be a whole number of MiB, at least 64' }).default(512),
      tickTimeMs: z.number().int().min(100, { error: 'must be a whole number of milliseconds, at least 100' }).max(10000, { error: 'must be at most 10000 ms' }).default(2000),
      initLimit: z.number().int().min(1, { error: 'must be a whole number of ticks, at least 1' }).default(10),
      syncLimit: z.number().int().min(1, { error: 'must be a whole number of ticks, at least 1' }).default(5),
    })
    // A heap that fills the limit gets the server OOM-killed under load; ZooKeeper also leans on the page cache.
    .refine((zk) => zk.heapMb * 2 ** 20 <= 0.75 * parseQuantity(zk.resources.limits.memory), {
      error: 'must leave a quarter of the memory limit to the page cache and JVM overhead',
      path: ['heapMb'],
    })
    .prefault({}),
  mesosMaster: z
    .strictObject({
      replicas: oddReplicas.default(1),
      antiAffinity: antiAffinity.default('preferred'),
      resources: resources.default({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }),
      storage: storage('2Gi'),
      /** Cluster name shown in the Mesos UI and used by frameworks. */
      cluster: dnsLabel.default('orchestrator'),
    })
    .prefault({}),
  mesosAgents: z
    .strictObject({
      resources: resources.default({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } }),
      /** Schedules agents only on matching nodes (empty: every node). */
      nodeSelector: labelMap.default({}),
      tolerations: z.array(toleration).default([]),
      /** Images warmed on every node before the agent starts, so task containers start in seconds. */
      prePullImages: z.array(image).default([]),
      /** Host directory for the agent's sandboxes; mounted at the same path because Docker executors resolve it on the host. */
      workDir: z.string().regex(/^\/[^\s]*[^/\s]$/, { error: 'must be an absolute host path without a trailing slash' }).default('/var/lib/mesos/agent'),
    })
    .prefault({}),
  marathon: z
    .strictObject({
      replicas: replicas(9).default(1),
      antiAffinity: antiAffinity.default('preferred'),
      resources: resources.default({ requests: { cpu: '250m', memory: '768Mi' }, limits: { cpu: '1', memory: '1536Mi' } }),
    })
    .prefault({}),
  allocator: z
    .strictObject({
      /** One replica leads (elected in ZooKeeper); the others redirect to it and take over within a session timeout. */
      replicas: z
        .number({ error: 'must be a whole number between 2 and 9 (one leads, the others take over)' })
        .int({ error: 'must be a whole number between 2 and 9 (one leads, the others take over)' })
        .min(2, { error: 'must be a whole number between 2 and 9 (one leads, the others take over)' })
        .max(9, { error: 'must be a whole number between 2 and 9 (one leads, the others take over)' })
        .default(2),
      antiAffinity: antiAffinity.default('preferred'),
      // 50,000 agents hold the leader near 320 MB (services/allocator/README.md); followers hold nothing.
      resources: resources.default({ requests: { cpu: '250m', memory: '384Mi' }, limits: { cpu: '1', memory: '1Gi' } }),
    })
    .prefault({}),
  syncEngine: z
    .strictObject({
      /** Off by default: the engine exists for a migration and runs only while one is under way. */
      enabled: z.boolean({ error: 'must be true or false' }).default(false),
      /** The ensemble moved from and the one moved to, each with the chroot of the tree that moves. */
      source: zkConnect.optional(),
      target: zkConnect.optional(),
      /** `sync` replicates until turned off; `cutover` copies, freezes, drains, switches and reverse-syncs. */
      mode: z.enum(['sync', 'cutover'], { error: 'must be sync or cutover' }).default('sync'),
      direction: z.enum(['one-way', 'two-way'], { error: 'must be one-way or two-way' }).default('one-way'),
      policy: z.enum(['source-wins', 'target-wins', 'newest-wins'], { error: 'must be source-wins, target-wins or newest-wins' }).default('source-wins'),
      include: z.array(pathPattern).default([]),
      exclude: z.array(pathPattern).default([]),
      /** Names the state files, the heartbeat node and the znode the active connect string is published at. */
      job: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "must be 1-64 letters, digits, '.', '_' or '-'" }).default('default'),
      /**
       * An existing Secret in the namespace with keys `source-auth` and/or `target-auth` (`scheme:credentials`,
       * comma-separated), e.g. to read digest ACLs in full. Credentials never go into stack config.
       */
      credentialsSecret: dnsSubdomain.optional(),
      /** The state dir's volume: ledger, conflict record, cutover phase. */
      storage: storage('1Gi'),
      // A 100,000-node migration peaks at 440-590 MB (services/sync-engine/README.md).
      resources: resources.default({ requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '2', memory: '1536Mi' } }),
    })
    .superRefine((s, ctx) => {
      if (!s.enabled) return;
      for (const side of ['source', 'target'] as const) {
        const connect = s[side];
        if (!connect) ctx.addIssue({ code: 'custom', path: [side], message: 'is required when syncEngine.enabled is true' });
        // The engine publishes the active connect string at /sync-engine/<job>/… on both ensembles, outside the
        // synced tree, so the tree must be a chroot that does not contain that znode.
        else if (!connect.includes('/') || /\/sync-engine(\/|$)/.test(connect.slice(connect.indexOf('/')))) {
          ctx.addIssue({ code: 'custom', path: [side], message: 'must name the chroot of the tree that moves (e.g. zk-old:2181/mesos), outside /sync-engine where the engine publishes the active connect string' });
        }
      }
      if (s.source && s.source === s.target) ctx.addIssue({ code: 'custom', path: ['target'], message: 'must differ from syncEngine.source' });
      if (s.direction === 'one-way' && s.policy !== 'source-wins') {
        ctx.addIssue({ code: 'custom', path: ['policy'], message: 'needs direction two-way: one-way sync always makes the target like the source' });
      }
    })
    .prefault({}),
  monitoring: z
    .strictObject({
      /**
       * The bearer token probes present to the app. Unset: generated once (@pulumi/random) and kept in state.
       * Set it as a secret (`pulumi config set --secret`) to bring your own, e.g. where the random provider is absent.
       */
      probeToken: z.string().regex(/^[\x21-\x7e]{32,}$/, { error: 'must be at least 32 printable characters without spaces' }).optional(),
      // The design's target for the probe: < 1 % of a core and < 60 MB RSS on a busy host.
      probeResources: resources.default({ requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }),
      // Measured at 1,000 probes (services/app/README.md): ~1.5 cores with the decode worker, RSS 1.15–1.3 GB under
      // the image's 1 GB old-space cap. The request is what it holds, the limit leaves room for a burst of reads.
      appResources: resources.default({ requests: { cpu: '1', memory: '1280Mi' }, limits: { cpu: '2', memory: '2Gi' } }),
      /** Added to the PodMonitors and the PrometheusRule, for a Prometheus that selects them by label. */
      prometheusLabels: labelMap.default({}),
    })
    .prefault({}),
  gitops,
  rollouts,
});

/** Keys whose values a refusal must not repeat. */
const SECRET_KEYS = new Set(['monitoring.probeToken']);

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type ResourceRequirements = StackConfig['zookeeper']['resources'];
export type StorageConfig = StackConfig['zookeeper']['storage'];
export type AntiAffinity = StackConfig['zookeeper']['antiAffinity'];
export type Toleration = StackConfig['mesosAgents']['tolerations'][number];
export type GitOpsConfig = StackConfig['gitops'];
export type RolloutsConfig = StackConfig['rollouts'];
/** A rollouts section that validated as enabled: the Prometheus to ask is known. */
export type EnabledRollouts = RolloutsConfig & { enabled: true; prometheusUrl: string };

/** The canary settings if rollouts are enabled (validation has then checked the Prometheus URL is given). */
export function enabledRollouts(config: StackConfig): EnabledRollouts | undefined {
  const r = config.rollouts;
  return r.enabled && r.prometheusUrl ? { ...r, enabled: true, prometheusUrl: r.prometheusUrl } : undefined;
}
export type SyncEngineConfig = StackConfig['syncEngine'];
/** A sync-engine section that validated as enabled: both ensembles are known. */
export type EnabledSyncEngine = SyncEngineConfig & { enabled: true; source: string; target: string };

/** The sync-engine's settings if it is enabled (validation has then checked both ensembles are given). */
export function enabledSyncEngine(config: StackConfig): EnabledSyncEngine | undefined {
  const s = config.syncEngine;
  return s.enabled && s.source && s.target ? { ...s, enabled: true, source: s.source, target: s.target } : undefined;
}

/** A stack configuration that breaks a rule. The message is the one line an operator needs. */
export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackConfigError';
  }
}

/**
 * Validates raw config values (keys without the `orchestrator:` prefix, values as YAML gives them) into a
 * `StackConfig`. Throws `StackConfigError` naming the first offending key.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const result = stackConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = `${CONFIG_NAMESPACE}:${issue.path.map(String).join('.')}`;
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length > 0 ? `${key}.` : `${CONFIG_NAMESPACE}:`;
    const names = issue.keys.map((k) => `${prefix}${k}`).join(', ');
    throw new StackConfigError(`${names} ${issue.keys.length === 1 ? 'is not a known setting' : 'are not known settings'} (see the config reference in README.md)`);
  }
  const got = valueAt(raw, issue.path);
  const shown = got === undefined || SECRET_KEYS.has(issue.path.map(String).join('.')) ? '' : ` (got ${JSON.stringify(got)})`;
  const message = issue.code === 'invalid_type' && got === undefined ? `${key} is required` : `${key} ${issue.message}${shown}`;
  throw new StackConfigError(message);
}

/**
 * Turns the engine's flat config map (`{"orchestrator:zookeeper": "{\"replicas\":3}"}`, structured values arrive
 * as JSON strings) into the raw object `parseStackConfig` takes. Other namespaces (e.g. `kubernetes:`) are ignored.
 */
export function rawConfigFromEngine(all: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    const [ns, key] = splitKey(fullKey);
    if (ns !== CONFIG_NAMESPACE) continue;
    raw[key] = decodeValue(value);
  }
  return raw;
}

function splitKey(fullKey: string): [string, string] {
  const colon = fullKey.indexOf(':');
  return colon < 0 ? ['', fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}

function decodeValue(value: string): unknown {
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let node = raw;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** The numeric value of a Kubernetes quantity (cores for cpu, bytes for memory); NaN if it is not one. */
export function parseQuantity(q: string): number {
  const match = QUANTITY.exec(q);
  if (!match) return Number.NaN;
  return Number(match[1]) * SUFFIX[match[3] ?? ''];
}
