import fc from 'fast-check';
import { ConflictPolicy, decide, Direction, LedgerEntry, NodeState } from '../../../services/sync-engine/src/conflict-policy';

const at = (version: number, czxid = 1, mtime = 0): NodeState => ({ exists: true, czxid, version, mtime });
const absent: NodeState = { exists: false };
const synced: LedgerEntry = { a: { czxid: 1, version: 3 }, b: { czxid: 7, version: 0 } };

describe('decide: the decision table', () => {
  test('equal content is in sync whatever the versions', () => {
    expect(decide(at(9), at(4, 7), true, synced, 'two-way', 'source-wins')).toEqual({ action: 'in-sync' });
  });

  test('a change on one side only flows to the other, in either direction, with no conflict', () => {
    expect(decide(at(4), at(0, 7), false, synced, 'two-way', 'target-wins')).toEqual({ action: 'copy-to-b' });
    expect(decide(at(3), at(1, 7), false, synced, 'two-way', 'source-wins')).toEqual({ action: 'copy-to-a' });
  });

  test('a node deleted and recreated (same version, new czxid) counts as changed', () => {
    expect(decide(at(3, 99), at(0, 7), false, synced, 'two-way', 'source-wins')).toEqual({ action: 'copy-to-b' });
  });

  test('both changed: update-update conflict resolved by the policy; newest-wins compares mtimes', () => {
    expect(decide(at(4), at(1, 7), false, synced, 'two-way', 'source-wins')).toEqual({ action: 'copy-to-b', conflict: { kind: 'update-update', winner: 'source' } });
    expect(decide(at(4), at(1, 7), false, synced, 'two-way', 'target-wins')).toEqual({ action: 'copy-to-a', conflict: { kind: 'update-update', winner: 'target' } });
    expect(decide(at(4, 1, 100), at(1, 7, 200), false, synced, 'two-way', 'newest-wins')).toEqual({ action: 'copy-to-a', conflict: { kind: 'update-update', winner: 'target' } });
    expect(decide(at(4, 1, 300), at(1, 7, 200), false, synced, 'two-way', 'newest-wins')).toEqual({ action: 'copy-to-b', conflict: { kind: 'update-update', winner: 'source' } });
  });

  test('a delete propagates when the other side did not change; against an update it is a conflict', () => {
    expect(decide(absent, at(0, 7), false, synced, 'two-way', 'source-wins')).toEqual({ action: 'delete-b' });
    expect(decide(absent, at(2, 7), false, synced, 'two-way', 'source-wins')).toEqual({ action: 'delete-b', conflict: { kind: 'delete-update', winner: 'source' } });
    expect(decide(absent, at(2, 7), false, synced, 'two-way', 'target-wins')).toEqual({ action: 'copy-to-a', conflict: { kind: 'delete-update', winner: 'target' } });
    expect(decide(absent, at(2, 7), false, synced, 'two-way', 'newest-wins')).toEqual({ action: 'copy-to-a', conflict: { kind: 'delete-update', winner: 'target' } });
  });

  test('without history a node on one side only is new and is copied', () => {
    expect(decide(at(0), absent, false, undefined, 'two-way', 'target-wins')).toEqual({ action: 'copy-to-b' });
    expect(decide(absent, at(0), false, undefined, 'two-way', 'source-wins')).toEqual({ action: 'copy-to-a' });
    expect(decide(absent, absent, false, synced, 'two-way', 'source-wins')).toEqual({ action: 'forget' });
  });

  test('one-way makes the target a replica: target drift is overwritten, target-only nodes deleted', () => {
    expect(decide(at(3), at(5, 7), false, synced, 'a-to-b', 'source-wins')).toEqual({ action: 'copy-to-b' });
    expect(decide(at(4), at(5, 7), false, synced, 'a-to-b', 'source-wins')).toEqual({ action: 'copy-to-b', conflict: { kind: 'update-update', winner: 'source' } });
    expect(decide(absent, at(0), false, undefined, 'a-to-b', 'source-wins')).toEqual({ action: 'delete-b' });
    expect(decide(at(3), absent, false, synced, 'b-to-a', 'source-wins')).toEqual({ action: 'delete-a' });
  });
});

