/**
 * Engine faults during copy and sync, each ending with `verify` equal and every acknowledged write present:
 * kill -9 of the engine mid-copy and mid-sync (the CLI as a child process, started again), and a forced session expiry (the engine process stopped with SIGSTOP past its session timeout).
 */
import { ZkAcl, ZkPerm } from '../../../services/lib/zk-client';
import { AckedWriter, aliveConnections, Pair, populate, spawnEngine, startPair, stateDir, uniqueRoot, verify, waitFor } from './engine-harness';

let pair: Pair;
beforeAll(async () => {
  pair = await startPair();
});
afterAll(async () => {
  await pair.close();
});

async function expectConverged(source: string, target: string, writer?: AckedWriter): Promise<void> {
  await waitFor('verify equal', async () => (await verify(source, target)).equal, 30_000, 250);
  await pair.refresh();
  if (writer) expect(await writer.missingOn(pair.zb)).toEqual([]);
}

test('kill -9 of the engine mid-copy: running copy again completes the tree, ACLs included', async () => {
  const root = uniqueRoot('kill-copy');
  await pair.refresh();
  const { za, zb, a, b } = pair;
  await populate(za, root, 4000);
  const acl: ZkAcl[] = [{ perms: ZkPerm.READ | ZkPerm.ADMIN, scheme: 'world', auth: 'anyone' }];
  await Promise.all(Array.from({ length: 80 }, (_, g) => za.setAcl(`${root}/g${g}`, acl)));
  const args = ['copy', '--source', a.connectString + root, '--target', b.connectString + root, '--max-in-flight', '20'];
  const first = spawnEngine(args);
  await waitFor('copy under way', async () => ((await zb.exists(root)) ? (await zb.getChildren(root)).children.length >= 10 : false), 30_000, 20);
  first.kill('SIGKILL');
  await first.exited;
  expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(false);
  const second = spawnEngine(args);
  expect(await second.exited).toBe(0);
  expect(second.output()).toMatch(/copied 4081 nodes/);
  await expectConverged(a.connectString + root, b.connectString + root);
});

test('kill -9 of a two-way engine mid-sync: the restarted engine (same state dir) converges with no lost write', async () => {
  const root = uniqueRoot('kill-sync');
  await pair.refresh();
  const { za, zb, a, b } = pair;
  await populate(za, root, 200);
  await za.mkdirp(`${root}/from-a`);
  await za.mkdirp(`${root}/from-b`);
  const src = a.connectString + root;
  const dst = b.connectString + root;
  const args = ['sync', '--source', src, '--target', dst, '--direction', 'two-way', '--state-dir', stateDir(), '--full-compare-interval-ms', '0'];
  const writerA = new AckedWriter(a.connectString, `${root}/from-a`, 'a');
  const writerB = new AckedWriter(b.connectString, `${root}/from-b`, 'b');
  const first = spawnEngine(args);
  try {
    await first.waitForOutput(/replicating/);
    writerA.start(2);
    await waitFor('target side dir', async () => (await zb.exists(`${root}/from-b`)) !== null);
    writerB.start(2);
    await writerA.writeSome(50);
    first.kill('SIGKILL');
    await first.exited;
    await writerA.writeSome(30);
    await writerB.writeSome(30);
    const second = spawnEngine(args);
    try {
      await second.waitForOutput(/replicating/);
      await writerA.writeSome(20);
      await writerA.stop();
      await writerB.stop();
      await expectConverged(src, dst, writerA);
      expect(await writerB.missingOn(za, `${root}/from-b`)).toEqual([]);
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
  } finally {
    await writerA.stop();
    await writerB.stop();
    first.kill('SIGKILL');
  }
});

test('a forced session expiry: the engine opens a new session, compares everything, and catches up', async () => {
  const root = uniqueRoot('expiry');
  await pair.refresh();
  const { za, a, b } = pair;
  await populate(za, root, 100);
  await za.mkdirp(`${root}/writes`);
  const src = a.connectString + root;
  const dst = b.connectString + root;
  const engine = spawnEngine(['sync', '--source', src, '--target', dst, '--session-timeout-ms', '1500', '--full-compare-interval-ms', '0']);
  const writer = new AckedWriter(a.connectString, `${root}/writes`);
  try {
    await engine.waitForOutput(/replicating/);
    writer.start();
    await writer.writeSome(20);
    const before = await aliveConnections(a.servers[0].port);
    engine.kill('SIGSTOP');
    // The server expires the frozen process's session and drops its connection.
    await waitFor('source session expired', async () => (await aliveConnections(a.servers[0].port)) < before, 20_000, 100);
    await writer.writeSome(30);
    engine.kill('SIGCONT');
    await engine.waitForOutput(/session expired/);
    await writer.writeSome(20);
    await writer.stop();
    await expectConverged(src, dst, writer);
  } finally {
    await writer.stop();
    engine.kill('SIGCONT');
    engine.kill('SIGTERM');
    await engine.exited;
  }
});
