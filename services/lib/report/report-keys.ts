/**
 * The names probe and app agree on inside a report: topologies, the labels each topology's nodes carry and the
 * metrics they sample. Labels and metrics are open maps (a newer probe may send more and an older app keeps them),
 * so these are the keys the app's renderers rely on, not the only ones allowed.
 */

/** The topologies a probe reports. Each is a map from node id (see node-ids.ts) to node. */
export const TOPOLOGY = {
  host: 'host',
  container: 'container',
  process: 'process',
  endpoint: 'endpoint',
} as const;

export type ReportedTopology = (typeof TOPOLOGY)[keyof typeof TOPOLOGY];

/** `host:<name>`: the machine a probe runs on, one per report. */
export const HOST_LABELS = {
  name: 'name',
  kernel: 'kernel',
  /** PRETTY_NAME of the host's os-release, when readable. */
  os: 'os',
  /** Comma-separated interface names, loopback included. */
  interfaces: 'interfaces',
  /** Comma-separated addresses of the host's own network namespace (v4 and v6), loopback excluded. */
  addresses: 'addresses',
  /** The scope (see node-ids.ts `netnsScope`) of the host's network namespace. */
  netns: 'netns',
} as const;

export const HOST_METRICS = {
  cpuPercent: 'cpu_usage_percent',
  memoryUsedBytes: 'memory_usage_bytes',
  memoryTotalBytes: 'memory_total_bytes',
  load1: 'load1',
  load5: 'load5',
  load15: 'load15',
  uptimeSeconds: 'uptime_seconds',
} as const;

/**
 * What runs a process or a container, as the platform sees it. A Mesos task's environment carries these (the
 * executor sets them), and the probe copies them onto the process and onto its container.
 */
export const RUNNER_LABELS = {
  mesosTaskId: 'mesos_task_id',
  mesosFrameworkId: 'mesos_framework_id',
  mesosExecutorId: 'mesos_executor_id',
  marathonAppId: 'marathon_app_id',
  marathonAppVersion: 'marathon_app_version',
  podName: 'pod_name',
  podNamespace: 'pod_namespace',
  podUid: 'pod_uid',
  /** The container's name within its pod (Kubernetes). */
  podContainerName: 'pod_container_name',
  /** The Mesos container id of a container Mesos's Docker containerizer started (Docker name `mesos-<id>`). */
  mesosContainerId: 'mesos_container_id',
} as const;

/** Environment variables a Mesos executor sets in a task, mapped to the labels they become. */
export const RUNNER_ENVIRONMENT: Record<string, string> = {
  MESOS_TASK_ID: RUNNER_LABELS.mesosTaskId,
  MESOS_FRAMEWORK_ID: RUNNER_LABELS.mesosFrameworkId,
  MESOS_EXECUTOR_ID: RUNNER_LABELS.mesosExecutorId,
  MARATHON_APP_ID: RUNNER_LABELS.marathonAppId,
  MARATHON_APP_VERSION: RUNNER_LABELS.marathonAppVersion,
};

/** `container:<id>`: its parent is the host; processes name it as their parent. */
export const CONTAINER_LABELS = {
  ...RUNNER_LABELS,
  id: 'id',
  name: 'name',
  image: 'image',
  /** created, running, paused, restarting, exited, dead (Docker's words), or `running` when known from cgroups alone. */
  state: 'state',
  /** docker, containerd, cri-o, mesos, or cgroup when nothing but a cgroup names it. */
  runtime: 'runtime',
  /** The container's cgroup path relative to the hierarchy root. */
  cgroup: 'cgroup',
  netns: 'netns',
  /** Comma-separated addresses of the container's network namespace, when it has its own. */
  addresses: 'addresses',
} as const;

/** Container runtime labels (Docker labels, pod labels) are copied under this prefix: `label.<key>`. */
export const CONTAINER_LABEL_PREFIX = 'label.';

export const CONTAINER_METRICS = {
  cpuPercent: 'cpu_usage_percent',
  /** Usage minus inactive file cache: what the kernel's OOM decisions and `kubectl top` count. */
  memoryWorkingSetBytes: 'memory_working_set_bytes',
  memoryUsageBytes: 'memory_usage_bytes',
  memoryLimitBytes: 'memory_limit_bytes',
  ioReadBytes: 'io_read_bytes',
  ioWriteBytes: 'io_write_bytes',
  pids: 'pids',
} as const;

/** `process:<host>:<pid>:<starttime>`: parents host and, when it has one, container. */
export const PROCESS_LABELS = {
  ...RUNNER_LABELS,
  pid: 'pid',
  ppid: 'ppid',
  name: 'name',
  /** Arguments joined by spaces, cut at MAX_CMDLINE characters. */
  cmdline: 'cmdline',
  user: 'user',
  uid: 'uid',
} as const;

export const PROCESS_METRICS = {
  cpuPercent: 'cpu_usage_percent',
  memoryRssBytes: 'memory_rss_bytes',
  threads: 'threads',
  openFiles: 'open_files',
} as const;

/**
 * `endpoint:<netns>:<ip>:<port>`: one TCP socket's local end. Parents are the process that holds it (when the
 * probe could join it through the socket inode), its container and its host. A connected socket's adjacency is the
 * peer's endpoint id; the app resolves a peer the probe could not place (netns `*`) to a listening socket of some
 * reported namespace whose addresses include the peer's ip.
 */
export const ENDPOINT_LABELS = {
  ip: 'ip',
  port: 'port',
  netns: 'netns',
  /** 4 or 6. */
  family: 'family',
  /** The kernel's TCP state in lower case: listen, established, syn_sent, time_wait, close_wait, … */
  state: 'state',
  /**
   * listen: a listening socket. server: a connection accepted on a listening port of the same namespace.
   * client: a connection this side opened.
   */
  role: 'role',
} as const;

export const ENDPOINT_ROLES = ['listen', 'server', 'client'] as const;
export type EndpointRole = (typeof ENDPOINT_ROLES)[number];

/** Longest cmdline a probe sends; the rest of a long Java command line tells an operator nothing more. */
export const MAX_CMDLINE = 1024;
