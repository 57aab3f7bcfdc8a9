import { CreateMode, OPEN_ACL_UNSAFE, ZkClient, ZkPerm } from '../../../services/lib/zk-client';
import { filterOf } from '../../../services/sync-engine/src/config';
import { openCheckedSides } from '../../../services/sync-engine/src/preflight';
import { copyTree } from '../../../services/sync-engine/src/tree-copy';
import { verifyTrees } from '../../../services/sync-engine/src/verify';
import { config, dataAt, logger, Pair, populate, startPair, uniqueRoot, verify } from './engine-harness';

let pair: Pair;
beforeAll(async () => {
  pair = await startPair();
});
afterAll(async () => {
  await pair.close();
});

async function copy(source: string, target: string, extra: string[] = []) {
  const cfg = config('copy', source, target, extra);
  const sides = await openCheckedSides(cfg, logger);
  try {
    return await copyTree({ ...sides, filter: filterOf(cfg), maxInFlight: cfg.maxInFlight, logger });
  } finally {
    sides.source.close();
    sides.target.close();
  }
}

test('copies data, ACLs and sequential names, skips and lists ephemerals, and verifies equal', async () => {
  const root = uniqueRoot('copy');
  const { za, zb, a, b } = pair;
  await populate(za, root, 200);
  await za.create(`${root}/locks`, '');
  const seq1 = await za.create(`${root}/locks/lock-`, 'first', CreateMode.SEQUENTIAL);
  const seq2 = await za.create(`${root}/locks/lock-`, 'second', CreateMode.SEQUENTIAL);
  await za.create(`${root}/secret`, 'restricted');
  // world has ADMIN here so ZooKeeper shows the digest to the engine (see the redaction case below).
  const acl = [{ perms: ZkPerm.READ | ZkPerm.ADMIN, scheme: 'world', auth: 'anyone' }, { perms: ZkPerm.ALL, scheme: 'digest', auth: 'admin:NpCSoZn4lnD5mzTC2Xnw3Ks5Wrw=' }];
  await za.setAcl(`${root}/secret`, acl);
  await za.create(`${root}/live`, 'session-owned', CreateMode.EPHEMERAL);

  const report = await copy(a.connectString + root, b.connectString + root);

  expect(report.skippedEphemerals).toEqual([`/live`]);
  expect(await dataAt(zb, seq1.replace(root, root))).toBe('first');
  expect(await dataAt(zb, seq2)).toBe('second');
  expect((await zb.getAcl(`${root}/secret`)).acl).toEqual(expect.arrayContaining(acl));
  expect((await zb.getAcl(`${root}/g0`)).acl).toEqual(OPEN_ACL_UNSAFE);
  expect(await zb.exists(`${root}/live`)).toBeNull();
  const result = await verify(a.connectString + root, b.connectString + root);
  expect(result.differences).toEqual([]);
  expect(result.equal).toBe(true);
});

test('a second run is idempotent and fixes only what differs, including an ACL left open by a crash', async () => {
  const root = uniqueRoot('idem');
  const { za, zb, a, b } = pair;
  await populate(za, root, 100);
  await za.setAcl(`${root}/g0`, [{ perms: ZkPerm.READ | ZkPerm.CREATE | ZkPerm.ADMIN | ZkPerm.WRITE, scheme: 'world', auth: 'anyone' }]);
  await copy(a.connectString + root, b.connectString + root);
  // What a crash between create and setAcl leaves behind, plus drift and a missing node.
  await zb.setAcl(`${root}/g0`, OPEN_ACL_UNSAFE);
  await zb.set(`${root}/g1/n1`, 'drifted');
  await zb.delete(`${root}/g1/n51`);

  const second = await copy(a.connectString + root, b.connectString + root);
  expect(second).toMatchObject({ created: 1, updated: 1, aclsSet: 1 });
  const third = await copy(a.connectString + root, b.connectString + root);
  expect(third).toMatchObject({ created: 0, updated: 0, aclsSet: 0 });
  expect((await verify(a.connectString + root, b.connectString + root)).equal).toBe(true);
});

