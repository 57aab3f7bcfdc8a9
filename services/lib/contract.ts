/**
 * The contract between the Pulumi program and the services: image names, ports and environment variable names.
 * Both sides import this module and nothing else of each other, so renaming a variable here is the whole change.
 */

export interface ServiceContract {
  /** Image repository name, without registry or tag. */
  image: string;
  /** The port the service's HTTP API, health and metrics listen on. */
  httpPort: number;
  /** Environment variables the service reads at start-up, by purpose. */
  env: Record<string, string>;
}

/** Variables every service reads. */
export const COMMON_ENV = {
  logLevel: 'LOG_LEVEL',
  httpHost: 'HTTP_HOST',
  httpPort: 'HTTP_PORT',
} as const;

export const ALLOCATOR = {
  image: 'orchestrator/allocator',
  httpPort: 8090,
  env: {
    ...COMMON_ENV,
    zkConnect: 'ALLOCATOR_ZK_CONNECT',
    zkRoot: 'ALLOCATOR_ZK_ROOT',
    allocationIntervalMs: 'ALLOCATOR_INTERVAL_MS',
    advertiseUrl: 'ALLOCATOR_ADVERTISE_URL',
    zkSessionTimeoutMs: 'ALLOCATOR_ZK_SESSION_TIMEOUT_MS',
    offerTimeoutMs: 'ALLOCATOR_OFFER_TIMEOUT_MS',
    maxOffersPerFramework: 'ALLOCATOR_MAX_OFFERS_PER_FRAMEWORK',
    fairnessExcludedResources: 'ALLOCATOR_FAIRNESS_EXCLUDED_RESOURCES',
    minAllocatable: 'ALLOCATOR_MIN_ALLOCATABLE',
  },
} as const satisfies ServiceContract;

export const SYNC_ENGINE = {
  image: 'orchestrator/sync-engine',
  httpPort: 8091,
  env: {
    ...COMMON_ENV,
    source: 'SYNC_SOURCE',
    target: 'SYNC_TARGET',
    stateConnect: 'SYNC_STATE_CONNECT',
    /** Directory (a small persistent volume) for the ledger, conflict record and cutover phase. */
    stateDir: 'SYNC_STATE_DIR',
    /** `sync` (default) or `cutover`. */
    serveMode: 'SYNC_SERVE_MODE',
    /** Comma-separated include / exclude path patterns. */
    include: 'SYNC_INCLUDE',
    exclude: 'SYNC_EXCLUDE',
    direction: 'SYNC_DIRECTION',
    policy: 'SYNC_POLICY',
    /** Comma-separated `scheme:credentials` added to each side's sessions (e.g. `digest:user:password`). */
    sourceAuth: 'SYNC_SOURCE_AUTH',
    targetAuth: 'SYNC_TARGET_AUTH',
    /** Job name: the state dir's files, the heartbeat node and the default publish znode are named after it. */
    job: 'SYNC_JOB',
    /** A file the cutover writes the active connect string to, one plain line (beside the znode it always writes). */
    publishFile: 'SYNC_PUBLISH_FILE',
  },
} as const satisfies ServiceContract;

/** A host path the probe reads, where the DaemonSet mounts it, and why. */
export interface HostMount {
  name: string;
  hostPath: string;
  mountPath: string;
  /** Kubernetes hostPath type: what must exist on the node. `Socket` mounts are optional on nodes without Docker. */
  type: 'Directory' | 'Socket';
  why: string;
}

export const PROBE = {
  image: 'orchestrator/probe',
  httpPort: 8092,
  env: {
    ...COMMON_ENV,
    /** Base URL of the monitoring app, e.g. `http://app:8093`; reports go to `<url>/api/report`. */
    appUrl: 'PROBE_APP_URL',
    /** Bearer token the app expects on `POST /api/report` (from the Secret both read). */
    token: 'PROBE_TOKEN',
    intervalSeconds: 'PROBE_INTERVAL_SECONDS',
    /** Where the host's /proc is mounted (`/host/proc` in the DaemonSet, `/proc` when run on the host). */
    procRoot: 'PROBE_PROC_ROOT',
    /** Where the host's /sys is mounted (`/host/sys` in the DaemonSet, which mounts only its `fs/cgroup`). */
    sysRoot: 'PROBE_SYS_ROOT',
    /** Docker Engine API socket; absent or unanswering means containers are found from cgroups alone. */
    dockerSocket: 'PROBE_DOCKER_SOCKET',
    /** The node's name (downward API `spec.nodeName`): the report's host, stable across probe restarts. */
    hostname: 'PROBE_HOSTNAME',
    /** Reports kept while the app is unreachable; older ones are dropped and counted. */
    bufferReports: 'PROBE_BUFFER_REPORTS',
  },
  /** Exactly the host paths the probe reads, all mounted read-only. */
  hostMounts: [
    { name: 'host-proc', hostPath: '/proc', mountPath: '/host/proc', type: 'Directory', why: 'processes, their cgroups, environments, fd tables and every network namespace\'s sockets' },
    { name: 'host-cgroup', hostPath: '/sys/fs/cgroup', mountPath: '/host/sys/fs/cgroup', type: 'Directory', why: 'per-container CPU, memory, IO and PIDs from the cgroup v2 or v1 tree' },
    { name: 'docker-socket', hostPath: '/var/run/docker.sock', mountPath: '/var/run/docker.sock', type: 'Socket', why: 'container names, images and labels from the Docker Engine API (read-only calls)' },
  ] satisfies HostMount[],
  /**
   * Runs in the host's PID namespace, as root with every capability dropped but these two: reading another user's
   * /proc/<pid>/fd and /proc/<pid>/environ passes the kernel's ptrace access check only with SYS_PTRACE, and
   * DAC_READ_SEARCH lets it traverse those mode-0500 directories without owning them. Root is needed because
   * Kubernetes grants added capabilities to uid 0 only (they are not ambient for other users).
   */
  security: { hostPID: true, runAsUser: 0, capabilities: ['SYS_PTRACE', 'DAC_READ_SEARCH'], readOnlyRootFilesystem: true },
  /** Defaults the probe applies when the variables are unset. */
  defaults: { intervalSeconds: 15, procRoot: '/proc', sysRoot: '/sys', dockerSocket: '/var/run/docker.sock', bufferReports: 20 },
} as const satisfies ServiceContract & Record<string, unknown>;

