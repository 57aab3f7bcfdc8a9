/**
 * HA with real processes and real ZooKeeper: two replicas, one leads, the other redirects; kill -9 the leader and the
 * follower takes over with every agent, role, framework, running task and pending task intact — nothing lost,
 * nothing allocated twice. A second test restarts from a snapshot plus journal tail.
 */
import { sleep, startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AllocatorProcess, ApiClient, startAllocator, uniqueRoot, unusedPort, waitFor } from './support/allocator-harness';

let zk: ZkEnsemble;
const procs: AllocatorProcess[] = [];

beforeAll(async () => {
  zk = await startZooKeeper(1);
});
afterAll(async () => {
  for (const p of procs) await p.kill();
  await zk.destroy();
});

/** The durable part of the state, in a form that compares equal across leaders. */
function durable(s: any) {
  const byId = (a: any, b: any) => (a.id < b.id ? -1 : 1);
  return {
    agents: s.agents.map((a: any) => ({ id: a.id, resources: a.resources, reservations: a.reservations, attributes: a.attributes, tasks: a.tasks })).sort(byId),
    frameworks: s.frameworks.map((f: any) => ({ id: f.id, name: f.name, roles: f.roles, mode: f.mode, suppressedRoles: f.suppressedRoles, tasks: f.tasks, pendingTasks: f.pendingTasks })).sort(byId),
    roles: s.roles.map((r: any) => ({ name: r.name, weight: r.weight, quota: r.quota })),
    tasks: s.tasks.map((t: any) => ({ id: t.id, agentId: t.agentId, frameworkId: t.frameworkId, role: t.role, resources: t.resources })).sort(byId),
    pendingGroups: s.pendingGroups.sort(byId),
  };
}

async function whoLeads(clients: ApiClient[]): Promise<{ leader: ApiClient; follower: ApiClient } | null> {
  const answers = await Promise.all(clients.map((c) => c.get('/api/v1/state').catch(() => ({ status: 0 }) as { status: number })));
  const li = answers.findIndex((a) => a.status === 200);
  if (li < 0) return null;
  return { leader: clients[li], follower: clients[1 - li] };
}

