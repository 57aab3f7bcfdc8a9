/**
 * The probe as shipped: main.ts bundled by esbuild as the image bundles it, run as a process against a generated
 * host and a local app. Start-up validation, health, readiness, metrics, JSON logs, and the SIGTERM drain.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { ProbeReport } from '../../../services/lib/report/report-schema';
import { loadConfig } from '../../../services/probe/src/config';
import { GeneratedHost } from '../../support/generated-host';
import { freePort } from '../../support/zookeeper-server';
import { readReport } from './collect-report';

const ROOT = join(__dirname, '..', '..', '..');

describe('start-up configuration', () => {
  const base = { PROBE_APP_URL: 'http://app:8093', PROBE_TOKEN: 't0k3n' };

  test('defaults come from the contract', () => {
    expect(loadConfig({ ...base, PROBE_HOSTNAME: 'node-1' })).toEqual({
      logLevel: 'info', httpHost: '0.0.0.0', httpPort: 8092, appUrl: 'http://app:8093', token: 't0k3n', intervalSeconds: 15,
      procRoot: '/proc', sysRoot: '/sys', dockerSocket: '/var/run/docker.sock', hostname: 'node-1', bufferReports: 20,
    });
  });

  test.each([
    [{ PROBE_TOKEN: 'x' }, 'PROBE_APP_URL must be set (not set)'],
    [{ ...base, PROBE_APP_URL: 'ftp://app' }, 'PROBE_APP_URL must be an http(s) URL such as http://app:8093 (got "ftp://app")'],
    [{ ...base, PROBE_INTERVAL_SECONDS: 'often' }, 'PROBE_INTERVAL_SECONDS must be an integer from 1 to 3600 (got "often")'],
    [{ ...base, PROBE_PROC_ROOT: 'host/proc' }, 'PROBE_PROC_ROOT must be an absolute path (got "host/proc")'],
    [{ ...base, PROBE_HOSTNAME: 'a:b' }, 'PROBE_HOSTNAME must be a host name of at most 253 characters without spaces, ":" or "/" (got "a:b")'],
    [{ ...base, PROBE_BUFFER_REPORTS: '0' }, 'PROBE_BUFFER_REPORTS must be an integer from 1 to 1000 (got "0")'],
  ])('%j is refused: %s', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('the probe process', () => {
  let dir: string;
  let bundle: string;
  let host: GeneratedHost;
  let app: Server;
  let appUrl: string;
  const received: ProbeReport[] = [];
  let accepting = true;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'probe-bundle-'));
    bundle = join(dir, 'probe.js');
    buildSync({ entryPoints: [join(ROOT, 'services/probe/src/main.ts')], bundle: true, platform: 'node', target: 'node20', outfile: bundle, logLevel: 'warning' });
    host = new GeneratedHost({ processes: 40, sockets: 120, containers: 4, cgroup: 'v2', seed: 9 });
    app = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (b: Buffer) => parts.push(b));
      req.on('end', () => {
        if (!accepting) {
          res.writeHead(503, { 'retry-after': '3600' }).end('{"error":"Service Unavailable","message":"busy"}');
          return;
        }
        received.push(readReport(Buffer.concat(parts), req.headers['content-encoding']));
        res.writeHead(202).end('{}');
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
    host.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  function env(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, PROBE_APP_URL: appUrl, PROBE_TOKEN: 'tok', PROBE_PROC_ROOT: host.procRoot, PROBE_SYS_ROOT: host.sysRoot, PROBE_HOSTNAME: 'proc-test', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), PROBE_DOCKER_SOCKET: join(dir, 'none.sock'), ...extra };
  }

  function run(port: number, extra: Record<string, string> = {}): { child: ChildProcess; logs: string[]; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [bundle], { env: env(port, extra), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const logs: string[] = [];
    child.stdout!.on('data', (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, logs, exited };
  }

  async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  async function until<T>(what: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const got = await what().catch(() => undefined);
      if (got !== undefined) return got;
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  test('bad configuration exits 2 with one line naming the variable', () => {
    const out = spawnSync(process.execPath, [bundle], { env: { PATH: process.env.PATH, PROBE_APP_URL: appUrl, PROBE_TOKEN: 't', PROBE_INTERVAL_SECONDS: '0' }, encoding: 'utf8' });
    expect(out.status).toBe(2);
    expect(out.stderr).toBe('probe: PROBE_INTERVAL_SECONDS must be an integer from 1 to 3600 (got "0")\n');
    expect(out.stdout).toBe('');
  });

  test('serves health, readiness, metrics and its latest report, logs JSON, and reports to the app', async () => {
    const port = await freePort();
    const { child, logs, exited } = run(port, { PROBE_INTERVAL_SECONDS: '1' });
    await until(async () => ((await get(port, '/readyz')).status === 200 ? true : undefined));
    expect(JSON.parse((await get(port, '/healthz')).body)).toEqual({ status: 'ok' });
    await until(async () => (received.some((r) => r.host === 'proc-test') ? true : undefined));
    const metrics = (await get(port, '/metrics')).body;
    expect(metrics).toMatch(/^probe_collection_cpu_seconds_count [1-9]\d*$/m);
    expect(metrics).toMatch(/^probe_collection_cpu_seconds_sum \d/m);
    expect(metrics).toMatch(/^probe_report_bytes_sum\{encoding="raw"\} [1-9]/m);
    expect(metrics).toMatch(/^probe_report_bytes_sum\{encoding="br"\} [1-9]/m);
    expect(metrics).toMatch(/^probe_reports_delivered_total [1-9]/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]/m);
    expect(metrics).toMatch(/^probe_report_nodes\{topology="process"\} 40$/m);
    const latest = await get(port, '/api/report', { 'accept-encoding': 'identity' });
    expect(latest.headers.get('content-encoding')).toBeNull();
    expect(readReport(Buffer.from(latest.body), undefined).topologies.process).toBeDefined();
    // As sent (brotli) to a client that takes it; as JSON to one that takes only gzip.
    const br = await fetch(`http://127.0.0.1:${port}/api/report`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(JSON.parse(await br.text()).host).toBe('proc-test');
    const gz = await fetch(`http://127.0.0.1:${port}/api/report`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBeNull();
    expect(JSON.parse(await gz.text()).host).toBe('proc-test');
    expect((await get(port, '/nope')).status).toBe(404);
    const started = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'probe started');
    expect(started).toMatchObject({ level: 30, service: 'probe', host: 'proc-test' });
    expect(logs.join('\n')).not.toContain('"tok"');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  test('SIGTERM delivers the report still buffered, then exits 0', async () => {
    const port = await freePort();
    accepting = false;
    const before = received.length;
    const { child, logs, exited } = run(port, { PROBE_INTERVAL_SECONDS: '3600', PROBE_HOSTNAME: 'drain-test' });
    // The one report of the hour is refused with Retry-After: 3600 and waits in the buffer.
    await until(async () => (/^probe_report_delivery_retries_total [1-9]/m.test((await get(port, '/metrics')).body) ? true : undefined));
    accepting = true;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(received.slice(before).map((r) => r.host)).toEqual(['drain-test']);
    expect(logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'stopped')).toMatchObject({ undelivered: 0, delivered: 1 });
  }, 60_000);
});
