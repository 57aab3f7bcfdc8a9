/**
 * The engine's configuration, from CLI flags (the CLI) or environment variables (service mode), validated into one
 * typed object. Every rule failure is a ConfigError whose message names the flag or variable and the rule, which
 * the CLI prints as its one error line before connecting to anything.
 */
import { parseArgs } from 'node:util';
import { SYNC_ENGINE } from '../../lib/contract';
import { CONFLICT_POLICIES, ConflictPolicy, Direction } from './conflict-policy';
import { PathFilter, PathFilterError } from './path-filter';
import { checkZkPath, ConnectTarget, parseConnect, pathsOverlap, Rel } from './tree-paths';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const MODES = ['copy', 'sync', 'verify', 'cutover', 'rollback', 'status', 'serve'] as const;
export type Mode = (typeof MODES)[number];

export interface EngineConfig {
  mode: Mode;
  source: ConnectTarget & { connect: string };
  target: ConnectTarget & { connect: string };
  include: string[];
  exclude: string[];
  /** Credentials added to each side's session (`digest:user:password`), e.g. to read digest ACLs in full. */
  sourceAuth: { scheme: string; auth: string }[];
  targetAuth: { scheme: string; auth: string }[];
  /** one-way: source to target; two-way: both. */
  twoWay: boolean;
  policy: ConflictPolicy;
  job: string;
  stateDir?: string;
  maxInFlight: number;
  concurrency: number;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  heartbeatMs: number;
  heartbeatRel: Rel;
  fullCompareIntervalMs: number;
  publishZnode: string;
  publishFile?: string;
  lagThresholdMs: number;
  lagStableMs: number;
  rollbackWindowMs: number;
  /** Cutover in service mode; sync otherwise. */
  serveMode: 'sync' | 'cutover';
  httpHost: string;
  httpPort: number;
  json: boolean;
}

export function directionOf(config: Pick<EngineConfig, 'twoWay'>): Direction {
  return config.twoWay ? 'two-way' : 'a-to-b';
}

/** Raw string values by option name; the same names serve flags (`--max-in-flight`) and env (`SYNC_MAX_IN_FLIGHT`). */
interface RawOptions {
  source?: string;
  target?: string;
  include?: string[];
  exclude?: string[];
  'source-auth'?: string[];
  'target-auth'?: string[];
  direction?: string;
  policy?: string;
  job?: string;
  'state-dir'?: string;
  'max-in-flight'?: string;
  concurrency?: string;
  'session-timeout-ms'?: string;
  'connect-timeout-ms'?: string;
  'heartbeat-ms'?: string;
  'full-compare-interval-ms'?: string;
  'publish-znode'?: string;
  'publish-file'?: string;
  'lag-threshold-ms'?: string;
  'lag-stable-ms'?: string;
  'rollback-window-ms'?: string;
  'serve-mode'?: string;
  'http-host'?: string;
  'http-port'?: string;
  json?: boolean;
}

const STRING_OPTIONS = [
  'source',
  'target',
  'direction',
  'policy',
  'job',
  'state-dir',
  'max-in-flight',
  'concurrency',
  'session-timeout-ms',
  'connect-timeout-ms',
  'heartbeat-ms',
  'full-compare-interval-ms',
  'publish-znode',
  'publish-file',
  'lag-threshold-ms',
  'lag-stable-ms',
  'rollback-window-ms',
  'serve-mode',
  'http-host',
  'http-port',
] as const;

