/**
 * Invariants of the allocation core under random operation sequences (fast-check, seeded): agents come and go,
 * frameworks accept, decline and finish tasks, weights and quotas change — and no agent is ever over-committed,
 * no limit is crossed by an allocation, and every unit of every resource is always accounted for exactly once.
 *
 * These run against the synchronous core directly: thousands of sequences in a few seconds, which over HTTP would
 * take minutes. The HTTP layer is a thin validated wrapper over the same methods.
 */
import fc from 'fast-check';
import { Allocator } from '../../../services/allocator/src/allocator';
import { AllocatorError } from '../../../services/allocator/src/errors';
import type { Allocation } from '../../../services/allocator/src/model';
import { add, emptyResources, portCount, Resources, resources, SCALAR_NAMES, Scalars, subtract } from '../../../services/allocator/src/resources';
import { seeded } from './support/allocator-harness';

const ROLES = ['a', 'b', 'eng', 'eng/ml', 'eng/web'];
const AGENTS = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];

type Command =
  | { k: 'agent'; id: number; cpus: number; mem: number; ports: number; reserve: number | null }
  | { k: 'removeAgent'; id: number }
  | { k: 'role'; role: number; weight: number; limit: number | null; guarantee: number | null }
  | { k: 'framework'; roles: number[]; queue: boolean }
  | { k: 'allocate'; advanceMs: number }
  | { k: 'accept'; offer: number; fraction: number }
  | { k: 'decline'; offer: number; refuse: number }
  | { k: 'finish'; task: number }
  | { k: 'submit'; fw: number; cpus: number; mem: number; ports: number; count: number }
  | { k: 'suppress'; fw: number; on: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ k: fc.constant('agent' as const), id: fc.nat(AGENTS.length - 1), cpus: fc.integer({ min: 1, max: 16 }), mem: fc.integer({ min: 256, max: 16384 }), ports: fc.integer({ min: 0, max: 20 }), reserve: fc.option(fc.nat(ROLES.length - 1)) }),
  fc.record({ k: fc.constant('removeAgent' as const), id: fc.nat(AGENTS.length - 1) }),
  fc.record({ k: fc.constant('role' as const), role: fc.nat(ROLES.length - 1), weight: fc.integer({ min: 1, max: 4 }), limit: fc.option(fc.integer({ min: 0, max: 24 })), guarantee: fc.option(fc.integer({ min: 0, max: 8 })) }),
  fc.record({ k: fc.constant('framework' as const), roles: fc.uniqueArray(fc.nat(ROLES.length - 1), { minLength: 1, maxLength: 2 }), queue: fc.boolean() }),
  fc.record({ k: fc.constant('allocate' as const), advanceMs: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ k: fc.constant('accept' as const), offer: fc.nat(20), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ k: fc.constant('decline' as const), offer: fc.nat(20), refuse: fc.constantFrom(0, 1, 5) }),
  fc.record({ k: fc.constant('finish' as const), task: fc.nat(40) }),
  fc.record({ k: fc.constant('submit' as const), fw: fc.nat(5), cpus: fc.integer({ min: 0, max: 4 }), mem: fc.integer({ min: 0, max: 2048 }), ports: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ k: fc.constant('suppress' as const), fw: fc.nat(5), on: fc.boolean() }),
);