test('killing the leader process hands leadership to the follower with the state intact', async () => {
  const root = uniqueRoot('ha');
  const env = { ALLOCATOR_ZK_CONNECT: zk.connectString, ALLOCATOR_ZK_ROOT: root, ALLOCATOR_INTERVAL_MS: '100', ALLOCATOR_ZK_SESSION_TIMEOUT_MS: '2000' };
  const a = new AllocatorProcess(await unusedPort(), env);
  const b = new AllocatorProcess(await unusedPort(), env);
  procs.push(a, b);
  a.start();
  await waitFor(async () => (await fetch(`${a.url}/readyz`).catch(() => null))?.status === 200, 30_000, 'first replica to be ready');
  b.start();
  await waitFor(async () => (await fetch(`${b.url}/readyz`).catch(() => null))?.status === 200, 30_000, 'second replica to be ready');
  const clients = [new ApiClient(a.url), new ApiClient(b.url)];
  let pair: Awaited<ReturnType<typeof whoLeads>> = null;
  await waitFor(async () => (pair = await whoLeads(clients)) !== null, 10_000, 'a leader');
  const { leader, follower } = pair!;

  // A follower redirects, keeping the method: operators and frameworks can talk to any replica.
  const redirected = await follower.put('/api/v1/agents/x', { resources: { cpus: 1 } });
  expect(redirected.status).toBe(307);
  expect(redirected.headers.get('location')).toBe(`${leader.base}/api/v1/agents/x`);

  for (let i = 0; i < 5; i++) await leader.ok('PUT', `/api/v1/agents/a${i}`, { resources: { cpus: 8, mem: 16384, ports: [{ begin: 31000, end: 31999 }] }, attributes: { zone: `z${i % 2}` } });
  await leader.ok('PUT', '/api/v1/roles/batch', { weight: 2, quota: { guarantees: { cpus: 4 }, limits: { cpus: 30 } } });
  const queue = (await leader.ok('POST', '/api/v1/frameworks', { name: 'q', roles: ['batch'], mode: 'queue' })).id;
  await leader.ok('POST', `/api/v1/frameworks/${queue}/tasks`, { name: 'job', resources: { cpus: 1, mem: 1024, ports: 1 }, count: 40 });
  await waitFor(async () => (await leader.ok('GET', `/api/v1/frameworks/${queue}`)).tasks === 30, 5000, 'placements up to the limit');
  const offers = (await leader.ok('POST', '/api/v1/frameworks', { name: 'o', roles: ['svc'] })).id;
  await waitFor(async () => (await leader.ok('GET', `/api/v1/frameworks/${offers}`)).offers > 0, 5000, 'an offer');
  const offer = (await leader.ok('GET', `/api/v1/frameworks/${offers}`)).offerList.find((o: any) => o.resources.cpus >= 1);
  await leader.ok('POST', `/api/v1/frameworks/${offers}/accept`, { offerIds: [offer.id], tasks: [{ id: 'svc-1', name: 'svc', resources: { cpus: 1, mem: 512 } }] });
  await leader.ok('POST', `/api/v1/frameworks/${offers}/suppress`, {});
  const finished = (await leader.ok('GET', `/api/v1/frameworks/${queue}`)).taskList[0].id;
  await leader.ok('POST', `/api/v1/tasks/${finished}/status`, { state: 'finished' });
  await waitFor(async () => (await leader.ok('GET', `/api/v1/frameworks/${queue}`)).tasks === 30, 5000, 'the freed slot to be refilled');
  const before = durable(await leader.ok('GET', '/api/v1/state'));
  expect(before.tasks).toHaveLength(31);

  const dead = leader === clients[0] ? a : b;
  await dead.kill('SIGKILL');
  await waitFor(async () => (await follower.get('/api/v1/state').catch(() => ({ status: 0 }))).status === 200, 20_000, 'the follower to take over');
  const after = durable(await follower.ok('GET', '/api/v1/state'));
  expect(after).toEqual(before);
  // No agent is over-committed by the new leader's view.
  for (const ag of (await follower.ok('GET', '/api/v1/state')).agents) expect(ag.free.cpus).toBeGreaterThanOrEqual(0);

  // The new leader carries on: ids continue, nothing is placed twice.
  await follower.ok('PUT', '/api/v1/roles/batch', { weight: 2, quota: { guarantees: { cpus: 4 }, limits: { cpus: 40 } } });
  await waitFor(async () => (await follower.ok('GET', `/api/v1/frameworks/${queue}`)).tasks === 39, 5000, 'the rest of the group to be placed');
  const ids = (await follower.ok('GET', '/api/v1/state')).tasks.map((t: any) => t.id);
  expect(new Set(ids).size).toBe(ids.length);
}, 90_000);

test('a new leader rebuilds the same state from a snapshot plus the journal after it', async () => {
  const root = uniqueRoot('snapshot');
  const first = await startAllocator(zk.connectString, { root, snapshotEveryEntries: 5 });
  const api = new ApiClient(first.url);
  for (let i = 0; i < 12; i++) await api.ok('PUT', `/api/v1/agents/s${i}`, { resources: { cpus: 2, mem: 2048 }, reservations: i % 3 === 0 ? { db: { cpus: 1, mem: 512 } } : undefined });
  await api.ok('PUT', '/api/v1/roles/db', { quota: { guarantees: { cpus: 2 } } });
  const fw = (await api.ok('POST', '/api/v1/frameworks', { name: 'db', roles: ['db'], mode: 'queue' })).id;
  await api.ok('POST', `/api/v1/frameworks/${fw}/tasks`, { name: 'shard', resources: { cpus: 0.5, mem: 256 }, count: 20 });
  await sleep(100);
  for (let i = 0; i < 8; i++) await api.ok('PUT', `/api/v1/agents/t${i}`, { resources: { cpus: 1, mem: 1024 } });
  await api.ok('DELETE', '/api/v1/agents/s1');
  await sleep(100);
  const before = durable(await api.ok('GET', '/api/v1/state'));
  await first.close();

  const second = await startAllocator(zk.connectString, { root });
  try {
    const after = durable(await new ApiClient(second.url).ok('GET', '/api/v1/state'));
    expect(after).toEqual(before);
  } finally {
    await second.close();
  }
});
