/**
 * Offer mode end to end, as a framework sees it over HTTP: streamed offers, accept with task launches, decline with
 * filters, rescind on timeout, resources coming back when tasks end, lost tasks when an agent goes — and queue mode's
 * streamed placements.
 */
import WebSocket from 'ws';
import { sleep, startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AllocatorUnderTest, ApiClient, SseReader, startAllocator, uniqueRoot } from './support/allocator-harness';

let zk: ZkEnsemble;
let alloc: AllocatorUnderTest;
let api: ApiClient;
const readers: SseReader[] = [];

beforeAll(async () => {
  zk = await startZooKeeper(1);
});
afterAll(async () => {
  await zk.destroy();
});
afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  await alloc.close();
});

async function start(options: { intervalMs?: number; offerTimeoutMs?: number } = {}): Promise<void> {
  alloc = await startAllocator(zk.connectString, { root: uniqueRoot('offers'), intervalMs: options.intervalMs, allocator: { offerTimeoutMs: options.offerTimeoutMs } });
  api = new ApiClient(alloc.url);
}

function stream(frameworkId: string): SseReader {
  const r = new SseReader(`${alloc.url}/api/v1/frameworks/${frameworkId}/offers`);
  readers.push(r);
  return r;
}

test('an accepted offer launches tasks; the unused part and finished tasks come back as new offers', async () => {
  // Declined resources come back with the next periodic cycle (as in Mesos), so this test runs a short interval.
  await start({ intervalMs: 100 });
  const fw = (await api.ok('POST', '/api/v1/frameworks', { name: 'web', roles: ['web'] })).id;
  const events = stream(fw);
  await events.opened;
  await api.ok('PUT', '/api/v1/agents/a1', { resources: { cpus: 4, mem: 4096, ports: [{ begin: 31000, end: 31099 }] }, attributes: { rack: 'r1' } });
  const first = (await events.waitFor((e) => e.event === 'offer')).data;
  expect(first).toMatchObject({ agentId: 'a1', role: 'web', resources: { cpus: 4, mem: 4096 }, attributes: { rack: 'r1' } });

  const accepted = await api.ok('POST', `/api/v1/frameworks/${fw}/accept`, {
    offerIds: [first.id],
    tasks: [{ id: 'web-1', name: 'web', resources: { cpus: 1, mem: 1024, ports: [{ begin: 31000, end: 31000 }] } }],
    filters: { refuseSeconds: 0 },
  });
  expect(accepted.tasks[0]).toMatchObject({ id: 'web-1', agentId: 'a1' });
  // With refuseSeconds 0 the remainder is offered again at once.
  const second = (await events.waitFor((e) => e.event === 'offer' && e.data.id !== first.id)).data;
  expect(second.resources).toMatchObject({ cpus: 3, mem: 3072, ports: [{ begin: 31001, end: 31099 }] });

  await api.ok('POST', `/api/v1/frameworks/${fw}/decline`, { offerIds: [second.id], filters: { refuseSeconds: 0 } });
  const third = (await events.waitFor((e) => e.event === 'offer' && e.data.id !== first.id && e.data.id !== second.id)).data;
  expect(third.resources.cpus).toBe(3);

  // The task ends: its resources join the pool; the outstanding offer is not grown, a new one holds them.
  await api.ok('POST', '/api/v1/tasks/web-1/status', { state: 'finished' });
  const fourth = (await events.waitFor((e) => e.event === 'offer' && ![first.id, second.id, third.id].includes(e.data.id))).data;
  expect(fourth.resources).toMatchObject({ cpus: 1, mem: 1024, ports: [{ begin: 31000, end: 31000 }] });
});

test('a decline with refuseSeconds hides those resources from that framework only', async () => {
  await start({ intervalMs: 50 });
  const picky = (await api.ok('POST', '/api/v1/frameworks', { name: 'picky', roles: ['a'] })).id;
  const pickyEvents = stream(picky);
  await pickyEvents.opened;
  await api.ok('PUT', '/api/v1/agents/a1', { resources: { cpus: 2, mem: 2048 } });
  const offer = (await pickyEvents.waitFor((e) => e.event === 'offer')).data;
  await api.ok('POST', `/api/v1/frameworks/${picky}/decline`, { offerIds: [offer.id], filters: { refuseSeconds: 60 } });
  const other = (await api.ok('POST', '/api/v1/frameworks', { name: 'other', roles: ['b'] })).id;
  const otherEvents = stream(other);
  await otherEvents.waitFor((e) => e.event === 'offer');
  await sleep(200);
  expect(pickyEvents.events.filter((e) => e.event === 'offer')).toHaveLength(1);

  // Revive clears the framework's filters: once the other framework lets go, picky sees the agent again.
  await api.ok('POST', `/api/v1/frameworks/${picky}/revive`, {});
  await api.ok('POST', `/api/v1/frameworks/${other}/suppress`, {});
  const otherOffer = (await api.ok('GET', `/api/v1/frameworks/${other}`)).offerList[0];
  await api.ok('POST', `/api/v1/frameworks/${other}/decline`, { offerIds: [otherOffer.id], filters: { refuseSeconds: 0 } });
  await pickyEvents.waitFor((e) => e.event === 'offer' && e.data.id !== offer.id);
});

