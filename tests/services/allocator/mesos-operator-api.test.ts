/**
 * The Mesos operator endpoints for weights and quota answer in Mesos's shapes, so an operator's scripts written for
 * a Mesos master work unchanged against the allocator.
 */
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AllocatorUnderTest, ApiClient, startAllocator, uniqueRoot } from './support/allocator-harness';

let zk: ZkEnsemble;
let alloc: AllocatorUnderTest;
let api: ApiClient;

beforeAll(async () => {
  zk = await startZooKeeper(1);
  alloc = await startAllocator(zk.connectString, { root: uniqueRoot('mesos') });
  api = new ApiClient(alloc.url);
  await api.ok('PUT', '/api/v1/agents/a1', { resources: { cpus: 16, mem: 65536, disk: 100000 } });
});
afterAll(async () => {
  await alloc.close();
  await zk.destroy();
});

test('PUT /weights takes a JSON array of WeightInfo and GET /weights returns one', async () => {
  const put = await api.put('/weights', [
    { role: 'role1', weight: 2.0 },
    { role: 'role2', weight: 3.5 },
  ]);
  expect(put.status).toBe(200);
  expect((await api.get('/weights')).body).toEqual([
    { role: 'role1', weight: 2 },
    { role: 'role2', weight: 3.5 },
  ]);
  // The same under /master, and visible in the native API.
  expect((await api.get('/master/weights')).body).toHaveLength(2);
  const roles = (await api.get('/api/v1/roles')).body.roles;
  expect(roles.find((r: any) => r.name === 'role2').weight).toBe(3.5);
});

test('legacy POST /quota sets guarantee and limit; GET /quota reports infos and configs; DELETE /quota/<role> removes it', async () => {
  const post = await api.post('/quota', { role: 'dev', guarantee: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 4096 } }] });
  expect(post.status).toBe(200);
  const again = await api.post('/quota', { role: 'dev', guarantee: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] });
  expect(again.status).toBe(400);
  expect(again.body.message).toContain("Cannot set quota for role 'dev' which already has quota");

  expect((await api.get('/quota')).body).toEqual({
    infos: [{ role: 'dev', guarantee: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 4096 } }] }],
    configs: [{ role: 'dev', guarantees: { cpus: { value: 4 }, mem: { value: 4096 } }, limits: { cpus: { value: 4 }, mem: { value: 4096 } } }],
  });
  expect((await api.delete('/master/quota/dev')).status).toBe(200);
  expect((await api.get('/quota')).body).toEqual({ infos: [], configs: [] });
});

test('v1 UPDATE_QUOTA and GET_QUOTA calls on POST /api/v1, nested role names included', async () => {
  const update = await api.post('/api/v1', {
    type: 'UPDATE_QUOTA',
    update_quota: {
      force: false,
      quota_configs: [
        { role: 'eng', guarantees: { cpus: { value: 4 } }, limits: { cpus: { value: 8 }, mem: { value: 8192 } } },
        { role: 'eng/ml', guarantees: { cpus: { value: 2 } } },
      ],
    },
  });
  expect(update.status).toBe(200);
  const get = await api.post('/api/v1', { type: 'GET_QUOTA' });
  expect(get.body.type).toBe('GET_QUOTA');
  expect(get.body.get_quota.status.configs).toEqual(
    expect.arrayContaining([
      { role: 'eng', guarantees: { cpus: { value: 4 } }, limits: { cpus: { value: 8 }, mem: { value: 8192 } } },
      { role: 'eng/ml', guarantees: { cpus: { value: 2 } }, limits: {} },
    ]),
  );
  // A nested role's quota is removed with its slash in the path, as in Mesos.
  expect((await api.delete('/quota/eng/ml')).status).toBe(200);

  const over = await api.post('/api/v1', { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'big', guarantees: { cpus: { value: 1000 } } }] } });
  expect(over.status).toBe(400);
  expect(over.body.message).toMatch(/exceed cluster capacity .* use 'force'/);
  const forced = await api.post('/api/v1', { type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role: 'big', guarantees: { cpus: { value: 1000 } } }] } });
  expect(forced.status).toBe(200);

  await api.post('/api/v1', { type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'eng', weight: 5 }] } });
  const weights = await api.post('/api/v1', { type: 'GET_WEIGHTS' });
  expect(weights.body.get_weights.weight_infos).toEqual(expect.arrayContaining([{ role: 'eng', weight: 5 }]));
});

test('the OpenAPI document lists the API routes', async () => {
  const doc = (await api.get('/openapi.json')).body;
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining(['/api/v1/agents/{id}', '/api/v1/roles/{role}', '/api/v1/frameworks/{id}/offers', '/api/v1/frameworks/{id}/accept', '/api/v1/tasks/{id}/status', '/weights', '/quota']),
  );
  expect(doc.paths['/api/v1/frameworks/{id}/tasks'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'resources', 'count']);
});
