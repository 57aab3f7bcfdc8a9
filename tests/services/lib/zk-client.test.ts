import { CreateMode, isZkError, WatchEvent, ZkClient, ZkCode, ZkPerm } from '../../../services/lib/zk-client';
import { sleep, startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';

let zk: ZkEnsemble;
let client: ZkClient;

beforeAll(async () => {
  zk = await startZooKeeper(1);
  client = await ZkClient.connect({ connect: zk.connectString });
});

afterAll(async () => {
  client?.close();
  await zk?.destroy();
});

test('creates, reads, updates and deletes a znode with versions', async () => {
  await client.create('/crud', 'v1');
  const first = await client.get('/crud');
  expect(first.data.toString()).toBe('v1');
  const stat = await client.set('/crud', 'v2', first.stat.version);
  expect(stat.version).toBe(first.stat.version + 1);
  await expect(client.set('/crud', 'v3', first.stat.version)).rejects.toMatchObject({ code: ZkCode.BADVERSION, op: 'set', path: '/crud' });
  await client.delete('/crud', stat.version);
  expect(await client.exists('/crud')).toBeNull();
});

test('reports a missing node as a typed error naming the operation and path', async () => {
  const err = await client.get('/missing').catch((e: unknown) => e);
  expect(isZkError(err, ZkCode.NONODE)).toBe(true);
  expect(String(err)).toBe('ZkError: zookeeper get /missing: no node (-101)');
});

test('mkdirp creates missing parents and tolerates existing ones', async () => {
  await client.mkdirp('/deep/a/b');
  await client.mkdirp('/deep/a/b/c');
  expect((await client.getChildren('/deep/a/b')).children).toEqual(['c']);
});

test('sequential nodes get a zero-padded counter; ephemeral nodes belong to the session', async () => {
  await client.mkdirp('/seq');
  const a = await client.create('/seq/n-', '', CreateMode.SEQUENTIAL);
  const b = await client.create('/seq/e-', '', CreateMode.EPHEMERAL_SEQUENTIAL);
  expect(a).toBe('/seq/n-0000000000');
  expect(b).toBe('/seq/e-0000000001');
  expect((await client.exists(b))!.ephemeralOwner).not.toBe('0');
  expect((await client.exists(a))!.ephemeralOwner).toBe('0');
});

test('a data watch fires once on change', async () => {
  await client.create('/watched', 'x');
  const events: WatchEvent[] = [];
  const fired = new Promise<void>((resolve) => {
    void client.get('/watched', (e) => {
      events.push(e);
      resolve();
    });
  });
  await client.set('/watched', 'y');
  await fired;
  await client.set('/watched', 'z');
  expect(events).toEqual([{ type: 'changed', path: '/watched' }]);
});

test('an ephemeral node disappears when its session closes', async () => {
  const other = await ZkClient.connect({ connect: zk.connectString });
  await other.create('/gone', '', CreateMode.EPHEMERAL);
  other.close();
  const deadline = Date.now() + 5000;
  while ((await client.exists('/gone')) && Date.now() < deadline) await sleep(20);
  expect(await client.exists('/gone')).toBeNull();
});

test('ACLs are read and written', async () => {
  await client.create('/acl', '');
  await client.setAcl('/acl', [{ perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' }]);
  expect((await client.getAcl('/acl')).acl).toEqual([{ perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' }]);
  await expect(client.set('/acl', 'x')).rejects.toMatchObject({ code: ZkCode.NOAUTH });
});

test('connecting to nothing fails within the connect timeout, with the address in the message', async () => {
  await expect(ZkClient.connect({ connect: '127.0.0.1:1', connectTimeoutMs: 500 })).rejects.toThrow('zookeeper 127.0.0.1:1: no session within 500 ms');
});