function run(a: Allocator, c: Command, clock: { t: number }, fwIds: string[]): void {
  switch (c.k) {
    case 'agent': {
      const total = resources({ cpus: c.cpus, mem: c.mem, ports: c.ports > 0 ? [{ begin: 31000, end: 31000 + c.ports - 1 }] : [] });
      const reservations = c.reserve === null ? {} : { [ROLES[c.reserve]]: resources({ cpus: Math.ceil(c.cpus / 2), mem: Math.ceil(c.mem / 2) }) };
      a.putAgent(AGENTS[c.id], { resources: total, attributes: {}, reservations });
      return;
    }
    case 'removeAgent':
      a.removeAgent(AGENTS[c.id]);
      return;
    case 'role':
      a.setRole(ROLES[c.role], {
        weight: c.weight,
        quota: { guarantees: c.guarantee === null ? {} : { cpus: c.guarantee }, limits: c.limit === null ? {} : { cpus: c.limit, mem: c.limit * 1024 } },
      });
      return;
    case 'framework': {
      const id = `f${fwIds.length}`;
      a.addFramework({ id, name: id, roles: c.roles.map((r) => ROLES[r]), mode: c.queue ? 'queue' : 'offers', maxOffers: 3 });
      fwIds.push(id);
      return;
    }
    case 'allocate': {
      clock.t += c.advanceMs;
      const before = new Map(ROLES.map((r) => [r, a.roleConsumed(r)]));
      a.allocate(c.advanceMs % 2 === 0 ? 'all' : 'changed');
      // A limit is never crossed by an allocation (a limit lowered below what a role already holds does not revoke).
      for (const role of ROLES) {
        for (const path of ancestorsOrSelf(role)) {
          const limits = a.roleConfig(path).quota.limits;
          const now = a.roleConsumed(path);
          const was = before.get(path) ?? now;
          for (const n of SCALAR_NAMES) {
            const l = limits[n];
            if (l !== undefined && now[n] > was[n] + 1e-9) expect(now[n]).toBeLessThanOrEqual(l + 1e-9);
          }
        }
      }
      return;
    }
    case 'accept': {
      const offers = [...a.offers.values()];
      if (offers.length === 0) return;
      const o = offers[c.offer % offers.length];
      const cpus = Math.floor(o.resources.cpus * c.fraction * 1000) / 1000;
      const mem = Math.floor(o.resources.mem * c.fraction);
      const ports = o.resources.ports.length > 0 ? [{ begin: o.resources.ports[0].begin, end: o.resources.ports[0].begin }] : [];
      a.accept(o.frameworkId, { offerIds: [o.id], tasks: [{ name: 't', resources: resources({ cpus, mem, ports }) }], refuseSeconds: 0 });
      return;
    }
    case 'decline': {
      const offers = [...a.offers.values()];
      if (offers.length === 0) return;
      const o = offers[c.offer % offers.length];
      a.decline(o.frameworkId, [o.id], c.refuse);
      return;
    }
    case 'finish': {
      const tasks = [...a.tasks.keys()];
      if (tasks.length > 0) a.endTask(tasks[c.task % tasks.length], 'finished');
      return;
    }
    case 'submit':
      if (fwIds.length === 0) return;
      a.submitTasks(fwIds[c.fw % fwIds.length], `g${clock.t}-${c.fw}-${a.groups.size}`, { name: 'q', request: { cpus: c.cpus, mem: c.mem, disk: 0, gpus: 0, ports: c.ports }, count: c.count });
      return;
    case 'suppress':
      if (fwIds.length === 0) return;
      a.setSuppressed(fwIds[c.fw % fwIds.length], undefined, c.on);
      return;
  }
}

