/**
 * The column-wise task store behaves like the maps and sets it replaced: random starts and ends (fast-check, seeded)
 * against a plain `Map` model — same lookups, same iteration order, same per-agent and per-framework lists, and the
 * same `Task` values and stored records back, reserved parts and ports included.
 */
import fc from 'fast-check';
import { taskRecord } from '../../../services/allocator/src/allocator';
import { hashString, IdIndex } from '../../../services/allocator/src/id-index';
import type { Task } from '../../../services/allocator/src/model';
import { NO_RESOURCES, resources } from '../../../services/allocator/src/resources';
import { TaskTable } from '../../../services/allocator/src/task-table';
import { seeded } from './support/allocator-harness';

type Step = { add: true; id: number; agent: number; fw: number; reserved: boolean; ports: boolean } | { add: false; id: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ add: fc.constant(true as const), id: fc.nat(60), agent: fc.nat(3), fw: fc.nat(2), reserved: fc.boolean(), ports: fc.boolean() }),
  fc.record({ add: fc.constant(false as const), id: fc.nat(60) }),
);

function taskOf(s: Extract<Step, { add: true }>): Task {
  const total = resources({ cpus: 1 + s.id / 8, mem: 256, ports: s.ports ? [{ begin: 31000 + s.id, end: 31000 + s.id }] : [] });
  const reserved = s.reserved ? resources({ cpus: 0.5 }) : NO_RESOURCES;
  const unreserved = s.reserved ? resources({ cpus: total.cpus - 0.5, mem: 256, ports: total.ports }) : total;
  return { id: `task-${s.id}`, name: `n${s.id % 3}`, frameworkId: `fw-${s.fw}`, role: `r${s.fw}`, agentId: `agent-${s.agent}`, resources: total, reserved, unreserved, groupId: s.id % 2 === 0 ? `g${s.fw}` : undefined };
}

test('the task table answers like a Map of tasks, in the same order, through every start and end', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
      const table = new TaskTable();
      const model = new Map<string, Task>();
      for (const s of steps) {
        const id = `task-${s.id}`;
        if (s.add && !model.has(id)) {
          const t = taskOf(s);
          table.add(t);
          model.set(id, t);
        } else if (!s.add) {
          expect(table.remove(id)).toEqual(model.get(id));
          model.delete(id);
        }
      }
      expect(table.size).toBe(model.size);
      expect([...table.keys()]).toEqual([...model.keys()]);
      expect([...table.values()]).toEqual([...model.values()]);
      expect(table.records()).toEqual([...model.values()].map(taskRecord));
      for (let a = 0; a < 4; a++) {
        const onAgent = [...model.values()].filter((t) => t.agentId === `agent-${a}`);
        expect([...table.onAgent(`agent-${a}`)]).toEqual(onAgent);
        expect(table.onAgent(`agent-${a}`).size).toBe(onAgent.length);
      }
      for (let f = 0; f < 3; f++) expect([...table.ofFramework(`fw-${f}`)]).toEqual([...model.values()].filter((t) => t.frameworkId === `fw-${f}`));
      for (let i = 0; i <= 60; i++) expect(table.get(`task-${i}`)).toEqual(model.get(`task-${i}`));
    }),
    { seed: 7, numRuns: 300 },
  );
});

test('the id index finds every id through growth and deletions that shift colliding entries', () => {
  const random = seeded(3);
  const ids: string[] = [];
  const index = new IdIndex((slot) => ids[slot], hashString);
  const live = new Set<number>();
  const check = () => {
    expect(index.size).toBe(live.size);
    expect(ids.filter((id, slot) => index.get(id) !== (live.has(slot) ? slot : -1))).toEqual([]);
  };
  // Random ids (sequential ones hash almost without collisions), enough to grow the table several times and fill it
  // to its load limit; then old entries are deleted from the middle of probe runs, and new ones fill the holes.
  const addIds = (n: number) => {
    for (let k = 0; k < n; k++) {
      const slot = ids.length;
      ids.push(`${Math.floor(random() * 1e9).toString(36)}-${slot}`);
      index.add(ids[slot], slot);
      live.add(slot);
    }
  };
  addIds(16_000);
  for (const slot of [...live]) {
    if (random() < 0.5) {
      index.delete(slot);
      live.delete(slot);
    }
  }
  check();
  addIds(8_000);
  check();
  expect(index.get('')).toBe(-1);
  expect(index.get('absent')).toBe(-1);
});