export const USAGE = `usage: sync-engine <${MODES.join('|')}> --source host:port[/chroot] --target host:port[/chroot] [options]
  --include PATTERN / --exclude PATTERN   (repeatable; * within a segment, ** across segments; /zookeeper is always excluded)
  --direction one-way|two-way             sync direction (default one-way)
  --policy source-wins|target-wins|newest-wins   conflict policy for two-way sync (default source-wins)
  --state-dir DIR  --job NAME              where the ledger, conflicts and cutover phase are kept (required for cutover/rollback)
  --source-auth / --target-auth scheme:credentials   (repeatable) e.g. digest:admin:secret, needed to read digest ACLs
  --max-in-flight N  --concurrency N       pipelining limits (default 1000 requests, 256 paths)
  --session-timeout-ms N  --connect-timeout-ms N
  --heartbeat-ms N                         lag heartbeat period, 0 to disable (default 100)
  --lag-threshold-ms N  --lag-stable-ms N  cutover: freeze once lag stays under N ms for M ms (default 200, 2000)
  --rollback-window-ms N                   cutover: reverse sync this long after the switch (default 60000)
  --publish-znode PATH  --publish-file PATH  where the active connect string is published
  --http-port N  --http-host H              serve /healthz /readyz /metrics /status /conflicts while running
  --json                                    print results as JSON`;

export function parseCli(argv: string[]): EngineConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: 'string' as const }])),
        include: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        'source-auth': { type: 'string', multiple: true },
        'target-auth': { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0]);
  }
  const [mode, ...extra] = parsed.positionals;
  if (!mode) throw new ConfigError(`a mode is required: one of ${MODES.join(', ')}`);
  if (!(MODES as readonly string[]).includes(mode)) throw new ConfigError(`unknown mode "${mode}": expected one of ${MODES.join(', ')}`);
  if (extra.length > 0) throw new ConfigError(`unexpected argument "${extra[0]}"`);
  return buildConfig(mode as Mode, parsed.values as RawOptions, (name) => `--${name}`);
}

/** Service mode: the same options from SYNC_* variables (lists comma-separated). */
export function parseEnvConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const envName = (name: string): string => {
    const e = SYNC_ENGINE.env;
    const known: Record<string, string> = {
      source: e.source,
      target: e.target,
      'http-host': e.httpHost,
      'http-port': e.httpPort,
      'state-dir': e.stateDir,
      'serve-mode': e.serveMode,
      include: e.include,
      exclude: e.exclude,
      direction: e.direction,
      policy: e.policy,
    };
    return known[name] ?? `SYNC_${name.toUpperCase().replace(/-/g, '_')}`;
  };
  const raw: RawOptions = {};
  for (const name of STRING_OPTIONS) {
    const value = env[envName(name)];
    if (value !== undefined && value !== '') (raw as Record<string, string>)[name] = value;
  }
  const list = (name: string): string[] | undefined => env[envName(name)]?.split(',').map((s) => s.trim()).filter(Boolean);
  raw.include = list('include');
  raw.exclude = list('exclude');
  raw['source-auth'] = list('source-auth');
  raw['target-auth'] = list('target-auth');
  return buildConfig('serve', raw, envName);
}

