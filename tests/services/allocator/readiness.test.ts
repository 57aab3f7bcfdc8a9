/**
 * Readiness as Kubernetes sees it, against real ZooKeeper and the real process (`main.ts`): a replica that has just
 * been elected is not ready while it loads the state, for the same reason its API gives, and becomes ready once it
 * leads. A gate on its ZooKeeper link holds the load for as long as the test looks.
 */
import { CreateMode, ZkClient } from '../../../services/lib/zk-client';
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AllocatorProcess, ApiClient, uniqueRoot, unusedPort, waitFor } from './support/allocator-harness';
import { ZooKeeperGate } from './support/zookeeper-gate';

let zk: ZkEnsemble;
let gate: ZooKeeperGate | undefined;
let replica: AllocatorProcess | undefined;
let incumbent: ZkClient | undefined;

beforeAll(async () => {
  zk = await startZooKeeper(1);
});
afterAll(async () => {
  await replica?.kill();
  incumbent?.close();
  await gate?.stop();
  await zk.destroy();
});

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`).catch(() => null);
  return res ? { status: res.status, body: (await res.json()) as { reason?: string } } : { status: 0, body: {} };
};

test('a replica just elected is not ready while it loads the state, for the reason its API answers 503 with', async () => {
  const root = uniqueRoot('readiness');
  // Another candidate leads first, so the replica under test is elected only when this session ends.
  incumbent = await ZkClient.connect({ connect: zk.connectString, sessionTimeoutMs: 10_000 });
  await incumbent.mkdirp(`${root}/election`);
  await incumbent.create(`${root}/election/candidate-`, 'http://127.0.0.1:9', CreateMode.EPHEMERAL_SEQUENTIAL);
  gate = await ZooKeeperGate.start(zk.connectString, `${root}/state`);
  replica = new AllocatorProcess(await unusedPort(), { ALLOCATOR_ZK_CONNECT: gate.connect, ALLOCATOR_ZK_ROOT: root, ALLOCATOR_ZK_SESSION_TIMEOUT_MS: '10000' });
  replica.start();
  await waitFor(async () => (await readyz(replica!.url)).status === 200, 30_000, 'the replica to follow the incumbent');

  incumbent.close();
  await gate.closed();
  const loading = await readyz(replica.url);
  const api = await new ApiClient(replica.url).get('/api/v1/state');
  expect(api.status).toBe(503);
  expect(loading).toEqual({ status: 503, body: { status: 'not ready', reason: api.body.message } });
  expect(api.body.message).toMatch(/just elected and is loading state/);

  gate.open();
  await waitFor(async () => (await readyz(replica!.url)).status === 200, 10_000, 'the replica to lead');
  expect((await new ApiClient(replica.url).get('/api/v1/state')).status).toBe(200);
}, 60_000);
