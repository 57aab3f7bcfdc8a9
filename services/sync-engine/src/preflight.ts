/**
 * Start-up checks that run before the engine writes anything: both ensembles answer, the source chroot exists,
 * and source and target are not the same ensemble (copying a tree onto itself would corrupt it). Each failure is
 * a ConfigError with one line that says which side and why.
 */
import { lookup } from 'node:dns/promises';
import type { Logger } from '../../lib/logger';
import { ZkClient } from '../../lib/zk-client';
import { ConfigError, EngineConfig } from './config';
import { EnsembleSide, SideName } from './ensemble-side';

export interface OpenedSides {
  source: EnsembleSide;
  target: EnsembleSide;
}

/** Opens both sides and checks them; closes whatever it opened when a check fails. */
export async function openCheckedSides(config: EngineConfig, logger: Logger, options: { targetRootMustExist?: boolean; exitOnExpiry?: boolean } = {}): Promise<OpenedSides> {
  if (await sameAddresses(config.source.hosts, config.target.hosts)) {
    throw new ConfigError(`--source and --target are the same ensemble (${config.source.hosts}); a sync needs two different ensembles`);
  }
  const [source, target] = await Promise.all([open('source', config, logger, options.exitOnExpiry), open('target', config, logger, options.exitOnExpiry)].map((p) => p.catch((err: Error) => err)));
  const opened = [source, target].filter((s): s is EnsembleSide => s instanceof EnsembleSide);
  const fail = (message: string): never => {
    for (const s of opened) s.close();
    throw new ConfigError(message);
  };
  if (source instanceof Error) return fail(source.message);
  if (target instanceof Error) return fail(target.message);
  const s = source as EnsembleSide;
  const t = target as EnsembleSide;
  if (await looksLikeOneEnsemble(s, t, config)) fail(`--source and --target reach the same ZooKeeper server (session ids ${s.client.sessionId} and ${t.client.sessionId} come from one counter); a sync needs two different ensembles`);
  if (!(await s.client.exists(s.root))) fail(`--source chroot "${s.root}" does not exist on ${s.hosts}`);
  if (options.targetRootMustExist && !(await t.client.exists(t.root))) fail(`--target chroot "${t.root}" does not exist on ${t.hosts}`);
  if (!options.targetRootMustExist && t.root !== '/') {
    const parent = t.root.slice(0, t.root.lastIndexOf('/')) || '/';
    if (!(await t.client.exists(parent))) fail(`--target chroot "${t.root}": its parent "${parent}" does not exist on ${t.hosts} (the engine creates only the chroot itself)`);
  }
  return { source: s, target: t };
}

async function open(name: SideName, config: EngineConfig, logger: Logger, exitOnExpiry = false): Promise<EnsembleSide> {
  const c = config[name];
  let side: EnsembleSide;
  try {
    side = await EnsembleSide.open({ name, hosts: c.hosts, root: c.root, sessionTimeoutMs: config.sessionTimeoutMs, connectTimeoutMs: config.connectTimeoutMs, logger, exitOnExpiry });
  } catch {
    throw new ConfigError(`--${name} ensemble ${c.hosts} is unreachable: no ZooKeeper session within ${config.connectTimeoutMs} ms`);
  }
  try {
    for (const a of name === 'source' ? config.sourceAuth : config.targetAuth) await side.addAuth(a.scheme, a.auth);
  } catch (err) {
    side.close();
    throw new ConfigError(`--${name}-auth rejected by ${c.hosts}: ${(err as Error).message}`);
  }
  return side;
}

/** Do the two host lists share an address (after DNS resolution)? */
async function sameAddresses(a: string, b: string): Promise<boolean> {
  const resolve = async (hosts: string): Promise<Set<string>> => {
    const out = new Set<string>();
    for (const hostPort of hosts.split(',')) {
      const i = hostPort.lastIndexOf(':');
      const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
      const port = hostPort.slice(i + 1);
      try {
        for (const addr of await lookup(host, { all: true })) out.add(`${normalizeLoopback(addr.address)}:${port}`);
      } catch {
        out.add(`${host}:${port}`);
      }
    }
    return out;
  };
  const [x, y] = await Promise.all([resolve(a), resolve(b)]);
  return [...x].some((addr) => y.has(addr));
}

function normalizeLoopback(address: string): string {
  return address === '::1' || address.startsWith('127.') ? 'loopback' : address;
}

/**
 * Different addresses can still reach one server (a load balancer, a NAT). A server hands out session ids from one
 * counter seeded with its start time in milliseconds, so two sessions it opened moments apart have ids a few apart,
 * while two servers started at different milliseconds are at least 2^16 apart. Servers started in the same
 * millisecond (a test harness starting two at once) also hand out close ids, so close ids are probed: one more
 * session on the source, then one on the target. One counter gives every later session a larger id — the target's
 * first, then the source probe, then the target probe, in that order; two counters, each advanced by one, cannot
 * (that would need the target's counter both at or below the source's and above it).
 */
async function looksLikeOneEnsemble(a: EnsembleSide, b: EnsembleSide, config: EngineConfig): Promise<boolean> {
  const id = (sessionId: string): bigint => BigInt('0x' + sessionId.replace(/^0x/, ''));
  try {
    const [x, y] = [id(a.client.sessionId), id(b.client.sessionId)];
    if ((x > y ? x - y : y - x) >= 1024n) return false;
    const probe = async (hosts: string): Promise<bigint> => {
      const zk = await ZkClient.connect({ connect: hosts, sessionTimeoutMs: config.sessionTimeoutMs, connectTimeoutMs: config.connectTimeoutMs });
      zk.close();
      return id(zk.sessionId);
    };
    const p = await probe(config.source.hosts);
    const q = await probe(config.target.hosts);
    return (x > y ? x : y) < p && p < q;
  } catch {
    return false;
  }
}
