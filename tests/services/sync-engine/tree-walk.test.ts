/** The bounded depth-first walk behind copy and verify, over an in-memory tree with asynchronous reads. */
import { walkTree } from '../../../services/sync-engine/src/tree-walk';

/** rel → child names; a rel missing here reads as absent. */
function wideTree(groups: number, perGroup: number): Map<string, string[]> {
  const tree = new Map<string, string[]>([['', Array.from({ length: groups }, (_, g) => `g${g}`)]]);
  for (let g = 0; g < groups; g++) {
    tree.set(`/g${g}`, Array.from({ length: perGroup }, (_, n) => `n${n}`));
    for (let n = 0; n < perGroup; n++) tree.set(`/g${g}/n${n}`, []);
  }
  return tree;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('walkTree', () => {
  test('enters every node once, never more than `concurrency` at a time, and leaves each after all its children', async () => {
    const tree = wideTree(20, 50);
    const entered: string[] = [];
    const left = new Set<string>();
    let active = 0;
    let peak = 0;
    const present = await walkTree(
      '',
      {
        async enter(rel) {
          active++;
          peak = Math.max(peak, active);
          entered.push(rel);
          await tick();
          active--;
          return { children: tree.get(rel)!, value: rel };
        },
        leave(rel, value, children) {
          expect(value).toBe(rel);
          for (const name of children) expect(left.has(rel === '' ? `/${name}` : `${rel}/${name}`)).toBe(true);
          expect(children.sort()).toEqual([...tree.get(rel)!].sort());
          left.add(rel);
        },
      },
      16,
    );
    expect(present).toBe(true);
    expect(entered).toHaveLength(tree.size);
    expect(new Set(entered).size).toBe(tree.size);
    expect(left.size).toBe(tree.size);
    expect(peak).toBe(16);
  });

  test('a node whose enter returns null is not present in its parent, and its subtree is not walked', async () => {
    const tree = wideTree(3, 3);
    const entered: string[] = [];
    let rootChildren: string[] = [];
    await walkTree(
      '',
      {
        async enter(rel) {
          entered.push(rel);
          await tick();
          return rel === '/g1' ? null : { children: tree.get(rel)!, value: null };
        },
        leave(rel, _v, children) {
          if (rel === '') rootChildren = children.sort();
        },
      },
      4,
    );
    expect(rootChildren).toEqual(['g0', 'g2']);
    expect(entered.filter((r) => r.startsWith('/g1/'))).toEqual([]);
  });

  test('the first error rejects the walk, after the reads already in flight have finished', async () => {
    const tree = wideTree(10, 10);
    let active = 0;
    let activeAtRejection = -1;
    const walk = walkTree(
      '',
      {
        async enter(rel) {
          active++;
          await tick();
          active--;
          if (rel === '/g3/n4') throw new Error('boom');
          return { children: tree.get(rel)!, value: null };
        },
      },
      8,
    );
    await expect(walk.catch((err: Error) => ((activeAtRejection = active), Promise.reject(err)))).rejects.toThrow('boom');
    expect(activeAtRejection).toBe(0);
  });

  test('an absent root resolves false', async () => {
    await expect(walkTree('', { enter: async () => null }, 4)).resolves.toBe(false);
  });
});
