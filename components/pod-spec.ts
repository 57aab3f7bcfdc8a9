/**
 * Pod-spec fragments every workload shares, as plain functions of plain values so that policy (non-root, requests
 * and limits, anti-affinity) is decided in one place and tested directly.
 */
import type * as k8s from '@pulumi/kubernetes';
import type { AntiAffinity, ResourceRequirements } from './stack-config';
import type { Labels } from './labels';

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type Affinity = k8s.types.input.core.v1.Affinity;

/** The uid the platform's unprivileged containers run as (the conventional `nobody`-like high uid). */
export const NON_ROOT_UID = 10001;

export function containerResources(r: ResourceRequirements): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { cpu: r.requests.cpu, memory: r.requests.memory }, limits: { cpu: r.limits.cpu, memory: r.limits.memory } };
}

/** Pod-level: never root, files on volumes group-owned so the unprivileged user can write its data dir. */
export function nonRootPodSecurity(uid: number = NON_ROOT_UID): PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Container-level: no privilege escalation and no Linux capabilities. */
export function restrictedContainerSecurity(): SecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
}

/**
 * Spreads replicas over nodes. `required` refuses to co-schedule two replicas (a node loss then costs at most one
 * vote); `preferred` lets a small dev cluster run several replicas per node.
 */
export function podAntiAffinity(mode: AntiAffinity, selector: Labels): Affinity {
  const term = { labelSelector: { matchLabels: selector }, topologyKey: 'kubernetes.io/hostname' };
  return mode === 'required'
    ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }
    : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] } };
}

/** An HTTP probe with the timing every platform part uses; `initialDelaySeconds` differs for slow JVM starts. */
export function httpProbe(path: string, port: number, initialDelaySeconds: number): k8s.types.input.core.v1.Probe {
  return { httpGet: { path, port }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 };
}

/** A container environment variable as plain data: a literal value or one of the pod's own fields. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } };
}

/** Environment variables taken from the pod's own fields (its IP, its name) through the downward API. */
export function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}
