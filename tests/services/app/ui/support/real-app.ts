/**
 * The real monitoring app, started as it ships (services/app/src/main.ts, configured by its environment) in a
 * process of its own on a loopback port, serving a built UI, fed with real probe reports through
 * `POST /api/report`. Reports come from the backend's fleet generator (services/app/bench/report-generator.ts):
 * containers that are Mesos tasks of Marathon apps, connections across hosts, each report validated by the app.
 *
 * A process rather than createApp in the test's own: the app loads @fastify/static, whose ESM dependencies jest's
 * CommonJS runtime cannot load, and a restart is then what it is in production, a new process on the same port.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fleetReports, FleetShape } from '../../../../../services/app/bench/report-generator';
import { APP } from '../../../../../services/lib/contract';
import type { ProbeReportInput } from '../../../../../services/lib/report/report-schema';
import { freePort } from '../../../../support/zookeeper-server';

export const PROBE_TOKEN = 'ui-tests-probe-token-0123456789';
const ROOT = join(__dirname, '../../../../..');

export interface RealApp {
  url: string;
  /** The read API's token, when it has one. */
  apiToken?: string;
  pid: number;
  /** Posts one report as a probe does (retrying a 503 after its Retry-After); throws unless the app took it. */
  report(report: ProbeReportInput): Promise<void>;
  /** Posts every report, a few at a time. */
  reportAll(reports: ProbeReportInput[]): Promise<void>;
  /** SIGTERM, and waits for the process to exit (its sockets close, as on a restart). */
  stop(): Promise<void>;
}

export interface RealAppOptions {
  uiDir: string;
  apiToken?: string;
  /** Listen on this port (a restart on the same address); unset picks a free one. */
  port?: number;
}

/** A small fleet: `probes` hosts × `containers` containers, one process each, a few connections per host. */
export function smallFleet(probes: number, containers: number, connectionsPerProbe = 8): FleetShape {
  return { probes, containersPerProbe: containers, processesPerContainer: 1, connectionsPerProbe, images: 12, samplesPerSeries: 12 };
}

export function reportsAt(shape: FleetShape, t = Date.now()): ProbeReportInput[] {
  return fleetReports(shape, t);
}

async function waitHealthy(url: string, child: ChildProcess, stderr: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}: ${stderr()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the app did not answer /healthz within ${timeoutMs} ms: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRealApp(options: RealAppOptions): Promise<RealApp> {
  const port = options.port ?? (await freePort());
  const E = APP.env;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [E.logLevel]: 'warn',
    [E.httpHost]: '127.0.0.1',
    [E.httpPort]: String(port),
    [E.probeToken]: PROBE_TOKEN,
    [E.uiDir]: options.uiDir,
    // Long enough that nothing a test sent ages out while it runs.
    [E.windowSeconds]: '3600',
    [E.historySeconds]: '3600',
    [E.maxReportBytes]: String(64 * 1024 * 1024),
  };
  if (options.apiToken) env[E.apiToken] = options.apiToken;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/app/src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitHealthy(url, child, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  // As a probe does: a 503 (the app applying back-pressure) is retried after its Retry-After.
  const report = async (r: ProbeReportInput) => {
    const body = JSON.stringify(r);
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${url}/api/report`, { method: 'POST', headers: { authorization: `Bearer ${PROBE_TOKEN}`, 'content-type': 'application/json', [APP.probeIdHeader]: r.probe.id }, body });
      if (res.status < 300) return;
      const text = await res.text();
      if (res.status !== 503 || attempt >= 10) throw new Error(`POST /api/report answered ${res.status}: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, Number(res.headers.get('retry-after') ?? 1)) * 1000));
    }
  };
  return {
    url,
    apiToken: options.apiToken,
    pid: child.pid!,
    report,
    async reportAll(reports) {
      for (let i = 0; i < reports.length; i += 8) await Promise.all(reports.slice(i, i + 8).map(report));
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}

/** Polls until the app's topology shows `count` nodes (a generation has taken the reports in). */
export async function waitForNodes(app: RealApp, topology: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const headers: Record<string, string> = app.apiToken ? { authorization: `Bearer ${app.apiToken}` } : {};
    const list = (await (await fetch(`${app.url}/api/topology`, { headers })).json()) as { topologies: Array<{ name: string; nodeCount: number }> };
    const seen = list.topologies.find((t) => t.name === topology)?.nodeCount ?? 0;
    if (seen >= count) return;
    if (Date.now() > deadline) throw new Error(`${topology} has ${seen} nodes after ${timeoutMs} ms, waited for ${count}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
