import { CreateMode, ZkPerm } from '../../../services/lib/zk-client';
import { dataAt, Pair, populate, startPair, startSync, stateDir, uniqueRoot, verify, waitFor, waitForData } from './engine-harness';

let pair: Pair;
beforeAll(async () => {
  pair = await startPair();
});
afterAll(async () => {
  await pair.close();
});

const FAST = ['--full-compare-interval-ms', '0'];

test('one-way: the initial compare copies the tree, then creates, sets and deletes on the source converge', async () => {
  const root = uniqueRoot('oneway');
  const { za, zb, a, b } = pair;
  await populate(za, root, 120);
  const engine = await startSync(a.connectString + root, b.connectString + root, FAST);
  try {
    expect(await dataAt(zb, `${root}/g1/n1`)).toBe('value-1');
    await za.create(`${root}/new`, 'fresh');
    await za.create(`${root}/new/child`, 'deeper');
    await za.set(`${root}/g0/n0`, 'changed');
    await za.delete(`${root}/g2/n2`);
    await waitForData(zb, `${root}/new/child`, 'deeper');
    await waitForData(zb, `${root}/g0/n0`, 'changed');
    await waitForData(zb, `${root}/g2/n2`, undefined);
    // A subtree deleted on the source goes on the target too.
    await za.delete(`${root}/new/child`);
    await za.delete(`${root}/new`);
    await waitForData(zb, `${root}/new`, undefined);
    // Sequential names are kept; ephemerals are not replicated.
    await za.create(`${root}/queue`, '');
    const seq = await za.create(`${root}/queue/item-`, 'job', CreateMode.SEQUENTIAL);
    await za.create(`${root}/queue/owner`, 'me', CreateMode.EPHEMERAL);
    await waitForData(zb, seq, 'job');
    await engine.session.replicator.idle();
    expect(await zb.exists(`${root}/queue/owner`)).toBeNull();
    expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
  } finally {
    await engine.stop();
  }
});

