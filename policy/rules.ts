/**
 * The pack's rules, as policies the engine runs: resource policies see each Kubernetes object's inputs before it is
 * created or updated, the stack policy sees every object of the stack at the end of a preview or update.
 *
 * Each check is a plain function from an object (or a container) to its problems, so tests can call it on a
 * hand-made object; the policies only route the engine's objects to them and report what they find.
 */
import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { commonLabels, MANAGED_BY, PART_OF } from '../components/labels';
import { configurableDirectoryProblem, ContainerPrivilege, exceptionFor, HostAccessException } from './host-access-exceptions';
import { containers, describe, Json, kubernetesObject, podApp, podTemplate, PodTemplate, REPLICATED_KINDS, selects } from './kubernetes-objects';

/** The five recommended labels every object, pod template and volume claim carries (components/labels.ts). */
export const COMMON_LABEL_KEYS = Object.keys(commonLabels({ name: '-', instance: '-', component: '-' }));

// A reference a registry resolves to the same bits every time: a tag other than `latest`, or a digest (with or
// without a tag). The port lookahead keeps `busybox:1` a tag rather than a registry port.
const IMAGE_REFERENCE =
  /^(?<repository>[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?::\d+(?=\/))?(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?<digest>@sha256:[a-f0-9]{64})?$/;

export function imagePinProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || image === '') return 'has no image';
  const match = IMAGE_REFERENCE.exec(image);
  if (!match) return `image "${image}" is not an image reference`;
  const { tag, digest } = match.groups!;
  if (digest) return undefined;
  if (!tag) return `image "${image}" is not pinned: give it a tag other than latest, or a digest`;
  if (tag === 'latest') return `image "${image}" is pinned to latest, which moves: give it a fixed tag or a digest`;
  return undefined;
}

export function resourceProblems(container: Json): string[] {
  const missing = ['requests', 'limits'].flatMap((bound) => ['cpu', 'memory'].filter((r) => container.resources?.[bound]?.[r] === undefined).map((r) => `${bound}.${r}`));
  return missing.length > 0 ? [`sets no ${missing.join(', ')}`] : [];
}

export function probeProblems(container: Json, init: boolean): string[] {
  // Kubernetes refuses probes on init containers: they run to completion.
  if (init) return [];
  return ['readinessProbe', 'livenessProbe'].filter((p) => container[p] === undefined).map((p) => `has no ${p}`);
}

/** What the container's security context lacks; `privilege` is what an exception grants it, if one does. */
export function securityProblems(container: Json, podSpec: Json, privilege?: ContainerPrivilege): string[] {
  const own = container.securityContext ?? {};
  const pod = podSpec.securityContext ?? {};
  if (privilege && 'privileged' in privilege) return [];
  const problems: string[] = [];
  if (own.privileged === true) problems.push('runs privileged');
  if (own.allowPrivilegeEscalation !== false) problems.push('does not set allowPrivilegeEscalation: false');
  const drop: string[] = own.capabilities?.drop ?? [];
  if (!drop.includes('ALL')) problems.push('does not drop ALL capabilities');
  const add: string[] = own.capabilities?.add ?? [];
  const allowed = privilege?.addCapabilities ?? [];
  const extra = add.filter((c) => !allowed.includes(c));
  if (extra.length > 0) problems.push(`adds capabilities ${extra.join(', ')}`);
  if (privilege) {
    if (privilege.readOnlyRootFilesystem && own.readOnlyRootFilesystem !== true) problems.push('does not set readOnlyRootFilesystem: true');
    return problems;
  }
  const runAsNonRoot = own.runAsNonRoot ?? pod.runAsNonRoot;
  const runAsUser = own.runAsUser ?? pod.runAsUser;
  if (runAsNonRoot !== true) problems.push('does not set runAsNonRoot: true');
  if (typeof runAsUser !== 'number' || runAsUser <= 0) problems.push('does not run as a non-zero runAsUser');
  return problems;
}

