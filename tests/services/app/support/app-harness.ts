/**
 * The app on a loopback port with a clock the test moves, and a client that speaks to it as a probe and a user do.
 */
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { AppOptions, AppUnderRun, createApp } from '../../../../services/app/src/app-server';
import { silentLogger } from '../../../../services/lib/logger';
import { T0 } from './fixed-reports';

export const PROBE_TOKEN = 'probe-token-for-tests-0123456789';

export interface AppHarness {
  url: string;
  app: AppUnderRun;
  /** The app's clock; tests move it instead of sleeping. */
  clock: { now: number };
  close(): Promise<void>;
}

export async function startApp(options: Partial<AppOptions> = {}): Promise<AppHarness> {
  const clock = { now: T0 + 1000 };
  const app = await createApp({
    logger: silentLogger(),
    probeToken: PROBE_TOKEN,
    windowSeconds: 15,
    maxReportBytes: 1024 * 1024,
    maxPendingReports: 8,
    historySeconds: 300,
    minGenerationMs: 0,
    maxStaleMs: 0,
    tickMs: 0,
    clock: () => clock.now,
    lag: () => 0,
    ...options,
  });
  await app.http.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.http.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    clock,
    async close() {
      await app.http.close();
      await app.stop();
    },
  };
}

export interface PostOptions {
  token?: string | null;
  gzip?: boolean;
  headers?: Record<string, string>;
}

/** A report as a probe posts it: JSON, gzip by default, the probe token. */
export async function postReport(url: string, report: unknown, options: PostOptions = {}): Promise<Response> {
  const json = typeof report === 'string' ? report : JSON.stringify(report);
  const gzip = options.gzip ?? true;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (gzip) headers['content-encoding'] = 'gzip';
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? PROBE_TOKEN}`;
  return fetch(`${url}/api/report`, { method: 'POST', headers, body: gzip ? gzipSync(json) : json });
}

export async function getJson<T = any>(url: string, path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
