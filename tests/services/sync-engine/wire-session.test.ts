/**
 * The engine's wire session against a real server: batched reads answer exactly what the native client reads,
 * a batch of writes with bad ops still makes the others and reports each bad one, ACL and data writes land, a
 * recursive watch reports every change under its root and survives a server restart (announced by `reset`), a
 * restart fails what was in flight with a connection loss and the next request reconnects, and a silent
 * connection is given up.
 */
import { isZkError, OPEN_ACL_UNSAFE, ZkClient, ZkCode, ZkPerm } from '../../../services/lib/zk-client';
import { TreeEvent, WireSession } from '../../../services/sync-engine/src/wire-session';
import { AddressInfo, createServer, Socket } from 'node:net';
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { aliveConnections, uniqueRoot } from './engine-harness';

let zk: ZkEnsemble;
let native: ZkClient;
let wire: WireSession;
beforeAll(async () => {
  zk = await startZooKeeper(1, { forceSync: true });
  native = await ZkClient.connect({ connect: zk.connectString });
  wire = new WireSession(zk.connectString, 10_000, 5000);
});
afterAll(async () => {
  wire.close();
  native.close();
  await zk.destroy();
});

test('reads made in one turn share a multiRead and answer what the native client reads, missing nodes as null', async () => {
  const root = uniqueRoot('wire-read');
  await native.mkdirp(`${root}/dir`);
  for (let i = 0; i < 150; i++) await native.create(`${root}/dir/n${i}`, Buffer.from(`value ${i}`));
  await native.create(`${root}/dir/n7/child`, 'c');
  await native.create(`${root}/empty`, Buffer.alloc(0));

  const paths = [`${root}/dir`, `${root}/missing`, `${root}/empty`, ...Array.from({ length: 150 }, (_, i) => `${root}/dir/n${i}`)];
  // 153 reads in one turn: three multiReads (64 per batch), answered in order.
  const reads = await Promise.all(paths.map((p) => wire.read(p)));
  expect(reads[1]).toBeNull();
  expect(reads[2]!.data.length).toBe(0);
  expect(reads[0]!.children.sort()).toEqual(Array.from({ length: 150 }, (_, i) => `n${i}`).sort());
  for (const [k, path] of paths.entries()) {
    if (k === 1) continue;
    const expected = await native.get(path);
    expect(reads[k]!.data).toEqual(expected.data);
    const { ctime, mtime, ...fields } = reads[k]!.stat;
    expect(expected.stat).toMatchObject(fields);
    expect(ctime.getTime()).toBeLessThanOrEqual(mtime.getTime());
    expect(Math.abs(mtime.getTime() - Date.now())).toBeLessThan(60_000);
  }
  expect(reads[3 + 7]!.children).toEqual(['child']);
});