test('an offer not answered in time is rescinded, and accepting it afterwards is refused with 410', async () => {
  await start({ intervalMs: 50, offerTimeoutMs: 200 });
  const fw = (await api.ok('POST', '/api/v1/frameworks', { name: 'slow', roles: ['slow'] })).id;
  const events = stream(fw);
  await events.opened;
  await api.ok('PUT', '/api/v1/agents/a1', { resources: { cpus: 2, mem: 2048 } });
  const offer = (await events.waitFor((e) => e.event === 'offer')).data;
  const rescind = await events.waitFor((e) => e.event === 'rescind', 3000);
  expect(rescind.data).toEqual({ offerId: offer.id, reason: 'expired' });
  const late = await api.post(`/api/v1/frameworks/${fw}/accept`, { offerIds: [offer.id], tasks: [{ name: 't', resources: { cpus: 1 } }] });
  expect(late.status).toBe(410);
  expect(late.body.message).toContain(offer.id);
});

test('a framework that keeps declining with refuseSeconds 0 cannot starve a role with a guarantee', async () => {
  await start({ intervalMs: 20 });
  await api.ok('PUT', '/api/v1/roles/guaranteed', { quota: { guarantees: { cpus: 4, mem: 4096 } } });
  const decliner = (await api.ok('POST', '/api/v1/frameworks', { name: 'decliner', roles: ['aaa-first'] })).id;
  const patient = (await api.ok('POST', '/api/v1/frameworks', { name: 'patient', roles: ['guaranteed'] })).id;
  const declines = stream(decliner);
  const accepts = stream(patient);
  let declined = 0;
  declines.onEvent((e) => {
    if (e.event !== 'offer') return;
    declined++;
    // Not awaited (a framework answers while offers keep coming); a request cut off by the test's end is fine.
    api.post(`/api/v1/frameworks/${decliner}/decline`, { offerIds: [e.data.id], filters: { refuseSeconds: 0 } }).catch(() => undefined);
  });
  accepts.onEvent((e) => {
    if (e.event !== 'offer') return;
    api.post(`/api/v1/frameworks/${patient}/accept`, { offerIds: [e.data.id], tasks: [{ name: 'work', resources: { cpus: e.data.resources.cpus, mem: e.data.resources.mem } }] }).catch(() => undefined);
  });
  await Promise.all([declines.opened, accepts.opened]);
  for (let i = 0; i < 4; i++) await api.ok('PUT', `/api/v1/agents/a${i}`, { resources: { cpus: 2, mem: 2048 } });
  await sleep(1000);
  const s = await api.ok('GET', '/api/v1/state');
  const running = s.tasks.filter((t: any) => t.frameworkId === patient).reduce((n: number, t: any) => n + t.resources.cpus, 0);
  expect(running).toBeGreaterThanOrEqual(4);
  expect(declined).toBeGreaterThan(3);
});

test('removing an agent loses its tasks and reports them to their framework', async () => {
  await start();
  const fw = (await api.ok('POST', '/api/v1/frameworks', { name: 'q', roles: ['q'], mode: 'queue' })).id;
  const events = stream(fw);
  await events.opened;
  await api.ok('PUT', '/api/v1/agents/doomed', { resources: { cpus: 4, mem: 4096 } });
  await api.ok('POST', `/api/v1/frameworks/${fw}/tasks`, { name: 'batch', resources: { cpus: 1, mem: 512 }, count: 3 });
  const placed = await events.waitFor((e) => e.event === 'tasks');
  expect(placed.data.tasks).toHaveLength(3);
  const removed = await api.ok('DELETE', '/api/v1/agents/doomed');
  expect(removed.lostTasks.map((t: any) => t.id).sort()).toEqual(placed.data.tasks.map((t: any) => t.id).sort());
  const lost = await events.waitFor((e) => e.event === 'lost');
  expect(lost.data.reason).toContain('doomed');
  await sleep(100);
  // Each lost task is reported exactly once.
  expect(events.events.filter((e) => e.event === 'lost').map((e) => e.data.task.id).sort()).toEqual(placed.data.tasks.map((t: any) => t.id).sort());
  const s = await api.ok('GET', '/api/v1/state');
  expect(s.tasks).toHaveLength(0);
  expect(s.total.cpus).toBe(0);
});

test('offers also stream over a WebSocket', async () => {
  await start();
  const fw = (await api.ok('POST', '/api/v1/frameworks', { name: 'ws', roles: ['ws'] })).id;
  const ws = new WebSocket(`${alloc.url.replace('http', 'ws')}/api/v1/frameworks/${fw}/offers`);
  const messages: any[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  await new Promise((r) => ws.once('open', r));
  await api.ok('PUT', '/api/v1/agents/a1', { resources: { cpus: 1, mem: 512 } });
  for (let i = 0; i < 100 && messages.length === 0; i++) await sleep(20);
  ws.close();
  expect(messages[0]).toMatchObject({ type: 'offer', agentId: 'a1', resources: { cpus: 1, mem: 512 } });
});
