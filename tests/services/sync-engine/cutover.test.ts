/**
 * The whole cutover with a live writer that follows the published connect string, and rollback after the switch.
 */
import { OPEN_ACL_UNSAFE, ZkClient, ZkPerm } from '../../../services/lib/zk-client';
import { parsePublished } from '../../../services/sync-engine/src/connect-publisher';
import { Cutover, CutoverState } from '../../../services/sync-engine/src/cutover';
import { SyncMetrics } from '../../../services/sync-engine/src/metrics';
import { openCheckedSides } from '../../../services/sync-engine/src/preflight';
import { StateStore } from '../../../services/sync-engine/src/state-store';
import { AckedWriter, config, logger, Pair, populate, startPair, stateDir, uniqueRoot, waitFor } from './engine-harness';

let pair: Pair;
beforeAll(async () => {
  pair = await startPair();
});
afterAll(async () => {
  await pair.close();
});

/** Follows the published connect string the way a client library would: watch the znode, switch on change. */
class PublishedFollower {
  current: string;
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly zk: ZkClient,
    private readonly znode: string,
    initial: string,
  ) {
    this.current = initial;
  }
  start(): void {
    this.timer = setInterval(async () => {
      try {
        const value = parsePublished((await this.zk.get(this.znode)).data);
        if (value) this.current = value.connect.split('/')[0];
      } catch {
        // not published yet
      }
    }, 20);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

async function runCutover(root: string, extra: string[], onPhase?: (cutover: Cutover) => void): Promise<{ state: CutoverState; cutover: Cutover }> {
  const cfg = config('cutover', pair.a.connectString + root, pair.b.connectString + root, ['--state-dir', stateDir(), '--lag-stable-ms', '300', '--heartbeat-ms', '50', '--job', root.slice(1), ...extra]);
  const sides = await openCheckedSides(cfg, logger);
  const cutover = new Cutover({ config: cfg, store: new StateStore(cfg.stateDir!), ...sides, metrics: new SyncMetrics(), logger });
  const watcher = onPhase ? setInterval(() => onPhase(cutover), 20) : undefined;
  try {
    return { state: await cutover.run(), cutover };
  } finally {
    clearInterval(watcher);
    sides.source.close();
    sides.target.close();
  }
}

test('a writer keeps writing through the whole cutover; every acknowledged write is on the new ensemble', async () => {
  const root = uniqueRoot('cutover');
  const { za, zb, a, b } = pair;
  await populate(za, root, 500);
  await za.mkdirp(`${root}/writes`);
  const znode = `/sync-engine/${root.slice(1)}/active-connect`;
  const follower = new PublishedFollower(za, znode, a.connectString);
  follower.start();
  const writer = new AckedWriter(() => follower.current, `${root}/writes`);
  writer.start(2);
  try {
    await writer.writeSome(20);
    const { state } = await runCutover(root, ['--rollback-window-ms', '1500']);
    expect(state.phase).toBe('done');
    expect(state.history.map((h) => h.phase)).toEqual(['copy', 'sync', 'freeze', 'drain', 'switch', 'reverse-sync']);
    for (const h of state.history) expect(h.durationMs).toBeGreaterThanOrEqual(0);
    expect(state.lastVerify).toMatchObject({ equal: true });
    // The writer moved to the target and kept going.
    expect(follower.current).toBe(b.connectString);
    await writer.writeSome(20);
    await writer.stop();
    expect(await writer.missingOn(zb)).toEqual([]);
    expect(parsePublished((await zb.get(znode)).data)?.connect).toBe(b.connectString + root);
    // The old ensemble is read-only for clients.
    await expect(za.create(`${root}/writes/late`, 'x')).rejects.toMatchObject({ code: -102 });
  } finally {
    follower.stop();
    await writer.stop();
  }
});

test('rollback after the switch: the target is frozen and drained back, the source reopened and republished', async () => {
  const root = uniqueRoot('rollback');
  const { za, zb, a } = pair;
  await populate(za, root, 100);
  // A restrictive original (with ADMIN, so the engine may freeze it) must come back as it was, not world-open.
  const guarded = [{ perms: ZkPerm.READ | ZkPerm.WRITE | ZkPerm.ADMIN, scheme: 'world', auth: 'anyone' }];
  await za.setAcl(`${root}/g1/n1`, guarded);
  let requested = false;
  const { state } = await runCutover(root, ['--rollback-window-ms', '60000'], (cutover) => {
    if (!requested && cutover.phase === 'reverse-sync') {
      requested = true;
      // A client wrote to the new ensemble before the rollback: it must reach the source.
      void zb.create(`${root}/written-after-switch`, 'keep me').then(() => cutover.requestRollback());
    }
  });
  expect(state.phase).toBe('rolled-back');
  expect(state.rollbackFrom).toBe('reverse-sync');
  expect((await za.get(`${root}/written-after-switch`)).data.toString()).toBe('keep me');
  await za.create(`${root}/writable-again`, 'yes');
  expect((await za.getAcl(`${root}/g1/n1`)).acl).toEqual(guarded);
  expect((await za.getAcl(`${root}/g0/n2`)).acl).toEqual(OPEN_ACL_UNSAFE);
  const published = parsePublished((await za.get(`/sync-engine/${root.slice(1)}/active-connect`)).data);
  expect(published?.connect).toBe(a.connectString + root);
});

test('rollback before the switch unfreezes the source and keeps it published', async () => {
  const root = uniqueRoot('early-rollback');
  const { za, a } = pair;
  await populate(za, root, 50);
  let requested = false;
  const { state } = await runCutover(root, ['--lag-threshold-ms', '1', '--lag-stable-ms', '600000'], (cutover) => {
    if (!requested && cutover.phase === 'sync') {
      requested = true;
      cutover.requestRollback();
    }
  });
  expect(state.phase).toBe('rolled-back');
  expect(state.rollbackFrom).toBe('sync');
  await za.create(`${root}/still-writable`, 'yes');
  await waitFor('published source', async () => parsePublished((await za.get(`/sync-engine/${root.slice(1)}/active-connect`)).data)?.connect === a.connectString + root);
});
