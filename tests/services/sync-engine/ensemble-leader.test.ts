/**
 * The source is a 3-node ensemble; its leader is killed mid-sync. The engine's session moves to a surviving server
 * (or is renewed), a full compare catches up, and every acknowledged write reaches the target. As in the other
 * server-fault test, the test process itself uses no native client.
 */
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AckedWriter, spawnEngine, uniqueRoot, waitFor } from './engine-harness';
import { WireSession } from './wire-session';

let source: ZkEnsemble;
let target: ZkEnsemble;
beforeAll(async () => {
  [source, target] = await Promise.all([startZooKeeper(3, { forceSync: true }), startZooKeeper(1, { forceSync: true })]);
});
afterAll(async () => {
  await Promise.all([source.destroy(), target.destroy()]);
});

test('killing the source leader mid-sync loses no acknowledged write', async () => {
  const root = uniqueRoot('quorum');
  const setup = await WireSession.open(source.connectString);
  for (const p of [root, `${root}/writes`]) await setup.ensure(p);
  await Promise.all(Array.from({ length: 100 }, (_, i) => setup.create(`${root}/n${i}`, `v${i}`)));
  setup.close();
  const src = source.connectString + root;
  const dst = target.connectString + root;
  const engine = spawnEngine(['sync', '--source', src, '--target', dst, '--session-timeout-ms', '6000', '--full-compare-interval-ms', '0']);
  const writer = new AckedWriter(source.connectString, `${root}/writes`);
  try {
    await engine.waitForOutput(/replicating/);
    writer.start();
    await writer.writeSome(50);
    const leader = await source.leader();
    expect(leader).toBeDefined();
    await leader!.kill();
    await waitFor('a new leader', async () => (await source.leader()) !== undefined, 30_000, 200);
    await writer.writeSome(50);
    await writer.stop();
    const verifyArgs = ['verify', '--source', src, '--target', dst];
    await waitFor('verify equal', async () => (await spawnEngine(verifyArgs).exited) === 0, 40_000, 500);
    const onTarget = await WireSession.open(target.connectString);
    const present = new Set(await onTarget.children(`${root}/writes`));
    onTarget.close();
    expect(writer.acked.filter((name) => !present.has(name))).toEqual([]);
  } finally {
    await writer.stop();
    engine.kill('SIGTERM');
    await engine.exited;
  }
});
