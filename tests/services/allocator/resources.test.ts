/**
 * Resource values: the small total functions the loop is built on, with port ranges as the tricky part.
 */
import fc from 'fast-check';
import { add, capScalars, contains, normalizeRanges, portCount, PortRange, resources, subtract, takePorts } from '../../../services/allocator/src/resources';

const range = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 20 })).map(([b, len]) => ({ begin: b, end: b + len }));
const ports = fc.array(range, { maxLength: 6 }).map((r) => normalizeRanges(r));
const value = fc.record({ cpus: fc.integer({ min: 0, max: 64000 }).map((x) => x / 1000), mem: fc.integer({ min: 0, max: 1 << 20 }), ports });

function portSet(r: PortRange[]): Set<number> {
  const s = new Set<number>();
  for (const x of r) for (let p = x.begin; p <= x.end; p++) s.add(p);
  return s;
}

test('adding then subtracting the same resources gives back the original, ports included', () => {
  fc.assert(
    fc.property(value, value, (a, b) => {
      const ra = resources(a);
      const rb = resources({ ...b, ports: normalizeRanges(b.ports.filter((p) => !a.ports.some((q) => q.begin <= p.end && p.begin <= q.end))) });
      const sum = add(ra, rb);
      expect(contains(sum, ra)).toBe(true);
      expect(contains(sum, rb)).toBe(true);
      const back = subtract(sum, rb);
      expect(back.cpus).toBeCloseTo(ra.cpus, 9);
      expect(back.mem).toBe(ra.mem);
      expect(portSet(back.ports)).toEqual(portSet(ra.ports));
    }),
    { seed: 1, numRuns: 300 },
  );
});

test('adding 0.07 cpus ten thousand times and taking it away again leaves exactly zero', () => {
  let r = resources({});
  const task = resources({ cpus: 0.07, mem: 400 });
  for (let i = 0; i < 10_000; i++) r = add(r, task);
  expect(r.cpus).toBe(700);
  for (let i = 0; i < 10_000; i++) r = subtract(r, task);
  expect(r).toEqual(resources({}));
});

test('takePorts takes the lowest ports, or nothing when there are too few', () => {
  const free = normalizeRanges([{ begin: 31000, end: 31001 }, { begin: 31005, end: 31009 }]);
  expect(takePorts(free, 3)).toEqual([{ begin: 31000, end: 31001 }, { begin: 31005, end: 31005 }]);
  expect(takePorts(free, 8)).toBeNull();
  expect(portCount(free)).toBe(7);
});

test('a limit caps scalars and leaves ports alone', () => {
  const r = resources({ cpus: 8, mem: 8192, ports: [{ begin: 1, end: 10 }] });
  expect(capScalars(r, { cpus: 2 })).toEqual({ ...r, cpus: 2 });
});