function ancestorsOrSelf(role: string): string[] {
  const parts = role.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Every resource of every agent is in exactly one place: free, an offer, or a task. */
function checkConservation(a: Allocator): void {
  const clusterFree: Scalars = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const byRole = new Map<string, Scalars>();
  for (const agent of a.agents.values()) {
    const holders: Allocation[] = [...agent.offers, ...agent.tasks];
    let reservedSum = emptyResources();
    for (const r of Object.values(agent.reservations)) reservedSum = add(reservedSum, r);
    let unreserved = agent.free;
    let ports = portCount(agent.free.ports);
    for (const h of holders) {
      unreserved = add(unreserved, h.unreserved);
      ports += portCount(h.unreserved.ports) + portCount(h.reserved.ports);
      for (const n of SCALAR_NAMES) expect(h.unreserved[n]).toBeGreaterThanOrEqual(0);
    }
    // No over-commit: nothing negative is free, and what is held never exceeds the agent.
    for (const n of SCALAR_NAMES) expect(agent.free[n]).toBeGreaterThanOrEqual(0);
    expectSameScalars(unreserved, subtract(agent.resources, reservedSum));
    for (const [role, reserved] of Object.entries(agent.reservations)) {
      let held: Resources = agent.freeReserved.get(role) ?? emptyResources();
      for (const h of holders) if (h.role === role) held = add(held, h.reserved);
      expectSameScalars(held, reserved);
    }
    // Ports: free and held ranges are disjoint and together are exactly the agent's ports.
    expect(ports).toBe(portCount(agent.resources.ports) + 0);
    for (const n of SCALAR_NAMES) clusterFree[n] += agent.free[n];
    for (const h of holders) {
      for (const path of ancestorsOrSelf(h.role)) {
        const acc = byRole.get(path) ?? { cpus: 0, mem: 0, disk: 0, gpus: 0 };
        for (const n of SCALAR_NAMES) acc[n] += h.unreserved[n] + h.reserved[n];
        byRole.set(path, acc);
      }
    }
  }
  expectSameScalars(a.freeResources, clusterFree);
  for (const role of ROLES) expectSameScalars(a.roleAllocated(role), byRole.get(role) ?? { cpus: 0, mem: 0, disk: 0, gpus: 0 });
}

function expectSameScalars(x: Scalars, y: Scalars): void {
  for (const n of SCALAR_NAMES) expect(x[n]).toBeCloseTo(y[n], 6);
}

test('random operation sequences never over-commit, never cross a limit, and conserve every resource', () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 5, maxLength: 60 }), fc.integer({ min: 1, max: 1_000_000 }), (commands, seed) => {
      const clock = { t: 1_000_000 };
      const a = new Allocator({ random: seeded(seed), now: () => clock.t, offerTimeoutMs: 20_000 });
      const fwIds: string[] = [];
      for (const c of commands) {
        const before = JSON.stringify(a.snapshot());
        try {
          run(a, c, clock, fwIds);
        } catch (err) {
          if (!(err instanceof AllocatorError)) throw err;
          // A refused operation changes nothing durable.
          expect(JSON.stringify(a.snapshot())).toBe(before);
        }
        checkConservation(a);
      }
    }),
    { seed: 20261125, numRuns: 300 },
  );
});

test('replaying the journal of a random run rebuilds the same durable state', () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 5, maxLength: 60 }), (commands) => {
      const clock = { t: 1_000_000 };
      const a = new Allocator({ random: seeded(7), now: () => clock.t });
      const fwIds: string[] = [];
      const journal: unknown[] = [];
      const originalApply = a.apply.bind(a);
      a.apply = (op) => {
        journal.push(JSON.parse(JSON.stringify(op)));
        originalApply(op);
      };
      // The replica journals each cycle's placements as one 'place' operation; do the same here.
      const originalAllocate = a.allocate.bind(a);
      a.allocate = (scope) => {
        const result = originalAllocate(scope);
        if (result.placed.length > 0) journal.push(JSON.parse(JSON.stringify({ t: 'place', tasks: result.placed })));
        return result;
      };
      for (const c of commands) {
        try {
          run(a, c, clock, fwIds);
        } catch (err) {
          if (!(err instanceof AllocatorError)) throw err;
        }
      }
      const b = new Allocator({ now: () => clock.t });
      for (const op of journal) b.apply(op as Parameters<Allocator['apply']>[0]);
      expect(b.snapshot()).toEqual(a.snapshot());
      // What a new leader does: snapshot and journal loaded with the sorters in bulk mode.
      const c2 = new Allocator({ now: () => clock.t });
      c2.recover(JSON.parse(JSON.stringify(a.snapshot())), []);
      expect(c2.snapshot()).toEqual(a.snapshot());
      const c3 = new Allocator({ now: () => clock.t });
      c3.recover(null, journal as Parameters<Allocator['apply']>[0][]);
      expect(c3.snapshot()).toEqual(a.snapshot());
      // Shares agree with the state rebuilt one operation at a time (offers aside, which a new leader drops).
      for (const role of ROLES) {
        expect(c2.roleShare(role)).toBeCloseTo(b.roleShare(role), 9);
        expect(c3.roleShare(role)).toBeCloseTo(b.roleShare(role), 9);
      }
    }),
    { seed: 7, numRuns: 150 },
  );
});
