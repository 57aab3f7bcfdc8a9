/**
 * Bad input gets a 4xx whose message names the field and the rule, and leaves the state exactly as it was.
 */
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AllocatorUnderTest, ApiClient, startAllocator, uniqueRoot } from './support/allocator-harness';

let zk: ZkEnsemble;
let alloc: AllocatorUnderTest;
let api: ApiClient;
let fw: string;
let offerId: string;

beforeAll(async () => {
  zk = await startZooKeeper(1);
  alloc = await startAllocator(zk.connectString, { root: uniqueRoot('bad-input') });
  api = new ApiClient(alloc.url);
  await api.ok('PUT', '/api/v1/agents/a1', { resources: { cpus: 4, mem: 4096 } });
  await api.ok('PUT', '/api/v1/roles/eng', { weight: 2, quota: { guarantees: { cpus: 1 }, limits: { cpus: 3 } } });
  fw = (await api.ok('POST', '/api/v1/frameworks', { name: 'f', roles: ['eng'] })).id;
  await new Promise((r) => setTimeout(r, 50));
  offerId = (await api.ok('GET', `/api/v1/frameworks/${fw}`)).offerList[0].id;
});
afterAll(async () => {
  await alloc.close();
  await zk.destroy();
});

const cases: Array<[string, string, string, unknown, number, RegExp]> = [
  ['a negative resource', 'PUT', '/api/v1/agents/a2', { resources: { cpus: -1, mem: 10 } }, 400, /resources\.cpus must be >= 0/],
  ['a non-numeric resource', 'PUT', '/api/v1/agents/a2', { resources: { cpus: 'lots' } }, 400, /resources\.cpus must be number/],
  ['an unknown resource name', 'PUT', '/api/v1/agents/a2', { resources: { cpu: 2 } }, 400, /resources\.cpu is not a resource/],
  ['a port range ending before it begins', 'PUT', '/api/v1/agents/a2', { resources: { cpus: 1, ports: [{ begin: 32000, end: 31000 }] } }, 400, /resources\.ports\[0\]\.end .* must not be below begin/],
  ['a reservation larger than the agent', 'PUT', '/api/v1/agents/a2', { resources: { cpus: 1 }, reservations: { eng: { cpus: 2 } } }, 400, /reservations .* must fit/],
  ['a missing body field', 'PUT', '/api/v1/agents/a2', {}, 400, /must have required property 'resources'/],
  ['removing an unknown agent', 'DELETE', '/api/v1/agents/nope', undefined, 404, /agent 'nope' is not registered/],
  ['an invalid role name', 'PUT', `/api/v1/roles/${encodeURIComponent('eng//ml')}`, { weight: 1 }, 400, /role name 'eng\/\/ml' must not contain '\/\/'/],
  ['a role path component starting with -', 'PUT', `/api/v1/roles/${encodeURIComponent('eng/-ml')}`, { weight: 1 }, 400, /path components must not start with '-'/],
  ['a role name with a leading slash', 'PUT', `/api/v1/roles/${encodeURIComponent('/eng')}`, { weight: 1 }, 400, /must not start or end with '\/'/],
  ['a zero weight', 'PUT', '/api/v1/roles/eng', { weight: 0 }, 400, /weight must be > 0/],
  ['a guarantee above the limit', 'PUT', '/api/v1/roles/ops', { quota: { guarantees: { cpus: 5 }, limits: { cpus: 2 } } }, 400, /quota\.guarantees\.cpus \(5\) must not exceed quota\.limits\.cpus \(2\)/],
  ['children guaranteed more than their parent', 'PUT', `/api/v1/roles/${encodeURIComponent('eng/ml')}`, { quota: { guarantees: { cpus: 2 } } }, 400, /at least the sum of its children/],
  ['a framework with an invalid role', 'POST', '/api/v1/frameworks', { name: 'x', roles: ['a b'] }, 400, /role name 'a b' must not contain whitespace/],
  ['a framework with no roles', 'POST', '/api/v1/frameworks', { name: 'x', roles: [] }, 400, /roles must NOT have fewer than 1 items/],
  ['an unknown framework', 'POST', '/api/v1/frameworks/nope/decline', { offerIds: ['x'] }, 404, /framework 'nope' is not subscribed/],
  ['an unknown offer', 'POST', '/api/v1/frameworks/:fw/decline', { offerIds: ['no-such-offer'] }, 404, /offer 'no-such-offer' is unknown/],
  ['accepting more than offered', 'POST', '/api/v1/frameworks/:fw/accept', { offerIds: [':offer'], tasks: [{ name: 't', resources: { cpus: 5 } }] }, 400, /tasks need cpus 5 but the offers hold cpus 1, mem 4096/],
  ['a task without resources', 'POST', '/api/v1/frameworks/:fw/accept', { offerIds: [':offer'], tasks: [{ name: 't', resources: {} }] }, 400, /tasks\[0\]\.resources must ask for some resources/],
  ['queue tasks from an offer-mode framework', 'POST', '/api/v1/frameworks/:fw/tasks', { name: 't', resources: { cpus: 1 }, count: 1 }, 400, /is in offer mode/],
  ['a zero task count', 'POST', '/api/v1/frameworks/:fw/tasks', { name: 't', resources: { cpus: 1 }, count: 0 }, 400, /count must be >= 1/],
  ['an unknown task', 'POST', '/api/v1/tasks/nope/status', { state: 'finished' }, 404, /task 'nope' is not running/],
  ['an unknown task state', 'POST', '/api/v1/tasks/nope/status', { state: 'exploded' }, 400, /state must be equal to one of the allowed values/],
  ['suppressing a role the framework lacks', 'POST', '/api/v1/frameworks/:fw/suppress', { roles: ['ops'] }, 400, /not subscribed to role 'ops'/],
  ['a non-positive Mesos weight', 'PUT', '/weights', [{ role: 'eng', weight: -1 }], 400, /Weights must be positive/],
  ['Mesos quota on a non-scalar resource', 'POST', '/quota', { role: 'ops', guarantee: [{ name: 'ports', type: 'SCALAR', scalar: { value: 1 } }] }, 400, /cpus, mem, disk and gpus only/],
  ['Mesos quota over capacity', 'POST', '/quota', { role: 'ops', guarantee: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 100 } }] }, 409, /exceed cluster capacity/],
  ['removing a quota that is not set', 'DELETE', '/quota/ops', undefined, 400, /Role 'ops' has no quota set/],
];

test.each(cases)('%s is refused with a clear message and changes nothing', async (_name, method, path, body, status, message) => {
  const before = await api.ok('GET', '/api/v1/state');
  const resolve = (s: string) => s.replace(':fw', fw).replace(':offer', offerId);
  const payload = body === undefined ? undefined : JSON.parse(resolve(JSON.stringify(body)));
  const res = await api.request(method, resolve(path), payload);
  expect({ status: res.status, message: res.body?.message }).toEqual({ status, message: expect.stringMatching(message) });
  const after = await api.ok('GET', '/api/v1/state');
  expect(after).toEqual(before);
});
