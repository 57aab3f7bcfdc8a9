/**
 * The report decode worker as the app runs it, over real HTTP: refusals decided in the worker keep their answers,
 * and a worker that dies costs the reports it held a retry, not the app.
 */
import { once } from 'node:events';
import { BENCH_FLEET, probeReport } from '../../../services/app/bench/report-generator';
import { workerHeapLimits } from '../../../services/app/src/report-decoders';
import { AppHarness, getJson, postReport, startApp } from './support/app-harness';
import { reportA } from './support/fixed-reports';

let h: AppHarness;
beforeEach(async () => {
  h = await startApp({ maxReportBytes: 8 * 1024 * 1024 });
});
afterEach(async () => {
  await h.close();
});

test('a report the worker refuses is answered 400 naming the field, and counted against its probe', async () => {
  const res = await postReport(h.url, { ...reportA(), intervalSeconds: 'soon' });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { message: string }).message).toMatch(/^intervalSeconds /);
  const probes = await getJson(h.url, '/api/probes');
  expect(probes.body.probes).toEqual([expect.objectContaining({ id: reportA().probe.id, refusedReports: 1 })]);
});

test('a worker that dies fails the report it held with 503 and Retry-After, is started again and counted, and the next report is accepted', async () => {
  const [worker] = h.app.decoders.threads;
  // A full-size probe report (631 nodes), so that it is still in the worker when the worker is killed.
  const posted = postReport(h.url, probeReport(BENCH_FLEET, 0, Date.now()));
  while (h.app.decoders.pending === 0) await new Promise((r) => setImmediate(r));
  const exited = once(worker, 'exit');
  await worker.terminate();
  await exited;
  expect(h.app.decoders.readiness()).toEqual({ ready: false, reason: '1 of 1 report decode workers are not running' });

  const refused = await posted;
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('1');
  expect(((await refused.json()) as { message: string }).message).toMatch(/the report decoder stopped; retry after 1 s/);

  for (let i = 0; i < 300 && (await fetch(`${h.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 20));
  expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  expect(h.app.decoders.threads).toHaveLength(1);
  expect(h.app.decoders.threads[0]).not.toBe(worker);
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  expect(metrics).toMatch(/^app_decode_worker_restarts_total 1$/m);
  expect(metrics).toMatch(/^app_reports_refused_total\{reason="overloaded"\} 1$/m);
  expect((await postReport(h.url, reportA())).status).toBe(202);
});

test('closing the app stops its workers', async () => {
  const threads = h.app.decoders.threads;
  const exits = threads.map((w) => once(w, 'exit'));
  await h.close();
  await Promise.all(exits);
  expect(h.app.decoders.threads).toEqual([]);
  h = await startApp();
});

test('a worker runs with a bounded heap, room for the largest report allowed', async () => {
  const [worker] = h.app.decoders.threads;
  expect(worker.resourceLimits).toEqual(expect.objectContaining(workerHeapLimits(8 * 1024 * 1024)));
  expect(worker.resourceLimits?.maxOldGenerationSizeMb).toBeGreaterThanOrEqual(64);
  // The largest report the route takes still decodes: ~8 MB of JSON, 16,000 connections.
  const big = probeReport({ ...BENCH_FLEET, connectionsPerProbe: 16_000, containersPerProbe: 40 }, 1, Date.now(), new Map());
  expect((await postReport(h.url, big)).status).toBe(202);
});
