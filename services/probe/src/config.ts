/**
 * The probe's start-up configuration from the environment variables the contract names (services/lib/contract.ts
 * PROBE). A bad value stops the probe with one line naming the variable and the rule, in the same form as
 * services/lib/env.ts; that module is not used because it loads zod, ~10 MB of the probe's 60 MB budget.
 */
import { hostname } from 'node:os';
import { PROBE } from '../../lib/contract';

const E = PROBE.env;
const D = PROBE.defaults;

export interface ProbeConfig {
  logLevel: string;
  httpHost: string;
  httpPort: number;
  appUrl: string;
  token: string;
  intervalSeconds: number;
  procRoot: string;
  sysRoot: string;
  dockerSocket: string;
  hostname: string;
  bufferReports: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProbeConfig {
  const fail = (name: string, rule: string): never => {
    const got = env[name];
    throw new ConfigError(`${name} ${rule}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(got)})`}`);
  };
  const text = (name: string, fallback?: string): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      if (fallback === undefined) fail(name, 'must be set');
      return fallback as string;
    }
    return value;
  };
  const int = (name: string, min: number, max: number, fallback: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || n < min || n > max) fail(name, `must be an integer from ${min} to ${max}`);
    return n;
  };
  const absolute = (name: string, fallback: string): string => {
    const value = text(name, fallback);
    if (!value.startsWith('/')) fail(name, 'must be an absolute path');
    return value.length > 1 ? value.replace(/\/+$/, '') : value;
  };
  const logLevel = text(E.logLevel, 'info');
  if (!LOG_LEVELS.includes(logLevel)) fail(E.logLevel, `must be one of ${LOG_LEVELS.join(', ')}`);
  const appUrl = text(E.appUrl);
  let url: URL | undefined;
  try {
    url = new URL(appUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail(E.appUrl, 'must be an http(s) URL such as http://app:8093');
  const token = text(E.token);
  if (/\s/.test(token)) fail(E.token, 'must not contain white space');
  const host = text(E.hostname, hostname());
  if (!/^[^\s:/]{1,253}$/.test(host)) fail(E.hostname, 'must be a host name of at most 253 characters without spaces, ":" or "/"');
  return {
    logLevel,
    httpHost: text(E.httpHost, '0.0.0.0'),
    httpPort: int(E.httpPort, 1, 65535, PROBE.httpPort),
    appUrl,
    token,
    intervalSeconds: int(E.intervalSeconds, 1, 3600, D.intervalSeconds),
    procRoot: absolute(E.procRoot, D.procRoot),
    sysRoot: absolute(E.sysRoot, D.sysRoot),
    dockerSocket: absolute(E.dockerSocket, D.dockerSocket),
    hostname: host,
    bufferReports: int(E.bufferReports, 1, 1000, D.bufferReports),
  };
}
