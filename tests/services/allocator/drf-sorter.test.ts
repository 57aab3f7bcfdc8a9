/**
 * The sorter on its own: weighted dominant shares, tie-breaking, hierarchy, exclusions — and that the incremental
 * order always equals a from-scratch sort of the same allocations.
 */
import fc from 'fast-check';
import { DrfSorter } from '../../../services/allocator/src/drf-sorter';
import type { Scalars } from '../../../services/allocator/src/resources';

const s = (cpus: number, mem = 0, gpus = 0): Scalars => ({ cpus, mem, disk: 0, gpus });

function sorter(clients: string[], total: Scalars = s(100, 100, 100)): DrfSorter<string> {
  const d = new DrfSorter<string>();
  for (const c of clients) d.add(c, c);
  d.setTotal(total);
  return d;
}

test('orders by weighted dominant share', () => {
  const d = sorter(['a', 'b']);
  d.allocated('a', s(10, 40));
  d.allocated('b', s(30, 5));
  expect(d.sort()).toEqual(['b', 'a']); // b: 0.30, a: 0.40
  d.setWeight('a', 2);
  expect(d.sort()).toEqual(['a', 'b']); // a: 0.20
  expect(d.share('a')).toBeCloseTo(0.2);
});

test('ties go to fewer allocations, then to the name', () => {
  const d = sorter(['b', 'a', 'c']);
  expect(d.sort()).toEqual(['a', 'b', 'c']);
  d.allocated('a', s(1));
  d.unallocated('a', s(1));
  // Back to share 0, but 'a' has been allocated once: it now goes after the others.
  expect(d.sort()).toEqual(['b', 'c', 'a']);
});

test('excluded resources do not count (gpus by default)', () => {
  const d = sorter(['gpu', 'cpu']);
  d.allocated('gpu', s(5, 0, 100));
  d.allocated('cpu', s(10));
  expect(d.share('gpu')).toBeCloseTo(0.05);
  expect(d.sort()).toEqual(['gpu', 'cpu']);
});

test('siblings are ordered by subtree first, and a role next to its children competes as a virtual leaf', () => {
  const d = sorter(['eng/ml', 'eng/web', 'ops']);
  d.allocated('eng/ml', s(10));
  d.allocated('eng/web', s(10));
  d.allocated('ops', s(15));
  // eng's subtree holds 20 > ops's 15, so ops comes first even though each eng child holds less.
  expect(d.sort()).toEqual(['ops', 'eng/ml', 'eng/web']);
  d.add('eng', 'eng');
  d.allocated('eng', s(1));
  expect(d.subtreeShare('eng')).toBeCloseTo(0.21);
  expect(d.sort()).toEqual(['ops', 'eng', 'eng/ml', 'eng/web']);
  d.remove('eng/ml');
  d.remove('eng/web');
  expect(d.subtreeShare('eng')).toBeCloseTo(0.01);
  expect(d.sort()).toEqual(['eng', 'ops']);
});

test('the incrementally maintained order always equals a full sort (random changes)', () => {
  const names = ['a', 'b', 'c', 'x/a', 'x/b', 'x/c/d', 'y'];
  fc.assert(
    fc.property(
      fc.array(fc.record({ client: fc.constantFrom(...names), cpus: fc.integer({ min: -5, max: 10 }), mem: fc.integer({ min: -5, max: 10 }), weight: fc.option(fc.integer({ min: 1, max: 4 })) }), { maxLength: 80 }),
      (steps) => {
        const d = sorter(names, s(100, 100));
        const held = new Map(names.map((n) => [n, { cpus: 0, mem: 0, count: 0 }]));
        const weights = new Map<string, number>();
        for (const st of steps) {
          const h = held.get(st.client)!;
          const cpus = Math.max(-h.cpus, st.cpus);
          const mem = Math.max(-h.mem, st.mem);
          if (cpus >= 0 && mem >= 0) {
            d.allocated(st.client, s(cpus, mem));
            h.count++;
          } else d.unallocated(st.client, s(Math.abs(Math.min(0, cpus)), Math.abs(Math.min(0, mem))));
          if (cpus >= 0 && mem >= 0) {
            h.cpus += cpus;
            h.mem += mem;
          } else {
            h.cpus -= Math.abs(Math.min(0, cpus));
            h.mem -= Math.abs(Math.min(0, mem));
          }
          if (st.weight !== null) {
            d.setWeight(st.client, st.weight);
            weights.set(st.client, st.weight);
          }
        }
        expect(d.sort()).toEqual(referenceOrder(names, held, weights));
      },
    ),
    { seed: 99, numRuns: 300 },
  );
});

/** A from-scratch hierarchical sort of the same allocations, written plainly. */
function referenceOrder(names: string[], held: Map<string, { cpus: number; mem: number; count: number }>, weights: Map<string, number>): string[] {
  interface N {
    name: string;
    sortName: string;
    cpus: number;
    mem: number;
    count: number;
    client: boolean;
    children: Map<string, N>;
  }
  const root: N = { name: '', sortName: '', cpus: 0, mem: 0, count: 0, client: false, children: new Map() };
  for (const n of names) {
    const h = held.get(n)!;
    let cur = root;
    let path = '';
    for (const part of n.split('/')) {
      path = path ? `${path}/${part}` : part;
      if (!cur.children.has(path)) cur.children.set(path, { name: path, sortName: path, cpus: 0, mem: 0, count: 0, client: false, children: new Map() });
      cur = cur.children.get(path)!;
      cur.cpus += h.cpus;
      cur.mem += h.mem;
      cur.count += h.count;
    }
    cur.client = true;
  }
  const share = (x: N) => Math.max(x.cpus / 100, x.mem / 100) / (weights.get(x.name) ?? 1);
  const out: string[] = [];
  const walk = (x: N) => {
    const kids = [...x.children.values()];
    // A client with children competes as a virtual leaf holding only its own allocation.
    if (x.client && kids.length > 0) {
      const own = held.get(x.name)!;
      kids.push({ name: x.name, sortName: `${x.name}/.`, cpus: own.cpus, mem: own.mem, count: own.count, client: true, children: new Map() });
    }
    kids.sort((p, q) => share(p) - share(q) || p.count - q.count || (p.sortName < q.sortName ? -1 : 1));
    for (const k of kids) {
      if (k.sortName.endsWith('/.') || (k.client && k.children.size === 0)) out.push(k.name);
      else if (k.client) {
        walk(k);
        continue;
      }
      if (k.children.size > 0) walk(k);
    }
  };
  walk(root);
  return out;
}
