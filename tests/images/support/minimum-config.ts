/**
 * The least each service needs to start in its container, in the contract's variable names. Containers run with
 * `--network=host` (the engine has no bridge), so loopback reaches the test's ZooKeeper servers and the port given
 * is the service's own. A service missing here starts with the common variables only; add it when it needs more.
 */
import { ALLOCATOR, APP, COMMON_ENV, PROBE, SYNC_ENGINE } from '../../../services/lib/contract';
import { ZkClient } from '../../../services/lib/zk-client';

export interface ContainerContext {
  /** The HTTP port the service is given (free on the host). */
  port: number;
  /** Two separate standalone ZooKeeper servers, `127.0.0.1:<port>` each. */
  zookeeper: [string, string];
  /** A path unique to this container, for ZooKeeper roots. */
  unique: string;
  /** A loopback port nothing listens on: an address for peers that are not part of the test. */
  nobodyPort: number;
}

export interface MinimumConfig {
  env: (ctx: ContainerContext) => Promise<Record<string, string>> | Record<string, string>;
  /** True when the service reports ready (`/readyz` 200) with just this config. */
  readyWithIt: boolean;
}

export const TEST_TOKEN = 'images-test-probe-token';

export const MINIMUM_CONFIG: Record<string, MinimumConfig> = {
  allocator: {
    // The only replica of its group: it elects itself and leads.
    env: (ctx) => ({
      [ALLOCATOR.env.zkConnect]: ctx.zookeeper[0],
      [ALLOCATOR.env.zkRoot]: `/${ctx.unique}`,
      [ALLOCATOR.env.advertiseUrl]: `http://127.0.0.1:${ctx.port}`,
    }),
    readyWithIt: true,
  },
  'sync-engine': {
    // One-way sync of an empty tree between the two servers; the source chroot has to exist.
    env: async (ctx) => {
      await writeZnodes(ctx.zookeeper[0], { [`/${ctx.unique}`]: '' });
      return { [SYNC_ENGINE.env.source]: `${ctx.zookeeper[0]}/${ctx.unique}`, [SYNC_ENGINE.env.target]: `${ctx.zookeeper[1]}/${ctx.unique}` };
    },
    readyWithIt: true,
  },
  probe: {
    // Reports go nowhere (the app is not part of the test); the probe buffers them and stays healthy.
    env: (ctx) => ({
      [PROBE.env.appUrl]: `http://127.0.0.1:${ctx.nobodyPort}`,
      [PROBE.env.token]: TEST_TOKEN,
      [PROBE.env.hostname]: 'images-test',
    }),
    readyWithIt: false,
  },
  app: {
    env: () => ({ [APP.env.probeToken]: TEST_TOKEN }),
    readyWithIt: true,
  },
};

/** The variables every service gets: its port, loopback only (the host's network is shared), info logs. */
export function commonEnv(ctx: ContainerContext): Record<string, string> {
  return { [COMMON_ENV.httpHost]: '127.0.0.1', [COMMON_ENV.httpPort]: String(ctx.port), [COMMON_ENV.logLevel]: 'info' };
}

/** Creates each path (with its parents) holding the given data, or sets the data where it exists. */
export async function writeZnodes(connect: string, nodes: Record<string, string>): Promise<void> {
  const zk = await ZkClient.connect({ connect, sessionTimeoutMs: 10_000 });
  try {
    for (const [path, data] of Object.entries(nodes)) {
      await zk.mkdirp(path);
      await zk.set(path, data);
    }
  } finally {
    zk.close();
  }
}