test('one-way: a stream of sets on the source arrives in order, and a target write racing it is overwritten, not skipped', async () => {
  const root = uniqueRoot('stream');
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/k`);
  const engine = await startSync(a.connectString + root, b.connectString + root, FAST);
  try {
    // Live changes take the shortcut that writes the target conditionally on the ledger's version without reading it.
    for (let i = 0; i < 30; i++) await za.set(`${root}/k`, `a-${i}`);
    await waitForData(zb, `${root}/k`, 'a-29');
    // A client writes the target between source writes: the conditional write fails, the complete reconcile sees
    // both sides and the source's next value still lands.
    await zb.set(`${root}/k`, 'rogue');
    await za.set(`${root}/k`, 'a-30');
    await waitForData(zb, `${root}/k`, 'a-30');
    await engine.session.replicator.idle();
    expect(await dataAt(zb, `${root}/k`)).toBe('a-30');
    expect((await engine.metrics.echoesSuppressed.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
    expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
  } finally {
    await engine.stop();
  }
});

test('one-way: a node created with a restrictive ACL arrives with that ACL; an ACL changed later is carried by the next full compare', async () => {
  const root = uniqueRoot('acl');
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/synced`);
  const engine = await startSync(a.connectString + root, b.connectString + root, FAST);
  try {
    const acl = [{ perms: ZkPerm.READ | ZkPerm.ADMIN, scheme: 'world', auth: 'anyone' }];
    await za.create(`${root}/ro`, 'guarded');
    await za.setAcl(`${root}/ro`, acl);
    await za.create(`${root}/later`, 'x');
    await waitForData(zb, `${root}/later`, 'x');
    // ACL changes fire no watch; a full compare (periodic, or after reconnect) carries them.
    await engine.session.replicator.fullCompare();
    await waitFor('ACL copied', async () => JSON.stringify((await zb.getAcl(`${root}/ro`)).acl) === JSON.stringify(acl));
    // A node the initial compare recorded with its ACL version: the compare skips ACLs only while that holds.
    const readOnly = [{ perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' }];
    for (const next of [acl, readOnly]) {
      await za.setAcl(`${root}/synced`, next);
      await engine.session.replicator.fullCompare();
      expect((await zb.getAcl(`${root}/synced`)).acl).toEqual(next);
    }
  } finally {
    await engine.stop();
  }
});

test('two-way: changes on either side converge, and the engine never echoes its own writes', async () => {
  const root = uniqueRoot('twoway');
  const { za, zb, a, b } = pair;
  await za.mkdirp(root);
  const engine = await startSync(a.connectString + root, b.connectString + root, ['--direction', 'two-way', '--heartbeat-ms', '0', ...FAST]);
  try {
    await za.create(`${root}/from-a`, 'a1');
    await zb.create(`${root}/from-b`, 'b1');
    await waitForData(zb, `${root}/from-a`, 'a1');
    await waitForData(za, `${root}/from-b`, 'b1');
    await zb.set(`${root}/from-a`, 'a2-by-b');
    await waitForData(za, `${root}/from-a`, 'a2-by-b');
    await zb.delete(`${root}/from-b`);
    await waitForData(za, `${root}/from-b`, undefined);

    // No echo: one client write produces exactly one engine write, and the origin's version is untouched.
    const before = engine.session.replicator.writes;
    const echoes = (await engine.metrics.echoesSuppressed.get()).values[0]?.value ?? 0;
    const stat = await za.set(`${root}/from-a`, 'a3');
    await waitForData(zb, `${root}/from-a`, 'a3');
    await waitFor('echo event seen', async () => ((await engine.metrics.echoesSuppressed.get()).values[0]?.value ?? 0) > echoes);
    await engine.session.replicator.idle();
    expect(engine.session.replicator.writes - before).toBe(1);
    expect((await za.exists(`${root}/from-a`))!.version).toBe(stat.version);
    expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
  } finally {
    await engine.stop();
  }
});

test.each([
  ['source-wins', 'from-a', 'source'],
  ['target-wins', 'from-b', 'target'],
  ['newest-wins', 'from-b', 'target'],
])('two-way %s: both sides changed since the last sync → resolved by the policy and recorded', async (policy, expected, winner) => {
  const root = uniqueRoot(`conflict-${policy}`);
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/c`);
  const dir = stateDir();
  const args = ['--direction', 'two-way', '--policy', policy, '--state-dir', dir, '--heartbeat-ms', '0', ...FAST];
  const first = await startSync(a.connectString + root, b.connectString + root, args);
  await first.stop();
  // Both sides write while the engine is away: neither write has been seen, both differ from the ledger.
  await za.set(`${root}/c`, 'from-a');
  await new Promise((r) => setTimeout(r, 5)); // distinct mtimes for newest-wins
  await zb.set(`${root}/c`, 'from-b');
  const second = await startSync(a.connectString + root, b.connectString + root, args);
  try {
    await waitForData(za, `${root}/c`, expected);
    await waitForData(zb, `${root}/c`, expected);
    const records = second.session.conflicts.query({ path: '/c' });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ path: '/c', kind: 'update-update', policy, winner });
    expect((await second.metrics.conflicts.get()).values.find((v) => v.labels.winner === winner)?.value).toBe(1);
  } finally {
    await second.stop();
  }
});

test('two-way: a delete on one side against an update on the other follows the policy (source-wins keeps the source update)', async () => {
  const root = uniqueRoot('delupd');
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/d`);
  await za.mkdirp(`${root}/e`);
  const dir = stateDir();
  const args = ['--direction', 'two-way', '--state-dir', dir, '--heartbeat-ms', '0', ...FAST];
  const first = await startSync(a.connectString + root, b.connectString + root, args);
  await first.stop();
  await za.set(`${root}/d`, 'updated-on-source');
  await zb.delete(`${root}/d`);
  await za.delete(`${root}/e`);
  await zb.set(`${root}/e`, 'updated-on-target');
  const second = await startSync(a.connectString + root, b.connectString + root, args);
  try {
    await waitForData(zb, `${root}/d`, 'updated-on-source');
    await waitForData(zb, `${root}/e`, undefined);
    expect(second.session.conflicts.query().map((c) => [c.path, c.kind, c.winner]).sort()).toEqual([
      ['/d', 'delete-update', 'source'],
      ['/e', 'delete-update', 'source'],
    ]);
    expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
  } finally {
    await second.stop();
  }
});