export const APP = {
  image: 'orchestrator/app',
  httpPort: 8093,
  env: {
    ...COMMON_ENV,
    /** The bearer token probes present on `POST /api/report` (the same Secret key the probes read). */
    probeToken: 'APP_PROBE_TOKEN',
    /** Sliding window over which probe reports are merged; a probe silent for longer ages out. */
    windowSeconds: 'APP_WINDOW_SECONDS',
    /** Largest report body accepted, compressed or not. */
    maxReportBytes: 'APP_MAX_REPORT_BYTES',
    /** Reports being received or processed at once; one more is answered 503 with Retry-After. */
    maxPendingReports: 'APP_MAX_PENDING_REPORTS',
    /** Worker threads that decode and validate reports off the event loop. */
    decodeWorkers: 'APP_DECODE_WORKERS',
    /** How long each node's metric samples are kept for the details charts, beyond the window. */
    historySeconds: 'APP_HISTORY_SECONDS',
    /** Directory of the built web UI (`npm run build:ui`), served at `/`; relative to the working directory. */
    uiDir: 'APP_UI_DIR',
    /** Optional bearer token for the read API and WebSocket (`Authorization: Bearer` or `?access_token=`); unset = open. */
    apiToken: 'APP_API_TOKEN',
  },
  defaults: { windowSeconds: 15, maxReportBytes: 8 * 1024 * 1024, maxPendingReports: 32, decodeWorkers: 1, historySeconds: 300, uiDir: 'dist/app-ui' },
  /** Metrics the platform's alerts read from the app's `/metrics`. */
  metrics: {
    /** Gauge of probes known, by `status`: ok and late are inside the window (the hosts the topology shows), gone aged out. */
    probes: 'app_probes',
    /** Counters of probe reports accepted into the window and refused (by `reason`); the canary analysis reads both. */
    reportsAccepted: 'app_reports_accepted_total',
    reportsRefused: 'app_reports_refused_total',
  },
  /**
   * Optional request header a probe sends with its report: the app counts a refused report (too large, overloaded)
   * against that probe in `GET /api/probes` even when it never read the body.
   */
  probeIdHeader: 'x-probe-id',
} as const satisfies ServiceContract & Record<string, unknown>;

/** The Secret key holding the probe token; the probe reads it as PROBE_TOKEN, the app as APP_PROBE_TOKEN. */
export const PROBE_TOKEN_SECRET_KEY = 'probe-token';

/** The well-known ports of the platform the program declares. */
export const PLATFORM_PORTS = {
  zookeeperClient: 2181,
  zookeeperQuorum: 2888,
  zookeeperElection: 3888,
  mesosMaster: 5050,
  mesosAgent: 5051,
  marathon: 8080,
  /** ZooKeeper's Prometheus metrics provider (`metricsProvider.httpPort`, its documented default). */
  zookeeperMetrics: 7000,
  /** The Mesos exporter sidecar beside each master and agent (mesos_exporter's default `-addr`). */
  mesosExporter: 9105,
} as const;

/**
 * The request histogram the shared HTTP frame (services/lib/service-http.ts) keeps in every service, and that the
 * canary analysis reads (components/gitops/canary-analysis.ts): one series set per method, route pattern and status
 * class (`2xx` … `5xx`). The frame's own routes (/healthz, /readyz, /metrics, /openapi.json) are not in it.
 */
export const HTTP_METRICS = {
  requestDuration: 'http_request_duration_seconds',
  labels: ['method', 'route', 'status_class'],
  /** The `route` of a request that matched no route (a 404), so scans cannot grow the series without bound. */
  unmatchedRoute: 'unmatched',
  /** prom-client's default buckets, 5 ms to 10 s: a quantile beyond the largest reads as that bound. */
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
} as const;
