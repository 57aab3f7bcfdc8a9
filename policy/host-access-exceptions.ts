/**
 * The workloads allowed onto their node, each with exactly what it may do there and why. Every other pod runs as
 * non-root with every capability dropped, shares none of the node's namespaces and mounts no host path.
 *
 * An exception names one container of one DaemonSet by its pods' `app.kubernetes.io/name`; the pod's other
 * containers (the agent's image pre-pull, for instance) follow the common rules. Where the contract between the
 * program and a service states the access (the probe's mounts and capabilities), it is read from there, so the
 * pack and the workload cannot drift apart.
 */
import { PROBE } from '../services/lib/contract';

/** A host path an excepted container may mount. */
export interface AllowedHostPath {
  /**
   * The path on the node. Left out for a directory the stack config chooses (the agent's work dir): it must then be
   * mounted at the same path, and may not be or contain a system directory.
   */
  hostPath?: string;
  /** Where the container mounts it; left out: at the host path itself. */
  mountPath?: string;
  /** Whether the mount must be read-only. */
  readOnly: boolean;
  why: string;
}

/** What the excepted container's security context may grant. */
export type ContainerPrivilege =
  /** Everything: the container may run privileged (and so as root). */
  | { privileged: true }
  /** Root, but unprivileged, without escalation, all capabilities dropped but these. */
  | { runAsUser: number; addCapabilities: readonly string[]; readOnlyRootFilesystem: boolean };

export interface HostAccessException {
  /** `app.kubernetes.io/name` of the workload's pods. */
  app: string;
  /** The workload's kind: both exceptions are per-node agents. */
  kind: string;
  /** The one container granted the privilege and the mounts. */
  container: string;
  why: string;
  privilege: ContainerPrivilege;
  /** Whether the pod may share the node's network namespace. */
  hostNetwork: boolean;
  /** Whether the pod may share the node's PID namespace. */
  hostPID: boolean;
  hostPaths: readonly AllowedHostPath[];
}

export const HOST_ACCESS_EXCEPTIONS: readonly HostAccessException[] = [
  {
    app: 'mesos-agent',
    kind: 'DaemonSet',
    container: 'mesos-agent',
    why:
      'The Mesos agent is a container runtime: it creates a cgroup per task under the node\'s cgroup tree, mounts task ' +
      'sandboxes and drives the node\'s Docker daemon, which no capability set narrower than privileged allows under the ' +
      'kubelet\'s cgroup driver (components/mesos/agents.ts). Tasks bind the host ports it offers, so it shares the node\'s network.',
    privilege: { privileged: true },
    hostNetwork: true,
    hostPID: false,
    hostPaths: [
      { hostPath: '/var/run/docker.sock', readOnly: false, why: 'the docker containerizer drives the node\'s Docker daemon' },
      { hostPath: '/sys/fs/cgroup', readOnly: false, why: 'cgroups/cpu,cgroups/mem isolation creates a cgroup per task' },
      {
        readOnly: false,
        why: 'the work dir (orchestrator:mesosAgents.workDir), at the same path inside: the Docker daemon resolves the sandbox paths the agent hands it on the node',
      },
    ],
  },
  {
    app: 'probe',
    kind: 'DaemonSet',
    container: 'probe',
    why:
      'The probe reports every process, socket and container of its node: it reads other users\' /proc/<pid> entries in ' +
      'the node\'s PID namespace, which takes root with the two capabilities services/lib/contract.ts names (PROBE.security) and nothing more.',
    privilege: {
      runAsUser: PROBE.security.runAsUser,
      addCapabilities: PROBE.security.capabilities,
      readOnlyRootFilesystem: PROBE.security.readOnlyRootFilesystem,
    },
    hostNetwork: false,
    hostPID: PROBE.security.hostPID,
    hostPaths: PROBE.hostMounts.map((m) => ({ hostPath: m.hostPath, mountPath: m.mountPath, readOnly: true, why: m.why })),
  },
];

/** The exception covering pods of this workload kind and app, if any. */
export function exceptionFor(kind: string, app: string | undefined): HostAccessException | undefined {
  return HOST_ACCESS_EXCEPTIONS.find((e) => e.kind === kind && e.app === app);
}

// A directory the config chooses may not be, contain or lie inside one of these: mounting it would hand the
// container the node's configuration, devices, kernel interfaces or binaries.
const SYSTEM_DIRECTORIES = ['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/proc', '/root', '/run', '/sbin', '/sys', '/usr', '/var/run'];

/** Why a configurable host directory may not be mounted, or undefined when it may. */
export function configurableDirectoryProblem(path: string): string | undefined {
  if (!/^\/[^\s]*[^/\s]$/.test(path)) return 'is not an absolute path without a trailing slash';
  const clash = SYSTEM_DIRECTORIES.find((dir) => path === dir || path.startsWith(`${dir}/`) || dir.startsWith(`${path}/`));
  return clash ? `is, contains or lies inside the system directory ${clash}` : undefined;
}