test('a batch of creates with one failing op creates the others and rejects only that one', async () => {
  const root = uniqueRoot('wire-create');
  await native.mkdirp(`${root}/exists`);
  const acl = [{ perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' }];
  const outcomes = await Promise.allSettled([
    wire.create(`${root}/a`, Buffer.from('a'), OPEN_ACL_UNSAFE),
    wire.create(`${root}/exists`, Buffer.from('x'), OPEN_ACL_UNSAFE),
    wire.create(`${root}/no-parent/b`, Buffer.from('b'), OPEN_ACL_UNSAFE),
    wire.create(`${root}/c`, Buffer.from('c'), acl),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  expect(isZkError((outcomes[1] as PromiseRejectedResult).reason, ZkCode.NODEEXISTS)).toBe(true);
  expect(isZkError((outcomes[2] as PromiseRejectedResult).reason, ZkCode.NONODE)).toBe(true);
  expect((await native.get(`${root}/a`)).data.toString()).toBe('a');
  expect((await native.get(`${root}/c`)).data.toString()).toBe('c');
  expect((await native.getAcl(`${root}/c`)).acl).toEqual(acl);
  expect((await native.get(`${root}/exists`)).data.length).toBe(0);
});

test('conditional setData and delete in one batch: the ones at their version land, the others get BADVERSION', async () => {
  const root = uniqueRoot('wire-conditional');
  for (const name of ['a', 'b', 'c', 'd']) await native.mkdirp(`${root}/${name}`);
  await native.set(`${root}/b`, 'moved');
  const outcomes = await Promise.allSettled([wire.setData(`${root}/a`, Buffer.from('a1'), 0), wire.setData(`${root}/b`, Buffer.from('b1'), 0), wire.delete(`${root}/c`, 0), wire.delete(`${root}/d`, 7)]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  expect((outcomes[0] as PromiseFulfilledResult<{ version: number }>).value.version).toBe(1);
  for (const i of [1, 3]) expect(isZkError((outcomes[i] as PromiseRejectedResult).reason, ZkCode.BADVERSION)).toBe(true);
  expect((await native.get(`${root}/a`)).data.toString()).toBe('a1');
  expect((await native.get(`${root}/b`)).data.toString()).toBe('moved');
  expect(await native.exists(`${root}/c`)).toBeNull();
  expect(await native.exists(`${root}/d`)).not.toBeNull();
});

test('setData, setAcl and getAcl land and read back; a missing node is null for getAcl and NONODE for writes', async () => {
  const root = uniqueRoot('wire-write');
  await native.mkdirp(`${root}/n`);
  await wire.setData(`${root}/n`, Buffer.from('new'));
  const acl = [{ perms: ZkPerm.READ | ZkPerm.ADMIN, scheme: 'world', auth: 'anyone' }];
  await wire.setAcl(`${root}/n`, acl);
  expect((await native.get(`${root}/n`)).data.toString()).toBe('new');
  expect((await wire.getAcl(`${root}/n`))!.acl).toEqual(acl);
  expect(await wire.getAcl(`${root}/gone`)).toBeNull();
  await expect(wire.setData(`${root}/gone`, Buffer.from('x'))).rejects.toMatchObject({ code: ZkCode.NONODE });
  await expect(wire.setAcl(`${root}/gone`, acl)).rejects.toMatchObject({ code: ZkCode.NONODE });
});

test('a server restart fails the requests in flight with a connection loss; the next request reconnects', async () => {
  // A server of its own with no native client on it: the addon, on a restart, can leave its poll watcher on the
  // closed descriptor, and a socket of ours that reuses the number then misses its events (see wire-session.ts);
  // that recovery is the silence check's, tested below, not this case's.
  const own = await startZooKeeper(1, { forceSync: true });
  const session = new WireSession(own.connectString, 10_000, 5000);
  try {
    await session.create('/restart', Buffer.from('before'), OPEN_ACL_UNSAFE);
    const inFlight = Promise.allSettled(Array.from({ length: 50 }, () => session.getAcl('/restart')));
    await own.servers[0].kill();
    const settled = await inFlight;
    for (const s of settled) if (s.status === 'rejected') expect(isZkError(s.reason, ZkCode.CONNECTIONLOSS)).toBe(true);
    await own.servers[0].start();
    expect((await session.read('/restart'))!.data.toString()).toBe('before');
  } finally {
    session.close();
    await own.destroy();
  }
});

test('a recursive watch reports each change under its root by path, and after a server restart it is back and `reset` says so', async () => {
  const own = await startZooKeeper(1, { forceSync: true });
  const session = new WireSession(own.connectString, 10_000, 5000);
  const writer = new WireSession(own.connectString, 10_000, 5000);
  const events: TreeEvent[] = [];
  let resets = 0;
  session.on('reset', () => resets++);
  try {
    await writer.create('/tree', Buffer.alloc(0), OPEN_ACL_UNSAFE);
    await writer.create('/outside', Buffer.alloc(0), OPEN_ACL_UNSAFE);
    await session.watchTree('/tree', (event) => events.push(event));
    await writer.create('/tree/a', Buffer.from('1'), OPEN_ACL_UNSAFE);
    await writer.create('/tree/a/b', Buffer.from('2'), OPEN_ACL_UNSAFE);
    await writer.setData('/tree/a', Buffer.from('3'));
    await writer.setData('/outside', Buffer.from('not ours'));
    await writer.delete('/tree/a/b');
    await waitUntil(() => events.length >= 4);
    expect(events).toEqual([
      { type: 'created', path: '/tree/a' },
      { type: 'created', path: '/tree/a/b' },
      { type: 'changed', path: '/tree/a' },
      { type: 'deleted', path: '/tree/a/b' },
    ]);

    await own.servers[0].kill();
    await own.servers[0].start();
    // Nobody asks the watching session anything: it reconnects by itself because it holds a watch.
    await waitUntil(() => resets === 1);
    events.length = 0;
    await writer.setData('/tree/a', Buffer.from('4'));
    await waitUntil(() => events.length >= 1);
    expect(events).toEqual([{ type: 'changed', path: '/tree/a' }]);
  } finally {
    session.close();
    writer.close();
    await own.destroy();
  }
});

test('a session closed while it is still connecting leaves no connection behind', async () => {
  const port = zk.servers[0].port;
  const before = await aliveConnections(port);
  for (let i = 0; i < 5; i++) {
    const session = new WireSession(zk.connectString, 10_000, 5000);
    const pending = session.read('/');
    // One turn: the batched read has gone out, so the session is in the middle of its handshake.
    await new Promise((r) => setImmediate(r));
    session.close();
    await expect(pending).rejects.toThrow();
  }
  await new Promise((r) => setTimeout(r, 300));
  expect(await aliveConnections(port)).toBe(before);
});

test('credentials the server refuses fail the request with that refusal, not with a connection loss after retrying', async () => {
  const session = new WireSession(zk.connectString, 10_000, 5000);
  try {
    await session.addAuth('no-such-scheme', 'x');
    await expect(session.read('/')).rejects.toMatchObject({ code: ZkCode.AUTHFAILED });
  } finally {
    session.close();
  }
});

test('a connection that goes silent is dropped after two thirds of the session timeout and the request fails', async () => {
  // A server that completes the handshake and then never answers.
  const sockets: Socket[] = [];
  const mute = createServer((socket) => {
    sockets.push(socket);
    socket.once('data', () => {
      const reply = Buffer.alloc(4 + 36 + 1);
      reply.writeInt32BE(37, 0);
      reply.writeInt32BE(3000, 8); // negotiated session timeout
      reply.writeInt32BE(16, 20);
      socket.write(reply);
    });
  });
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  const port = (mute.address() as AddressInfo).port;
  const session = new WireSession(`127.0.0.1:${port}`, 3000, 2000);
  try {
    const started = Date.now();
    await expect(session.read('/anything')).rejects.toMatchObject({ code: ZkCode.CONNECTIONLOSS });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  } finally {
    session.close();
    for (const s of sockets) s.destroy();
    mute.close();
  }
});

async function waitUntil(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