test('include and exclude patterns select the subtree, and verify reports the paths that differ', async () => {
  const root = uniqueRoot('filter');
  const { za, zb, a, b } = pair;
  for (const p of ['/mesos/log', '/mesos/tmp/x', '/marathon/apps', '/other']) await za.mkdirp(root + p);
  await copy(a.connectString + root, b.connectString + root, ['--include', '/mesos/**', '--include', '/marathon', '--exclude', '/mesos/tmp']);
  expect(await zb.exists(`${root}/mesos/log`)).not.toBeNull();
  expect(await zb.exists(`${root}/marathon/apps`)).not.toBeNull();
  expect(await zb.exists(`${root}/mesos/tmp`)).toBeNull();
  expect(await zb.exists(`${root}/other`)).toBeNull();

  const whole = await verify(a.connectString + root, b.connectString + root);
  expect(whole.equal).toBe(false);
  expect(whole.differences).toEqual(expect.arrayContaining([{ path: '/other', kind: 'missing-on-target' }, { path: '/mesos/tmp', kind: 'missing-on-target' }]));
  await zb.set(`${root}/mesos/log`, 'changed');
  const filtered = await verify(a.connectString + root, b.connectString + root, ['--include', '/mesos/**', '--include', '/marathon', '--exclude', '/mesos/tmp']);
  expect(filtered.differences).toEqual([{ path: '/mesos/log', kind: 'data' }]);
});

test("verify takes a side's ACLs as given when they are known (a frozen side) and still reads the other's", async () => {
  const root = uniqueRoot('known-acls');
  const { za, zb, a, b } = pair;
  await populate(za, root, 20);
  await copy(a.connectString + root, b.connectString + root);
  const readOnly = [{ perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' }];
  await zb.setAcl(`${root}/g0/n0`, readOnly);
  const cfg = config('verify', a.connectString + root, b.connectString + root);
  const sides = await openCheckedSides(cfg, logger, { targetRootMustExist: true });
  try {
    const filter = filterOf(cfg);
    // Known as world-open on the source: the target's changed ACL is still found, since the target is read.
    const open = await verifyTrees({ ...sides, filter, knownAcls: { side: sides.source, acl: () => OPEN_ACL_UNSAFE } });
    expect(open.differences).toEqual([{ path: '/g0/n0', kind: 'acl' }]);
    // What the source is known to hold is what is compared: no source ACL is read.
    const acl = sides.source.acl.bind(sides.source);
    let sourceAclReads = 0;
    sides.source.acl = (rel) => (sourceAclReads++, acl(rel));
    const known = await verifyTrees({ ...sides, filter, knownAcls: { side: sides.source, acl: (rel) => (rel === '/g0/n0' ? readOnly : OPEN_ACL_UNSAFE) } });
    expect(known.equal).toBe(true);
    expect(sourceAclReads).toBe(0);
  } finally {
    sides.source.close();
    sides.target.close();
  }
});

test('a digest ACL the engine may not see in full is copied fail-closed and reported; with --source-auth it is copied exactly', async () => {
  const root = uniqueRoot('redacted');
  const { za, zb, a, b } = pair;
  await za.mkdirp(`${root}/guarded`);
  // digest of admin:secret
  const acl = [{ perms: ZkPerm.READ, scheme: 'world', auth: 'anyone' }, { perms: ZkPerm.ALL, scheme: 'digest', auth: 'admin:fvr2cB/fjGeAiX8g1aGhUm3ZICk=' }];
  await za.setAcl(`${root}/guarded`, acl);

  const blind = await copy(a.connectString + root, b.connectString + root);
  expect(blind.redactedAcls).toEqual(['/guarded']);
  expect((await zb.getAcl(`${root}/guarded`)).acl).toEqual([acl[0]]);

  const root2 = uniqueRoot('redacted-auth');
  await za.mkdirp(`${root2}/guarded`);
  await za.setAcl(`${root2}/guarded`, acl);
  const authed = await copy(a.connectString + root2, b.connectString + root2, ['--source-auth', 'digest:admin:secret', '--target-auth', 'digest:admin:secret']);
  expect(authed.redactedAcls).toEqual([]);
  const admin = await ZkClient.connect({ connect: b.connectString });
  await admin.addAuth('digest', 'admin:secret');
  expect((await admin.getAcl(`${root2}/guarded`)).acl).toEqual(expect.arrayContaining(acl));
  admin.close();
});
