/**
 * Which container a process belongs to, from its `/proc/<pid>/cgroup`. Every runtime names its cgroups its own way:
 *
 *   Docker, cgroupfs driver       /docker/<64 hex>
 *   Docker, systemd driver        /system.slice/docker-<64 hex>.scope
 *   Kubernetes, cgroupfs          /kubepods[/burstable|/besteffort]/pod<uid>/<64 hex>
 *   Kubernetes, systemd           /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/
 *                                   cri-containerd-<64 hex>.scope | crio-<64 hex>.scope | docker-<64 hex>.scope
 *   Mesos containerizer           /mesos/<container id>[/mesos/<nested id>]
 *
 * The same path appears under every v1 controller and once under v2; the v1 paths are kept per controller because
 * metrics are read from each controller's own tree.
 */

export type Runtime = 'docker' | 'containerd' | 'cri-o' | 'mesos' | 'cgroup';

/** The cgroup paths a process's metrics are read from: the unified (v2) path and the v1 controllers' paths. */
export interface CgroupPaths {
  unified?: string;
  memory?: string;
  cpuacct?: string;
  blkio?: string;
  pids?: string;
}

export interface ContainerIdentity {
  /** The runtime's container id: 64 hex digits, or a Mesos container id. */
  id: string;
  runtime: Runtime;
  /** The path that named the container (v2 when present, else the memory controller's). */
  cgroup: string;
  paths: CgroupPaths;
  /** A Kubernetes pod's uid, from its `pod<uid>` cgroup. */
  podUid?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SCOPE = /^(docker|cri-containerd|crio|containerd)-([0-9a-f]{64})\.scope$/;
const POD = /^(?:kubepods-(?:burstable-|besteffort-|guaranteed-)?)?pod([0-9a-f_-]{36})(?:\.slice)?$/;
const SCOPE_RUNTIME: Record<string, Runtime> = { docker: 'docker', 'cri-containerd': 'containerd', containerd: 'containerd', crio: 'cri-o' };

/** Parses the text of `/proc/<pid>/cgroup` into the process's paths by controller. */
export function parseCgroupFile(text: string): CgroupPaths {
  const paths: CgroupPaths = {};
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const first = text.indexOf(':', start);
    const second = first < 0 ? -1 : text.indexOf(':', first + 1);
    if (second > 0 && second < end) {
      const controllers = text.slice(first + 1, second);
      const path = text.slice(second + 1, end);
      if (controllers === '') paths.unified = path;
      else {
        for (const c of controllers.split(',')) {
          if (c === 'memory') paths.memory = path;
          else if (c === 'cpuacct') paths.cpuacct = path;
          else if (c === 'blkio') paths.blkio = path;
          else if (c === 'pids') paths.pids = path;
        }
      }
    }
    start = end + 1;
  }
  return paths;
}

/**
 * The container a cgroup path names, or undefined for a host process. The innermost container wins: a Mesos task
 * nested in a Mesos container is its own container.
 */
export function containerFromPath(path: string): Omit<ContainerIdentity, 'paths' | 'cgroup'> | undefined {
  const segments = path.split('/');
  let found: Omit<ContainerIdentity, 'paths' | 'cgroup'> | undefined;
  let podUid: string | undefined;
  let kubepods = false;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s === '' || s === '..') continue;
    if (s === 'kubepods' || s.startsWith('kubepods.') || s.startsWith('kubepods-')) kubepods = true;
    const pod = kubepods ? POD.exec(s) : null;
    if (pod) {
      podUid = pod[1].replace(/_/g, '-');
      continue;
    }
    const scope = SCOPE.exec(s);
    if (scope) {
      found = { id: scope[2], runtime: SCOPE_RUNTIME[scope[1]] };
      continue;
    }
    if (s === 'mesos' && i + 1 < segments.length && segments[i + 1] !== '') {
      found = { id: segments[i + 1], runtime: 'mesos' };
      i++;
      continue;
    }
    if (HEX64.test(s)) found = { id: s, runtime: segments[i - 1] === 'docker' ? 'docker' : 'cgroup' };
  }
  if (found && podUid) found.podUid = podUid;
  return found;
}

/** The container of a process, from its cgroup file's text. */
export function containerFromCgroupFile(text: string): ContainerIdentity | undefined {
  const paths = parseCgroupFile(text);
  // v1 controllers first: on a hybrid host the unified path is often just "/" while the controllers place it.
  const v1 = paths.memory ?? paths.cpuacct ?? paths.pids;
  let cgroup = v1;
  let identity = v1 === undefined ? undefined : containerFromPath(v1);
  if (!identity && paths.unified !== undefined) {
    cgroup = paths.unified;
    identity = containerFromPath(paths.unified);
  }
  if (!identity || cgroup === undefined) return undefined;
  return { ...identity, cgroup, paths };
}

/**
 * A probe in its own cgroup namespace (Kubernetes on cgroup v2) sees other processes' paths relative to its own
 * root, `/../../kubepods.slice/…`. The host's init is at the real root, so the number of `..` in its path is how far
 * up the real root is: stripping that many `..` from any path makes it a path from the real root, which is what the
 * mounted cgroup tree has. A path with fewer `..` (a sibling of the probe's own container) cannot be placed.
 */
export function cgroupRootOffset(initCgroupPath: string): number {
  let ups = 0;
  for (const s of initCgroupPath.split('/')) if (s === '..') ups++;
  return ups;
}

/** `path` from the real root, or undefined when it cannot be placed (see cgroupRootOffset). */
export function fromRealRoot(path: string, offset: number): string | undefined {
  if (offset === 0) return path.startsWith('/..') ? undefined : path;
  const segments = path.split('/').filter((s) => s !== '');
  for (let i = 0; i < offset; i++) if (segments[i] !== '..') return undefined;
  return `/${segments.slice(offset).join('/')}`;
}