/**
 * A model of one znode on two ensembles and the engine reconciling it the way the replicator does (conditional
 * writes, ledger updates, a re-read after a create). Property: whatever clients do, two reconciles with no client
 * activity in between leave both sides equal; a third writes nothing (no echo); and a side that alone was written
 * since the last reconcile keeps its write (no lost write), whatever the policy.
 */
interface Side {
  node?: { czxid: number; version: number; data: string; mtime: number };
}

type Op = { kind: 'write' | 'delete'; side: 0 | 1; value: string } | { kind: 'reconcile' };

function simulate(ops: Op[], direction: Direction, policy: ConflictPolicy) {
  const sides: [Side, Side] = [{}, {}];
  let zxid = 0;
  let clock = 0;
  let ledger: LedgerEntry | undefined;
  let engineWrites = 0;
  const stateOf = (s: Side): NodeState => (s.node ? { exists: true, czxid: s.node.czxid, version: s.node.version, mtime: s.node.mtime } : { exists: false });
  const id = (s: Side) => ({ czxid: s.node!.czxid, version: s.node!.version });
  const write = (s: Side, data: string): void => {
    clock++;
    if (s.node) s.node = { ...s.node, version: s.node.version + 1, data, mtime: clock };
    else s.node = { czxid: ++zxid, version: 0, data, mtime: clock };
  };
  const reconcile = (): string => {
    const [a, b] = sides;
    const d = decide(stateOf(a), stateOf(b), !!a.node && !!b.node && a.node.data === b.node.data, ledger, direction, policy);
    const copy = (from: 0 | 1) => {
      const [src, dst] = from === 0 ? [a, b] : [b, a];
      write(dst, src.node!.data);
      engineWrites++;
      // After a create the replicator re-reads the node at once and records its czxid; the model folds that in.
      const dstId = id(dst);
      ledger = from === 0 ? { a: id(src), b: dstId } : { a: dstId, b: id(src) };
    };
    if (d.action === 'in-sync') ledger = { a: id(a), b: id(b) };
    if (d.action === 'forget') ledger = undefined;
    if (d.action === 'copy-to-b') copy(0);
    if (d.action === 'copy-to-a') copy(1);
    if (d.action === 'delete-b' || d.action === 'delete-a') {
      (d.action === 'delete-b' ? b : a).node = undefined;
      engineWrites++;
      ledger = undefined;
    }
    return d.action;
  };
  let touched = new Set<number>();
  let lastValue: [string | undefined, string | undefined] = [undefined, undefined];
  for (const op of ops) {
    if (op.kind === 'reconcile') {
      reconcile();
      touched = new Set();
      continue;
    }
    touched.add(op.side);
    if (op.kind === 'write') write(sides[op.side], op.value);
    else sides[op.side].node = undefined;
    lastValue = [sides[0].node?.data, sides[1].node?.data];
  }
  const onlyWriter = touched.size === 1 ? [...touched][0] : undefined;
  const expected = onlyWriter === undefined ? undefined : lastValue[onlyWriter];
  reconcile();
  reconcile();
  const settledWrites = engineWrites;
  const third = reconcile();
  return { sides, third, extraWrites: engineWrites - settledWrites, onlyWriter, expected };
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), side: fc.constantFrom(0 as const, 1 as const), value: fc.constantFrom('x', 'y', 'z') }),
  fc.record({ kind: fc.constant('delete' as const), side: fc.constantFrom(0 as const, 1 as const), value: fc.constant('') }),
  fc.constant({ kind: 'reconcile' as const }),
);

describe.each([
  ['two-way', 'source-wins'],
  ['two-way', 'target-wins'],
  ['two-way', 'newest-wins'],
  ['a-to-b', 'source-wins'],
  ['b-to-a', 'source-wins'],
] as [Direction, ConflictPolicy][])('replication converges (%s, %s)', (direction, policy) => {
  test('any client history ends with equal sides, no echo, and no lost one-sided write', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const { sides, third, extraWrites, onlyWriter, expected } = simulate(ops, direction, policy);
        expect(sides[0].node?.data).toEqual(sides[1].node?.data);
        expect(['in-sync', 'forget']).toContain(third);
        expect(extraWrites).toBe(0);
        const flowsFrom = direction === 'a-to-b' ? 0 : direction === 'b-to-a' ? 1 : onlyWriter;
        if (onlyWriter !== undefined && onlyWriter === flowsFrom) expect(sides[0].node?.data).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
