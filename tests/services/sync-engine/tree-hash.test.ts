import fc from 'fast-check';
import { OPEN_ACL_UNSAFE } from '../../../services/lib/zk-client';
import { compareHashTrees, computeSubtreeHashes, HashTree, hashedNode } from '../../../services/sync-engine/src/tree-hash';

function tree(nodes: Record<string, string>): HashTree {
  const t: HashTree = new Map();
  const rels = Object.keys(nodes);
  for (const rel of rels) {
    const children = rels.filter((r) => r !== rel && r.startsWith(rel + '/') && !r.slice(rel.length + 1).includes('/')).map((r) => r.slice(rel.length + 1));
    t.set(rel, hashedNode(Buffer.from(nodes[rel]), OPEN_ACL_UNSAFE, children));
  }
  computeSubtreeHashes(t);
  return t;
}

test('equal trees have equal root hashes and no differences', () => {
  const a = tree({ '': 'r', '/x': '1', '/x/y': '2', '/z': '3' });
  const b = tree({ '': 'r', '/z': '3', '/x': '1', '/x/y': '2' });
  expect(a.get('')!.subtree).toEqual(b.get('')!.subtree);
  expect(compareHashTrees(a, b)).toEqual([]);
});

test('differences are reported at the node that differs; a missing subtree once, at its top', () => {
  const a = tree({ '': 'r', '/x': '1', '/x/y': '2', '/x/y/z': '3', '/w': '4' });
  const b = tree({ '': 'r', '/x': '1', '/x/y': 'changed', '/v': '5' });
  expect(compareHashTrees(a, b)).toEqual([
    { path: '/v', kind: 'missing-on-source' },
    { path: '/w', kind: 'missing-on-target' },
    { path: '/x/y', kind: 'data' },
    { path: '/x/y/z', kind: 'missing-on-target' },
  ]);
});

test('ACL order does not matter, ACL content does', () => {
  const acl = [
    { perms: 1, scheme: 'world', auth: 'anyone' },
    { perms: 31, scheme: 'digest', auth: 'u:h' },
  ];
  expect(hashedNode(Buffer.from('d'), acl, []).acl).toEqual(hashedNode(Buffer.from('d'), [...acl].reverse(), []).acl);
  expect(hashedNode(Buffer.from('d'), acl, []).acl).not.toEqual(hashedNode(Buffer.from('d'), OPEN_ACL_UNSAFE, []).acl);
});

test('property: the comparison finds exactly the nodes whose data was changed', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom('/a', '/b', '/a/c', '/a/d', '/b/e', '/a/c/f'), { minLength: 0 }), (changed) => {
      const base: Record<string, string> = { '': 'r', '/a': '1', '/b': '2', '/a/c': '3', '/a/d': '4', '/b/e': '5', '/a/c/f': '6' };
      const other = { ...base };
      for (const p of changed) other[p] = 'x';
      const diffs = compareHashTrees(tree(base), tree(other));
      expect(diffs.map((d) => d.path).sort()).toEqual([...changed].sort());
    }),
  );
});

test('a tree deeper than the JavaScript stack is hashed and compared (8,000 levels)', () => {
  // A recursive walk overflows at about 6,000 levels here; ZooKeeper allows far deeper paths.
  const depth = 8000;
  const a: HashTree = new Map();
  const b: HashTree = new Map();
  let rel = '';
  for (let d = 0; d < depth; d++) {
    const node = hashedNode(Buffer.from('x'), OPEN_ACL_UNSAFE, d < depth - 1 ? ['n'] : []);
    a.set(rel, node);
    b.set(rel, { ...node });
    if (d < depth - 1) rel += '/n';
  }
  b.set(rel, hashedNode(Buffer.from('changed'), OPEN_ACL_UNSAFE, []));
  computeSubtreeHashes(a);
  computeSubtreeHashes(b);
  expect(compareHashTrees(a, b)).toEqual([{ path: rel, kind: 'data' }]);
});
