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
  },
} as const satisfies ServiceContract;

export const PROBE = {
  image: 'orchestrator/probe',
  httpPort: 8092,
  env: { ...COMMON_ENV, appUrl: 'PROBE_APP_URL', intervalSeconds: 'PROBE_INTERVAL_SECONDS', procRoot: 'PROBE_PROC_ROOT' },
} as const satisfies ServiceContract;

export const APP = {
  image: 'orchestrator/app',
  httpPort: 8093,
  env: { ...COMMON_ENV },
} as const satisfies ServiceContract;

/** The well-known ports of the platform the program declares. */
export const PLATFORM_PORTS = {
  zookeeperClient: 2181,
  zookeeperQuorum: 2888,
  zookeeperElection: 3888,
  mesosMaster: 5050,
  mesosAgent: 5051,
  marathon: 8080,
} as const;