function buildConfig(mode: Mode, raw: RawOptions, nameOf: (option: string) => string): EngineConfig {
  const int = (option: keyof RawOptions, fallback: number, min: number, max: number): number => {
    const value = raw[option];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) throw new ConfigError(`${nameOf(option)} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    return n;
  };
  const connect = (option: 'source' | 'target'): ConnectTarget & { connect: string } => {
    const value = raw[option];
    if (!value) throw new ConfigError(`${nameOf(option)} is required: a connect string host:port[,host:port...][/chroot]`);
    const parsed = parseConnect(value);
    if ('error' in parsed) throw new ConfigError(`${nameOf(option)}: ${parsed.error}`);
    return { ...parsed, connect: value };
  };
  const auths = (option: 'source-auth' | 'target-auth'): { scheme: string; auth: string }[] =>
    (raw[option] ?? []).map((value) => {
      const i = value.indexOf(':');
      if (i <= 0 || i === value.length - 1) throw new ConfigError(`${nameOf(option)} must be scheme:credentials, e.g. digest:user:password (got ${JSON.stringify(value.replace(/:.*/, ':…'))})`);
      return { scheme: value.slice(0, i), auth: value.slice(i + 1) };
    });
  const source = connect('source');
  const target = connect('target');

  const direction = raw.direction ?? 'one-way';
  if (direction !== 'one-way' && direction !== 'two-way') throw new ConfigError(`${nameOf('direction')} must be one-way or two-way (got ${JSON.stringify(direction)})`);
  const policy = raw.policy ?? 'source-wins';
  if (!(CONFLICT_POLICIES as readonly string[]).includes(policy)) throw new ConfigError(`${nameOf('policy')} must be one of ${CONFLICT_POLICIES.join(', ')} (got ${JSON.stringify(policy)})`);
  if (direction === 'one-way' && policy !== 'source-wins') throw new ConfigError(`${nameOf('policy')} ${policy} needs ${nameOf('direction')} two-way: one-way sync always makes the target like the source`);

  const job = raw.job ?? 'default';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(job)) throw new ConfigError(`${nameOf('job')} must be 1-64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(job)})`);

  const heartbeatRel = `/.sync-engine-heartbeat-${job}`;
  const include = raw.include ?? [];
  const exclude = [...(raw.exclude ?? [])];
  // The ensemble's own /zookeeper (quotas, config) belongs to each ensemble, never to the data being moved.
  if ((source.root === '/' || target.root === '/') && !exclude.includes('/zookeeper')) exclude.push('/zookeeper');
  try {
    new PathFilter({ include, exclude, alwaysInclude: [heartbeatRel] });
  } catch (err) {
    if (err instanceof PathFilterError) throw new ConfigError(`${nameOf('include')}/${nameOf('exclude')}: ${err.message}`);
    throw err;
  }

  const publishZnode = raw['publish-znode'] ?? `/sync-engine/${job}/active-connect`;
  const znodeError = checkZkPath(publishZnode);
  if (znodeError) throw new ConfigError(`${nameOf('publish-znode')} "${publishZnode}" ${znodeError}`);
  for (const side of [source, target]) {
    if (pathsOverlap(publishZnode, side.root)) throw new ConfigError(`${nameOf('publish-znode')} "${publishZnode}" must lie outside the synced tree "${side.root}"`);
  }

  const serveMode = raw['serve-mode'] ?? 'sync';
  if (serveMode !== 'sync' && serveMode !== 'cutover') throw new ConfigError(`${nameOf('serve-mode')} must be sync or cutover (got ${JSON.stringify(serveMode)})`);
  if ((mode === 'cutover' || mode === 'rollback' || (mode === 'serve' && serveMode === 'cutover')) && !raw['state-dir']) {
    throw new ConfigError(`${nameOf('state-dir')} is required for ${mode === 'serve' ? 'cutover' : mode}: the phase must survive a crash`);
  }

  return {
    mode,
    source,
    target,
    include,
    exclude,
    sourceAuth: auths('source-auth'),
    targetAuth: auths('target-auth'),
    twoWay: direction === 'two-way',
    policy: policy as ConflictPolicy,
    job,
    stateDir: raw['state-dir'],
    maxInFlight: int('max-in-flight', 1000, 1, 100_000),
    concurrency: int('concurrency', 256, 1, 10_000),
    sessionTimeoutMs: int('session-timeout-ms', 10_000, 1000, 60_000),
    connectTimeoutMs: int('connect-timeout-ms', 5000, 100, 120_000),
    heartbeatMs: int('heartbeat-ms', 100, 0, 60_000),
    heartbeatRel,
    fullCompareIntervalMs: int('full-compare-interval-ms', 300_000, 0, 86_400_000),
    publishZnode,
    publishFile: raw['publish-file'],
    lagThresholdMs: int('lag-threshold-ms', 200, 1, 600_000),
    lagStableMs: int('lag-stable-ms', 2000, 0, 600_000),
    rollbackWindowMs: int('rollback-window-ms', 60_000, 0, 86_400_000),
    serveMode,
    httpHost: raw['http-host'] ?? '0.0.0.0',
    httpPort: int('http-port', mode === 'serve' ? SYNC_ENGINE.httpPort : 0, 0, 65535),
    json: raw.json ?? false,
  };
}

export function filterOf(config: Pick<EngineConfig, 'include' | 'exclude' | 'heartbeatRel'>): PathFilter {
  return new PathFilter({ include: config.include, exclude: config.exclude, alwaysInclude: [config.heartbeatRel] });
}
