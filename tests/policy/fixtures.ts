/**
 * Hand-made Kubernetes objects for the pack's tests: each passes every policy as built, and a test breaks one
 * thing to show the policy that judges it fails.
 */
import { PROBE } from '../../services/lib/contract';
import type { PackResource } from '../support/policy-pack';

export function labels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': 'orchestrator-test',
    'app.kubernetes.io/component': 'test',
    'app.kubernetes.io/part-of': 'orchestrator',
    'app.kubernetes.io/managed-by': 'pulumi',
  };
}

const selector = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'orchestrator-test' });

function container(name: string): any {
  return {
    name,
    image: 'registry.example/orchestrator/web:1.2.3',
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/readyz', port: 8080 } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

/** A Deployment as every ordinary part of the platform declares one. */
export function deployment(name = 'web'): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'orchestrator', labels: labels(name) },
    spec: {
      replicas: 2,
      selector: { matchLabels: selector(name) },
      template: {
        metadata: { labels: labels(name) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 },
          containers: [container(name)],
        },
      },
    },
  };
}

export function statefulSet(name = 'db'): any {
  const d = deployment(name);
  return {
    ...d,
    kind: 'StatefulSet',
    spec: { ...d.spec, serviceName: name, volumeClaimTemplates: [{ metadata: { name: 'data', labels: labels(name) }, spec: { accessModes: ['ReadWriteOnce'] } }] },
  };
}

export function disruptionBudget(name = 'web', namespace = 'orchestrator'): any {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: `${name}-pdb`, namespace, labels: labels(name) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(name) } },
  };
}

/** The Mesos agent DaemonSet as components/mesos/agents.ts declares it, with an image pre-pull init container. */
export function mesosAgent(workDir = '/var/lib/mesos/agent'): any {
  const agent = container('mesos-agent');
  agent.securityContext = { privileged: true, runAsUser: 0, runAsNonRoot: false };
  agent.volumeMounts = [
    { name: 'docker-socket', mountPath: '/var/run/docker.sock' },
    { name: 'cgroup', mountPath: '/sys/fs/cgroup' },
    { name: 'work', mountPath: workDir },
    { name: 'logs', mountPath: '/var/log/mesos' },
  ];
  const prePull = container('pre-pull-busybox');
  delete prePull.readinessProbe;
  delete prePull.livenessProbe;
  prePull.securityContext = { ...prePull.securityContext, runAsNonRoot: true, runAsUser: 10001 };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'mesos-agent', namespace: 'orchestrator', labels: labels('mesos-agent') },
    spec: {
      selector: { matchLabels: selector('mesos-agent') },
      template: {
        metadata: { labels: labels('mesos-agent') },
        spec: {
          automountServiceAccountToken: false,
          hostNetwork: true,
          initContainers: [prePull],
          containers: [agent],
          volumes: [
            { name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
            { name: 'cgroup', hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } },
            { name: 'work', hostPath: { path: workDir, type: 'DirectoryOrCreate' } },
            { name: 'logs', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** The probe DaemonSet as the contract (services/lib/contract.ts PROBE) describes it. */
export function probe(): any {
  const c = container('probe');
  c.securityContext = {
    runAsUser: PROBE.security.runAsUser,
    runAsNonRoot: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'], add: [...PROBE.security.capabilities] },
  };
  c.volumeMounts = PROBE.hostMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: true }));
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'probe', namespace: 'orchestrator', labels: labels('probe') },
    spec: {
      selector: { matchLabels: selector('probe') },
      template: {
        metadata: { labels: labels('probe') },
        spec: {
          automountServiceAccountToken: false,
          hostPID: true,
          containers: [c],
          volumes: PROBE.hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type } })),
        },
      },
    },
  };
}

/** A Kubernetes object as the engine hands it to the pack. */
export function resource(object: any, name = object.metadata?.name ?? 'object'): PackResource {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['core', object.apiVersion];
  return { type: `kubernetes:${group}/${version}:${object.kind}`, name, inputs: object };
}