test('two-way: writes racing on both sides at once converge to one value, and any conflict is recorded', async () => {
  const root = uniqueRoot('race');
  const { za, zb, a, b } = pair;
  await za.mkdirp(root);
  await Promise.all(Array.from({ length: 20 }, (_, i) => za.create(`${root}/k${i}`, 'start')));
  const engine = await startSync(a.connectString + root, b.connectString + root, ['--direction', 'two-way', '--heartbeat-ms', '0', ...FAST]);
  try {
    await Promise.all(Array.from({ length: 20 }, (_, i) => Promise.all([za.set(`${root}/k${i}`, `a-${i}`), zb.set(`${root}/k${i}`, `b-${i}`)])));
    await waitFor('both sides equal', async () => (await verify(a.connectString + root, b.connectString + root)).equal, 20_000, 200);
    for (const record of engine.session.conflicts.query()) expect(record.winner).toBe('source');
  } finally {
    await engine.stop();
  }
});

test('a change forwarded onto a node the other side deleted and created again meanwhile is a recorded conflict', async () => {
  // ZooKeeper's conditional write checks the version only, and a recreated node starts again at version 0: the
  // engine cannot stop the write, but it must not pass the overwrite off as an ordinary sync.
  const root = uniqueRoot('recreate');
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/x`);
  await zb.mkdirp(`${root}/x`);
  const engine = await startSync(a.connectString + root, b.connectString + root, ['--heartbeat-ms', '0', ...FAST]);
  try {
    const target = engine.sides.target;
    const setData = target.setData.bind(target);
    let recreated = false;
    // The other side's client deletes and recreates the node after the engine decided to write and before the
    // write reaches the server: the engine's read of the target is already stale.
    target.setData = async (rel, data, version) => {
      if (rel === '/x' && !recreated) {
        recreated = true;
        await zb.delete(`${root}/x`);
        await zb.create(`${root}/x`, 'recreated-on-target');
      }
      return setData(rel, data, version);
    };
    await za.set(`${root}/x`, 'updated-on-source');
    await waitForData(zb, `${root}/x`, 'updated-on-source');
    await waitFor('the overwrite recorded', async () => engine.session.conflicts.query().length > 0, 10_000, 50);
    expect(recreated).toBe(true);
    expect(engine.session.conflicts.query().map((c) => [c.path, c.kind, c.winner])).toEqual([['/x', 'recreated-overwritten', 'source']]);
    expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
  } finally {
    await engine.stop();
  }
});

test('two-way first start: nodes only on the source are copied in bulk, a node differing on both sides is a recorded no-history conflict', async () => {
  const root = uniqueRoot('first-start');
  const { za, zb, a, b } = pair;
  await populate(za, root, 30);
  await zb.mkdirp(root);
  await zb.create(`${root}/g0`, 'group-0');
  await zb.create(`${root}/g0/n0`, 'target-version');
  const engine = await startSync(a.connectString + root, b.connectString + root, ['--direction', 'two-way', '--heartbeat-ms', '0', ...FAST]);
  try {
    expect(await dataAt(zb, `${root}/g0/n29`)).toBe('value-29');
    expect(await dataAt(zb, `${root}/g0/n0`)).toBe('value-0');
    expect(engine.session.conflicts.query().map((c) => [c.kind, c.winner])).toEqual([['no-history', 'source']]);
    expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
  } finally {
    await engine.stop();
  }
});