/** What a pod does on its node beyond what `exception` (if any) declares: host namespaces and host paths. */
export function hostAccessProblems(podSpec: Json, exception?: HostAccessException): string[] {
  const problems: string[] = [];
  if (podSpec.hostNetwork === true && !exception?.hostNetwork) problems.push('shares the node\'s network (hostNetwork)');
  if (podSpec.hostPID === true && !exception?.hostPID) problems.push('shares the node\'s PID namespace (hostPID)');
  if (podSpec.hostIPC === true) problems.push('shares the node\'s IPC namespace (hostIPC)');
  const all = containers(podSpec).map(({ container }) => container);
  for (const volume of (podSpec.volumes ?? []).filter((v: Json) => v.hostPath)) {
    const path: string = volume.hostPath.path;
    if (!exception) {
      problems.push(`mounts the host path ${path}`);
      continue;
    }
    const mountsBy = (c: Json) => (c.volumeMounts ?? []).filter((m: Json) => m.name === volume.name);
    const others = all.filter((c) => c.name !== exception.container && mountsBy(c).length > 0).map((c) => c.name);
    if (others.length > 0) problems.push(`lets ${others.join(', ')} mount the host path ${path}, granted to ${exception.container} alone`);
    const mounts: Json[] = all.filter((c) => c.name === exception.container).flatMap(mountsBy);
    const declared = exception.hostPaths.filter((p) => p.hostPath === path);
    const candidates = declared.length > 0 ? declared : exception.hostPaths.filter((p) => p.hostPath === undefined);
    const fits = candidates.find((p) => mounts.every((m) => m.mountPath === (p.mountPath ?? path) && (!p.readOnly || m.readOnly === true)));
    if (!fits) {
      problems.push(
        candidates.length === 0
          ? `mounts the host path ${path}, which the ${exception.app} exception does not declare`
          : `mounts the host path ${path} otherwise than declared (${describeAllowed(candidates[0], path)})`,
      );
    } else if (fits.hostPath === undefined) {
      const problem = configurableDirectoryProblem(path);
      if (problem) problems.push(`mounts the host path ${path}, which ${problem}`);
    }
  }
  return problems;
}

function describeAllowed(p: { mountPath?: string; readOnly: boolean }, path: string): string {
  return `at ${p.mountPath ?? path}${p.readOnly ? ', read-only' : ''}`;
}

export function labelProblems(what: string, labels: Record<string, string> | undefined): string[] {
  const missing = COMMON_LABEL_KEYS.filter((k) => !labels?.[k]);
  const problems = missing.length > 0 ? [`${what} lacks the labels ${missing.join(', ')}`] : [];
  if (labels?.['app.kubernetes.io/part-of'] && labels['app.kubernetes.io/part-of'] !== PART_OF) problems.push(`${what} is labelled part-of ${labels['app.kubernetes.io/part-of']}, not ${PART_OF}`);
  if (labels?.['app.kubernetes.io/managed-by'] && labels['app.kubernetes.io/managed-by'] !== MANAGED_BY) problems.push(`${what} is labelled managed-by ${labels['app.kubernetes.io/managed-by']}, not ${MANAGED_BY}`);
  return problems;
}

/** The label sets of an object: its own, its pod template's and its volume claim templates'. */
export function labelledParts(object: Json): { what: string; labels: Record<string, string> | undefined }[] {
  const template = object.kind === 'Pod' ? undefined : podTemplate(object);
  return [
    { what: 'the object', labels: object.metadata?.labels },
    ...(template ? [{ what: 'its pod template', labels: template.metadata?.labels }] : []),
    ...(object.spec?.volumeClaimTemplates ?? []).map((claim: Json) => ({ what: `its volume claim template ${claim.metadata?.name}`, labels: claim.metadata?.labels })),
  ];
}

/** The workloads not covered by exactly one PodDisruptionBudget of their namespace. */
export function disruptionBudgetProblems(objects: { object: Json; urn: string; name: string }[]): { urn: string; problem: string }[] {
  const budgets = objects.filter(({ object }) => object.kind === 'PodDisruptionBudget');
  return objects
    .filter(({ object }) => REPLICATED_KINDS.includes(object.kind) && podTemplate(object))
    .flatMap(({ object, urn, name }) => {
      const podLabels = podTemplate(object)!.metadata?.labels;
      const namespace = object.metadata?.namespace ?? '';
      const covering = budgets.filter((b) => (b.object.metadata?.namespace ?? '') === namespace && selects(b.object.spec?.selector, podLabels));
      if (covering.length === 1) return [];
      // The eviction API refuses to evict a pod that more than one budget selects, so two are as bad as none.
      const problem = covering.length === 0 ? 'no PodDisruptionBudget selects its pods' : `${covering.length} PodDisruptionBudgets select its pods; the eviction API refuses pods with more than one`;
      return [{ urn, problem: `${describe(object, name)}: ${problem}` }];
    });
}

