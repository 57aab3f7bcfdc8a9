import { Registry } from 'prom-client';
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
