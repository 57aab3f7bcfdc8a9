/**
 * The app's start-up configuration, from environment variables named in the shared contract. A bad value stops the
 * process with one line naming the variable and the rule (main.ts exits 2).
 */
import { z } from 'zod';
import { APP } from '../../lib/contract';
import { intVar, logLevelVar, parseEnv, portVar } from '../../lib/env';

const E = APP.env;
const D = APP.defaults;

export interface AppConfig {
  logLevel: string;
  httpHost: string;
  httpPort: number;
  probeToken: string;
  /** Read-side token; undefined leaves the read API open. */
  apiToken?: string;
  windowSeconds: number;
  maxReportBytes: number;
  maxPendingReports: number;
  decodeWorkers: number;
  historySeconds: number;
  uiDir: string;
}

const token = (what: string) =>
  z
    .string({ error: `must be set to the ${what} token` })
    .min(16, { error: 'must be at least 16 characters' })
    .max(4096, { error: 'must be at most 4096 characters' })
    .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' });

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = parseEnv(
    z.object({
      [E.logLevel]: logLevelVar(),
      [E.httpHost]: z.string().default('0.0.0.0'),
      [E.httpPort]: portVar().default(APP.httpPort),
      [E.probeToken]: token('probes\''),
      [E.apiToken]: token('read API').optional(),
      [E.windowSeconds]: intVar(1, 3600).default(D.windowSeconds),
      [E.maxReportBytes]: intVar(1024, 256 * 1024 * 1024).default(D.maxReportBytes),
      [E.maxPendingReports]: intVar(1, 10_000).default(D.maxPendingReports),
      [E.decodeWorkers]: intVar(1, 64).default(D.decodeWorkers),
      [E.historySeconds]: intVar(0, 86_400).default(D.historySeconds),
      [E.uiDir]: z.string().min(1, { error: 'must be a directory path' }).default(D.uiDir),
    }),
    env,
  ) as Record<string, unknown>;
  return {
    logLevel: parsed[E.logLevel] as string,
    httpHost: parsed[E.httpHost] as string,
    httpPort: parsed[E.httpPort] as number,
    probeToken: parsed[E.probeToken] as string,
    apiToken: parsed[E.apiToken] as string | undefined,
    windowSeconds: parsed[E.windowSeconds] as number,
    maxReportBytes: parsed[E.maxReportBytes] as number,
    maxPendingReports: parsed[E.maxPendingReports] as number,
    decodeWorkers: parsed[E.decodeWorkers] as number,
    historySeconds: parsed[E.historySeconds] as number,
    uiDir: parsed[E.uiDir] as string,
  };
}