type PodCheck = (pod: { kind: string; app: string | undefined; template: PodTemplate }) => string[];

/** A resource policy over every workload's pod template. */
function podPolicy(name: string, description: string, check: PodCheck): ResourceValidationPolicy {
  return {
    name,
    description,
    validateResource: (args, report) => {
      const object = kubernetesObject(args.type, args.props);
      const template = object && podTemplate(object);
      if (!object || !template) return;
      const what = describe(object, args.name);
      for (const problem of check({ kind: object.kind, app: podApp(template), template })) report(`${what}: ${problem}`);
    },
  };
}

/** A pod check applied to each container: `check` returns the container's problems. */
function eachContainer(check: (c: Json, init: boolean, pod: Parameters<PodCheck>[0]) => string[]): PodCheck {
  return (pod) => containers(pod.template.spec).flatMap(({ container, init }) => check(container, init, pod).map((p) => `container ${container.name} ${p}`));
}

function privilegeOf(pod: Parameters<PodCheck>[0], containerName: string): ContainerPrivilege | undefined {
  const exception = exceptionFor(pod.kind, pod.app);
  return exception?.container === containerName ? exception.privilege : undefined;
}

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  podPolicy(
    'pinned-images',
    'Every container image is pinned to a tag other than latest, or to a digest, so a deployment always runs the same bits.',
    eachContainer((c) => [imagePinProblem(c.image)].filter((p): p is string => p !== undefined)),
  ),
  podPolicy(
    'requests-and-limits',
    'Every container sets cpu and memory requests (for scheduling) and limits (so one part cannot starve the node).',
    eachContainer((c) => resourceProblems(c)),
  ),
  podPolicy(
    'health-probes',
    'Every long-running container has a readiness probe (traffic and rollouts wait for it) and a liveness probe (a hung process is restarted).',
    eachContainer((c, init) => probeProblems(c, init)),
  ),
  podPolicy(
    'non-root-containers',
    'Every container runs as a non-root user, unprivileged, without privilege escalation and with all capabilities dropped, except as policy/host-access-exceptions.ts declares.',
    eachContainer((c, _init, pod) => securityProblems(c, pod.template.spec, privilegeOf(pod, c.name))),
  ),
  podPolicy(
    'host-access-only-as-declared',
    'No pod shares the node\'s namespaces or mounts host paths, except the Mesos agent and the probe, exactly as policy/host-access-exceptions.ts declares.',
    (pod) => hostAccessProblems(pod.template.spec, exceptionFor(pod.kind, pod.app)),
  ),
  podPolicy(
    'no-service-account-token',
    'No pod mounts a Kubernetes API token: no part of the platform talks to the API server, so none should hold a credential for it.',
    (pod) => (pod.template.spec.automountServiceAccountToken === false ? [] : ['does not set automountServiceAccountToken: false']),
  ),
  {
    name: 'common-labels',
    description: `Every object, pod template and volume claim template carries ${COMMON_LABEL_KEYS.join(', ')} (part-of ${PART_OF}, managed-by ${MANAGED_BY}).`,
    validateResource: (args, report) => {
      const object = kubernetesObject(args.type, args.props);
      if (!object) return;
      const what = describe(object, args.name);
      for (const { what: part, labels } of labelledParts(object)) for (const problem of labelProblems(part, labels)) report(`${what}: ${problem}`);
    },
  },
  {
    name: 'disruption-budget-per-replicated-workload',
    description: 'Every Deployment, StatefulSet, ReplicaSet and Rollout is selected by exactly one PodDisruptionBudget, so a node drain never takes all of its replicas at once.',
    validateStack: (args, report: ReportViolation) => {
      const objects = args.resources.flatMap((r) => {
        const object = kubernetesObject(r.type, r.props);
        return object ? [{ object, urn: r.urn, name: r.name }] : [];
      });
      for (const { urn, problem } of disruptionBudgetProblems(objects)) report(problem, urn);
    },
  },
];
