/**
 * The service's HTTP surface: health, readiness, metrics (lag histogram, ops, conflicts, phase), status and the
 * conflicts query with its validation.
 */
import type { FastifyInstance } from 'fastify';
import { createServiceHttp } from '../../../services/lib/service-http';
import { registerStatusRoutes } from '../../../services/sync-engine/src/status-routes';
import { dataAt, logger, Pair, startPair, startSync, stateDir, uniqueRoot, waitFor, waitForData } from './engine-harness';

let pair: Pair;
beforeAll(async () => {
  pair = await startPair();
});
afterAll(async () => {
  await pair.close();
});

test('status, conflicts and metrics reflect a running two-way sync', async () => {
  const root = uniqueRoot('http');
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/c`);
  const dir = stateDir();
  const args = ['--direction', 'two-way', '--state-dir', dir, '--heartbeat-ms', '20', '--full-compare-interval-ms', '0'];
  const first = await startSync(a.connectString + root, b.connectString + root, args);
  await first.stop();
  await za.set(`${root}/c`, 'a');
  await zb.set(`${root}/c`, 'b');
  const engine = await startSync(a.connectString + root, b.connectString + root, args);
  let app: FastifyInstance | undefined;
  try {
    app = await createServiceHttp({ logger, registry: engine.metrics.registry, ready: () => ({ ready: engine.session.initialCompareDone }) });
    registerStatusRoutes(app, { status: () => ({ phase: 'sync', ...engine.session.status() }), conflicts: () => engine.session.conflicts });
    // Over a real socket: light-my-request's inject pulls an ESM-only dependency jest cannot load.
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const http = async ({ url, method = 'GET' }: { url: string; method?: string }) => {
      const res = await fetch(base + url, { method });
      const body = await res.text();
      return { statusCode: res.status, body, json: () => JSON.parse(body) };
    };
    await waitForData(zb, `${root}/c`, 'a');
    expect(await dataAt(za, `${root}/c`)).toBe('a');

    expect((await http({ url: '/healthz' })).statusCode).toBe(200);
    expect((await http({ url: '/readyz' })).statusCode).toBe(200);
    const status = (await http({ url: '/status' })).json();
    expect(status).toMatchObject({ phase: 'sync', direction: 'two-way', conflicts: 1, initialCompareDone: true });

    const conflicts = (await http({ url: '/conflicts?path=/c&limit=10' })).json();
    expect(conflicts.total).toBe(1);
    expect(conflicts.conflicts[0]).toMatchObject({ path: '/c', kind: 'update-update', winner: 'source' });
    expect((await http({ url: '/conflicts?path=/other' })).json().conflicts).toEqual([]);
    const bad = await http({ url: '/conflicts?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/limit must match pattern/);
    expect((await http({ url: '/conflicts?path=relative' })).statusCode).toBe(400);

    await waitFor('a lag sample', async () => /sync_engine_replication_lag_seconds_count\{direction="source-to-target"\} [1-9]/.test((await http({ url: '/metrics' })).body));
    const metrics = (await http({ url: '/metrics' })).body;
    expect(metrics).toMatch(/sync_engine_conflicts_total\{kind="update-update",winner="source"\} 1/);
    expect(metrics).toMatch(/sync_engine_ops_total\{side="target",op="set"\}/);
    expect(metrics).toMatch(/sync_engine_phase\{phase="idle"\} 1/);
    expect((await http({ method: 'POST', url: '/cutover/rollback' })).statusCode).toBe(404);
  } finally {
    await app?.close();
    await engine.stop();
  }
});
