/** Freezing and unfreezing a real tree: every node read-only to clients, originals persisted first, restored after. */
import { isZkError, OPEN_ACL_UNSAFE, ZkAcl, ZkCode, ZkPerm } from '../../../services/lib/zk-client';
import { freezeAcl, freezeTree, FreezeRecord, newFreezeCredentials, unfreezeTree } from '../../../services/sync-engine/src/acl-freeze';
import { EnsembleSide } from '../../../services/sync-engine/src/ensemble-side';
import { PathFilter } from '../../../services/sync-engine/src/path-filter';
import { aclEqual } from '../../../services/sync-engine/src/tree-hash';
import { logger, Pair, populate, startPair, uniqueRoot } from './engine-harness';

let pair: Pair;
beforeAll(async () => {
  pair = await startPair();
});
afterAll(async () => {
  await pair.close();
});

// Restrictive but with ADMIN: a node whose ACL denies the engine ADMIN cannot be frozen without credentials.
const READ_WRITE: ZkAcl[] = [{ perms: ZkPerm.READ | ZkPerm.WRITE | ZkPerm.ADMIN, scheme: 'world', auth: 'anyone' }];

test('freeze makes every node read-only, persisting restrictive originals before changing them; unfreeze restores them', async () => {
  const root = uniqueRoot('freeze');
  const { za, a } = pair;
  await populate(za, root, 150); // g0, g1, g2 with n_i under g(i % 3)
  await za.setAcl(`${root}/g1/n1`, READ_WRITE);
  await za.setAcl(`${root}/g2`, READ_WRITE);
  const side = await EnsembleSide.open({ name: 'source', hosts: a.connectString, root, sessionTimeoutMs: 10_000, connectTimeoutMs: 5000, logger });
  try {
    const record: FreezeRecord = { credentials: newFreezeCredentials('test'), originals: {} };
    const persisted: Record<string, ZkAcl[]>[] = [];
    const filter = new PathFilter({});
    // The order of persists and ACL writes, to check that an original is on disk before its node is frozen.
    const events: string[] = [];
    const persist = (r: FreezeRecord): void => {
      persisted.push({ ...r.originals });
      events.push(...Object.keys(r.originals).map((rel) => `persisted ${rel}`));
    };
    const setAcl = side.setAcl.bind(side);
    side.setAcl = (rel, acl) => {
      events.push(`frozen ${rel}`);
      return setAcl(rel, acl);
    };
    const changed = await freezeTree({ side, filter, record, persist, maxInFlight: 8 });
    expect(changed).toBe(1 + 3 + 150); // the root, three groups, 150 leaves
    expect(Object.keys(record.originals).sort()).toEqual(['/g1/n1', '/g2']);
    expect(persisted.at(-1)).toEqual(record.originals);
    for (const rel of ['/g1/n1', '/g2']) expect(events.indexOf(`persisted ${rel}`)).toBeLessThan(events.indexOf(`frozen ${rel}`));

    const frozen = freezeAcl(record.credentials);
    // Read through the engine's session, which holds the freeze credentials (to others ZooKeeper redacts the digest).
    for (const rel of ['', '/g0', '/g1/n1', '/g2/n2']) expect(aclEqual((await side.acl(rel))!.acl, frozen)).toBe(true);
    const denied = await za.create(`${root}/g0/new`, 'x').then(
      () => 'created',
      (err: unknown) => (isZkError(err, ZkCode.NOAUTH) ? 'NOAUTH' : String(err)),
    );
    expect(denied).toBe('NOAUTH');
    expect(await za.set(`${root}/g0/n0`, 'x').catch((err: unknown) => (isZkError(err, ZkCode.NOAUTH) ? 'NOAUTH' : err))).toBe('NOAUTH');

    // Running it again (a resumed cutover) changes nothing and records no frozen ACL as an original.
    expect(await freezeTree({ side, filter, record, persist, maxInFlight: 8 })).toBe(0);
    expect(Object.keys(record.originals).sort()).toEqual(['/g1/n1', '/g2']);

    expect(await unfreezeTree({ side, filter, record, maxInFlight: 8 })).toBe(154);
    expect((await za.getAcl(`${root}/g1/n1`)).acl).toEqual(READ_WRITE);
    expect((await za.getAcl(`${root}/g2`)).acl).toEqual(READ_WRITE);
    expect((await za.getAcl(`${root}/g0/n0`)).acl).toEqual(OPEN_ACL_UNSAFE);
    await za.set(`${root}/g0/n0`, 'writable again');
  } finally {
    side.close();
  }
});

test('freeze takes originals from the replica where it vouches for them, and from the node itself when its ACL moved since', async () => {
  const root = uniqueRoot('freeze-replica');
  const { za, a } = pair;
  await populate(za, root, 150); // g0, g1, g2 with n_i under g(i % 3)
  await za.setAcl(`${root}/g1/n1`, READ_WRITE);
  const side = await EnsembleSide.open({ name: 'source', hosts: a.connectString, root, sessionTimeoutMs: 10_000, connectTimeoutMs: 5000, logger });
  try {
    const record: FreezeRecord = { credentials: newFreezeCredentials('test'), originals: {} };
    // The replica vouches for every node at ACL version 0, holding READ_WRITE for /g0/n0 (so that is the original
    // taken) and world-open for the rest. /g1/n1 has moved past version 0, so its own ACL must be read instead.
    const asked: string[] = [];
    const replicaAcl = async (rel: string, aversion: number): Promise<ZkAcl[] | null> => {
      asked.push(rel);
      if (aversion !== 0) return null;
      return rel === '/g0/n0' ? READ_WRITE : OPEN_ACL_UNSAFE;
    };
    // /g2/n2's ACL changes between the replica's answer and the freeze: the conditional freeze fails, the node is
    // read again, and what it holds now is the original — not what the replica said.
    const racing = async (rel: string, aversion: number): Promise<ZkAcl[] | null> => {
      if (rel === '/g2/n2') await za.setAcl(`${root}/g2/n2`, READ_WRITE);
      return replicaAcl(rel, aversion);
    };
    const changed = await freezeTree({ side, filter: new PathFilter({}), record, persist: () => undefined, maxInFlight: 8, replicaAcl: racing });
    expect(changed).toBe(1 + 3 + 150);
    expect(asked).toContain('/g1/n1');
    // /g0/n0's original came from the replica; /g1/n1's and /g2/n2's from the nodes themselves.
    expect(record.originals).toEqual({ '/g0/n0': READ_WRITE, '/g1/n1': READ_WRITE, '/g2/n2': READ_WRITE });
    const frozen = freezeAcl(record.credentials);
    for (const rel of ['', '/g0/n0', '/g1/n1', '/g2/n2']) expect(aclEqual((await side.acl(rel))!.acl, frozen)).toBe(true);
  } finally {
    side.close();
  }
});
