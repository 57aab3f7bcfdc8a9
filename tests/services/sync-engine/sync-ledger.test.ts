/** The ledger's snapshot: what it restores is what was recorded, including ACL versions and the world-open mark. */
import { gzipSync } from 'node:zlib';
import { SyncLedger } from '../../../services/sync-engine/src/sync-ledger';

test('a snapshot restores every entry as recorded: identities, ACL versions where known, the world-open mark', async () => {
  const ledger = new SyncLedger();
  ledger.set('', { a: { czxid: 1, version: 0 }, b: { czxid: 9, version: 0 } });
  ledger.set('/open', { a: { czxid: 2, version: 3, aversion: 0 }, b: { czxid: -1, version: 0, aversion: 0 }, openAcl: true });
  ledger.set('/guarded', { a: { czxid: 4, version: 1, aversion: 2 }, b: { czxid: 7, version: 5, aversion: 1 } });
  for (const snapshot of [ledger.snapshot(), await ledger.snapshotAsync()]) {
    const restored = SyncLedger.restore(snapshot);
    expect(restored.size).toBe(3);
    for (const rel of ['', '/open', '/guarded']) expect(restored.get(rel)).toEqual(ledger.get(rel));
  }
});

test('a snapshot of the previous format (no ACL versions) restores with none, so they are read again', () => {
  const v1 = gzipSync(JSON.stringify({ v: 1, rows: [['/n', 2, 3, 5, 1]] }));
  expect(SyncLedger.restore(v1).get('/n')).toEqual({ a: { czxid: 2, version: 3 }, b: { czxid: 5, version: 1 } });
});
