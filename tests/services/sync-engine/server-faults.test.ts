/**
 * Server faults during sync, each ending with `verify` equal and every acknowledged write present: the source or
 * the target server is killed (SIGKILL) and restarted while a writer keeps writing.
 *
 * Nothing in this test process uses the native ZooKeeper client: a native handle whose session a restart expires
 * spins the event loop (see EnsembleSide), so the engine and verify run as child processes and the test writes
 * through a small wire-protocol session.
 */
import { startZooKeeper, ZkEnsemble } from '../../support/zookeeper-server';
import { AckedWriter, spawnEngine, uniqueRoot, waitFor } from './engine-harness';
import { WireSession } from './wire-session';

let a: ZkEnsemble;
let b: ZkEnsemble;
beforeAll(async () => {
  // fsync on: a SIGKILLed server must not lose transactions it acknowledged.
  [a, b] = await Promise.all([startZooKeeper(1, { forceSync: true }), startZooKeeper(1, { forceSync: true })]);
});
afterAll(async () => {
  await Promise.all([a.destroy(), b.destroy()]);
});

async function verifiedEqual(source: string, target: string): Promise<boolean> {
  const run = spawnEngine(['verify', '--source', source, '--target', target]);
  return (await run.exited) === 0;
}

test.each(['source', 'target'] as const)('the %s server restarts mid-sync: the engine reconnects, reconciles, and loses nothing', async (which) => {
  const root = uniqueRoot(`restart-${which}`);
  const setup = await WireSession.open(a.connectString);
  for (const p of [root, `${root}/data`, `${root}/writes`]) await setup.ensure(p);
  await Promise.all(Array.from({ length: 50 }, (_, i) => setup.create(`${root}/data/n${i}`, `v${i}`)));
  setup.close();
  const src = a.connectString + root;
  const dst = b.connectString + root;
  const engine = spawnEngine(['sync', '--source', src, '--target', dst, '--session-timeout-ms', '4000', '--full-compare-interval-ms', '0']);
  const writer = new AckedWriter(a.connectString, `${root}/writes`);
  try {
    await engine.waitForOutput(/replicating/);
    writer.start();
    await writer.writeSome(30);
    const server = (which === 'source' ? a : b).servers[0];
    await server.kill();
    await server.start();
    await writer.writeSome(30);
    await writer.stop();
    await waitFor('verify equal', () => verifiedEqual(src, dst), 40_000, 500);
    const onTarget = await WireSession.open(b.connectString);
    const present = new Set(await onTarget.children(`${root}/writes`));
    onTarget.close();
    expect(writer.acked.filter((name) => !present.has(name))).toEqual([]);
  } finally {
    await writer.stop();
    engine.kill('SIGTERM');
    await engine.exited;
  }
});
