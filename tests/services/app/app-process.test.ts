/**
 * The app as its image runs it: `main.ts` in a process of its own. Bad environment: exit 2 with one line naming
 * the variable. Running: serves the built UI at `/` and the API beside it. SIGTERM: drains and exits 0.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../../support/zookeeper-server';
import { postReport, PROBE_TOKEN } from './support/app-harness';
import { reportA } from './support/fixed-reports';

const ROOT = join(__dirname, '../../..');
const MAIN = join(ROOT, 'services/app/src/main.ts');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };
  return { ...env, ...extra };
}

describe('start-up configuration', () => {
  test.each([
    [{}, 'app: APP_PROBE_TOKEN must be set to the probes\' token (not set)'],
    [{ APP_PROBE_TOKEN: 'short' }, 'app: APP_PROBE_TOKEN must be at least 16 characters (got "short")'],
    [{ APP_PROBE_TOKEN: PROBE_TOKEN, APP_WINDOW_SECONDS: 'soon' }, 'app: APP_WINDOW_SECONDS must be an integer from 1 to 3600 (got "soon")'],
  ])('%j exits 2 with one line naming the variable', (env, line) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN], { cwd: ROOT, env: cleanEnv(env as Record<string, string>), encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([line]);
  });
});

describe('a running app process', () => {
  let child: ChildProcess;
  let url: string;
  let uiDir: string;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    uiDir = mkdtempSync(join(tmpdir(), 'app-ui-'));
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>orchestrator monitoring</title>');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: ROOT,
      env: cleanEnv({ APP_PROBE_TOKEN: PROBE_TOKEN, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), APP_UI_DIR: uiDir }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the app did not start');
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(uiDir, { recursive: true, force: true });
  });

  test('serves the built UI at / and the API beside it', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/orchestrator monitoring/);
    expect((await postReport(url, reportA(Date.now()))).status).toBe(202);
    const hosts = (await (await fetch(`${url}/api/topology/hosts`)).json()) as { nodes: Array<{ id: string }> };
    expect(hosts.nodes.map((n) => n.id)).toContain('host:node-a');
  });

  test('on SIGTERM closes its WebSockets, stops and exits 0', async () => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/api/topology/hosts/ws`);
    await new Promise((resolve) => socket.once('message', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await closed).toBeGreaterThan(0);
  });
});
