import { execFileSync } from 'node:child_process';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { HTTP_METRICS } from '../../../services/lib/contract';
import { createServiceHttp, HttpError } from '../../../services/lib/service-http';
import { silentLogger } from '../../../services/lib/logger';

test('serves health, readiness, metrics and OpenAPI, and turns errors into clear JSON', async () => {
  let ready = false;
  const app = await createServiceHttp({ logger: silentLogger(), registry: new Registry(), ready: () => ({ ready, reason: ready ? undefined : 'not leader yet' }), openapi: { title: 't', version: '1' } });
  app.post('/things', { schema: { body: { type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 1 } } } } }, async () => {
    throw new HttpError(409, 'thing already exists');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', reason: 'not leader yet' });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('process_cpu_user_seconds_total');
    const spec = await (await fetch(`${base}/openapi.json`)).json();
    expect(Object.keys(spec.paths)).toEqual(['/things']);

    const post = (body: unknown) => fetch(`${base}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ count: 0 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'Bad Request', message: 'count must be >= 1' });
    const conflict = await post({ count: 1 });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: 'Conflict', message: 'thing already exists' });
  } finally {
    await app.close();
  }
});

describe('the request histogram', () => {
  let registry: Registry;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    registry = new Registry();
    app = await createServiceHttp({ logger: silentLogger(), registry, ready: () => ({ ready: false, reason: 'starting' }), openapi: { title: 't', version: '1' } });
    await app.register(websocket);
    app.get('/things/:id', async (req) => {
      const { id } = req.params as { id: string };
      if (id === 'slow') await new Promise((resolve) => setTimeout(resolve, 30));
      if (id === 'broken') throw new Error('the store is down');
      return { id };
    });
    app.post('/things', async () => {
      throw new HttpError(409, 'thing already exists');
    });
    app.get('/stream', { websocket: true }, (socket) => socket.send('hello'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  /** `_count` of each label set, as `method route status_class`. */
  async function counts(): Promise<Record<string, number>> {
    const [metric] = (await registry.getMetricsAsJSON()).filter((m) => m.name === HTTP_METRICS.requestDuration);
    const values = metric.values as { metricName?: string; labels: Record<string, string | number>; value: number }[];
    return Object.fromEntries(values.filter((v) => v.metricName?.endsWith('_count')).map((v) => [`${v.labels.method} ${v.labels.route} ${v.labels.status_class}`, v.value]));
  }

  test('counts each request once by method, route pattern and status class, and times it', async () => {
    for (const id of ['1', '2', 'slow', 'broken']) await fetch(`${base}/things/${id}`);
    await fetch(`${base}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await fetch(`${base}/no/such/${Math.random()}`);
    expect(await counts()).toEqual({ 'GET /things/:id 2xx': 3, 'GET /things/:id 5xx': 1, 'POST /things 4xx': 1, [`GET ${HTTP_METRICS.unmatchedRoute} 4xx`]: 1 });
    // The slow request lands above the 25 ms bucket: the observation is the time Fastify measured, in seconds.
    const text = await registry.getSingleMetricAsString(HTTP_METRICS.requestDuration);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.025",method="GET",route="\/things\/:id",status_class="2xx"\} 2\n/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/things\/:id",status_class="2xx"\} 3\n/);
  });

  test("leaves out the frame's own routes: health, readiness (a 503 while starting), metrics and the OpenAPI document", async () => {
    const before = await counts();
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) await fetch(`${base}${path}`);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect(await counts()).toEqual(before);
  });

  test('leaves out WebSocket streams, whose lifetime is no response time', async () => {
    const before = await counts();
    const socket = new WebSocket(`${base.replace('http', 'ws')}/stream`);
    await new Promise((resolve) => socket.once('message', resolve));
    socket.close();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(await counts()).toEqual(before);
  });

  test("is served at /metrics and passes promtool's lint of metric names, types and help", async () => {
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(`${HTTP_METRICS.requestDuration}_bucket{`);
    // Linted alone: prom-client's default nodejs_active_*_total gauges draw lint complaints of their own.
    const exposition = await registry.getSingleMetricAsString(HTTP_METRICS.requestDuration);
    const lint = execFileSync('promtool', ['check', 'metrics'], { input: `${exposition}\n`, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(lint).toBe('');
  });
});
