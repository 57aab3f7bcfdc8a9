/**
 * The allocator's start-up configuration, from environment variables named in the shared contract. A bad value stops
 * the process with one line naming the variable and the rule.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { ALLOCATOR } from '../../lib/contract';
import { intVar, logLevelVar, parseEnv, portVar, zkConnectVar } from '../../lib/env';
import { ScalarBounds, ScalarName, SCALAR_NAMES } from './resources';

const E = ALLOCATOR.env;

export interface AllocatorConfig {
  logLevel: string;
  httpHost: string;
  httpPort: number;
  zkConnect: string;
  zkRoot: string;
  zkSessionTimeoutMs: number;
  intervalMs: number;
  advertiseUrl: string;
  offerTimeoutMs: number;
  maxOffersPerFramework: number;
  excludedResources: ScalarName[];
  minAllocatable: ScalarBounds[];
}

const resourceList = z
  .string()
  .default('gpus')
  .refine((s) => s === '' || s.split(',').every((n) => (SCALAR_NAMES as readonly string[]).includes(n.trim())), {
    error: `must be a comma-separated list of ${SCALAR_NAMES.join(', ')} (or empty)`,
  });

/** Mesos's flag syntax: alternatives separated by `|`, each a `;`-separated list of `name:quantity`. */
const minAllocatable = z
  .string()
  .default('cpus:0.01|mem:32')
  .refine((s) => parseMinAllocatable(s) !== null, { error: 'must look like "cpus:0.01|mem:32" (alternatives separated by |, each name:quantity;…)' });

export function parseMinAllocatable(text: string): ScalarBounds[] | null {
  const out: ScalarBounds[] = [];
  for (const alt of text.split('|')) {
    const bounds: ScalarBounds = {};
    for (const part of alt.split(';')) {
      const m = /^\s*(\w+)\s*:\s*([0-9.]+)\s*$/.exec(part);
      if (!m || !(SCALAR_NAMES as readonly string[]).includes(m[1]) || !Number.isFinite(Number(m[2]))) return null;
      bounds[m[1] as ScalarName] = Number(m[2]);
    }
    out.push(bounds);
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AllocatorConfig {
  const parsed = parseEnv(
    z.object({
      [E.logLevel]: logLevelVar(),
      [E.httpHost]: z.string().default('0.0.0.0'),
      [E.httpPort]: portVar().default(ALLOCATOR.httpPort),
      [E.zkConnect]: zkConnectVar(),
      [E.zkRoot]: z.string().regex(/^\/[^\s]*[^/\s]$/, { error: "must be an absolute znode path without a trailing '/', e.g. /allocator" }).default('/allocator'),
      [E.zkSessionTimeoutMs]: intVar(1000, 60000).default(6000),
      [E.allocationIntervalMs]: intVar(10, 600000).default(1000),
      [E.advertiseUrl]: z.url({ error: 'must be a URL such as http://allocator-0.allocator:8090' }).optional(),
      [E.offerTimeoutMs]: intVar(100, 86400000).default(30000),
      [E.maxOffersPerFramework]: intVar(1, 100000).default(100),
      [E.fairnessExcludedResources]: resourceList,
      [E.minAllocatable]: minAllocatable,
    }),
    env,
  ) as Record<string, unknown>;
  const port = parsed[E.httpPort] as number;
  const excluded = String(parsed[E.fairnessExcludedResources]);
  return {
    logLevel: parsed[E.logLevel] as string,
    httpHost: parsed[E.httpHost] as string,
    httpPort: port,
    zkConnect: parsed[E.zkConnect] as string,
    zkRoot: parsed[E.zkRoot] as string,
    zkSessionTimeoutMs: parsed[E.zkSessionTimeoutMs] as number,
    intervalMs: parsed[E.allocationIntervalMs] as number,
    advertiseUrl: (parsed[E.advertiseUrl] as string | undefined) ?? `http://${hostname()}:${port}`,
    offerTimeoutMs: parsed[E.offerTimeoutMs] as number,
    maxOffersPerFramework: parsed[E.maxOffersPerFramework] as number,
    excludedResources: excluded === '' ? [] : (excluded.split(',').map((s) => s.trim()) as ScalarName[]),
    minAllocatable: parseMinAllocatable(parsed[E.minAllocatable] as string)!,
  };
}
