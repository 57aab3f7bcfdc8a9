/**
 * The column-wise offer store and offer filters behave like the maps, sets and objects they replaced: random
 * operations (fast-check, seeded) against plain models — same offers back by id, per agent and per framework, oldest
 * first; the same answers from the filters through adds, expiry sweeps, revives and removals.
 */
import fc from 'fast-check';
import type { Offer } from '../../../services/allocator/src/model';
import { OfferFilters } from '../../../services/allocator/src/offer-filters';
import { OfferTable } from '../../../services/allocator/src/offer-table';
import { contains, NO_RESOURCES, Resources, resources } from '../../../services/allocator/src/resources';

const owners = { agentId: (n: number) => `agent-${n}`, frameworkId: (n: number) => `fw-${n}`, roleName: (n: number) => `role-${n}` };

type OfferStep = { add: true; agent: number; fw: number; reserved: boolean; ports: boolean } | { add: false; pick: number };

const offerStep: fc.Arbitrary<OfferStep> = fc.oneof(
  fc.record({ add: fc.constant(true as const), agent: fc.nat(3), fw: fc.nat(2), reserved: fc.boolean(), ports: fc.boolean() }),
  fc.record({ add: fc.constant(false as const), pick: fc.nat(50) }),
);

test('the offer table answers like a Map of offers, oldest first, per agent and per framework', () => {
  fc.assert(
    fc.property(fc.array(offerStep, { maxLength: 200 }), (steps) => {
      const table = new OfferTable('oabc', 30_000, owners);
      const model = new Map<string, Offer>();
      let now = 1000;
      for (const s of steps) {
        now++;
        if (s.add) {
          const reserved = s.reserved ? resources({ cpus: 1, mem: 64 }) : NO_RESOURCES;
          const unreserved = resources({ cpus: 2 + s.agent, mem: 512, ports: s.ports ? [{ begin: 31000, end: 31009 }] : [] });
          const slot = table.add(s.agent, s.fw, s.fw, reserved, unreserved, now);
          const resourcesAll = s.reserved ? resources({ cpus: 3 + s.agent, mem: 576, ports: unreserved.ports }) : unreserved;
          const offer: Offer = { id: table.idOf(slot), frameworkId: `fw-${s.fw}`, role: `role-${s.fw}`, agentId: `agent-${s.agent}`, reserved, unreserved, resources: resourcesAll, createdAt: now, expiresAt: now + 30_000 };
          model.set(offer.id, offer);
        } else if (model.size > 0) {
          const id = [...model.keys()][s.pick % model.size];
          table.remove(table.find(id), 'declined');
          model.delete(id);
          expect(table.has(id)).toBe(false);
          expect(table.whyGone(id)).toBe('declined');
        }
      }
      expect(table.size).toBe(model.size);
      expect([...table.values()]).toEqual([...model.values()]);
      for (const [id, offer] of model) expect(table.get(id)).toEqual(offer);
      for (let a = 0; a < 4; a++) {
        const onAgent = [...model.values()].filter((o) => o.agentId === `agent-${a}`);
        expect([...table.onAgent(a)]).toEqual(onAgent);
        expect(table.onAgent(a).size).toBe(onAgent.length);
        expect(table.slotsOnAgent(a).map((slot) => table.idOf(slot))).toEqual(onAgent.map((o) => o.id));
      }
      for (let f = 0; f < 3; f++) expect([...table.ofFramework(f)]).toEqual([...model.values()].filter((o) => o.frameworkId === `fw-${f}`));
      const oldest = table.oldest();
      expect(oldest < 0 ? undefined : table.idOf(oldest)).toBe([...model.keys()][0]);
    }),
    { seed: 11, numRuns: 200 },
  );
});

test('offer ids are found only as written: another prefix, padding or junk is unknown, an old offer is gone', () => {
  const table = new OfferTable('oabc', 30_000, owners);
  const first = table.add(0, 0, 0, NO_RESOURCES, resources({ cpus: 1 }), 0);
  const id = table.idOf(first);
  expect(id).toBe('oabc-1');
  for (const other of ['oabd-1', 'oabc-01', 'oabc-1.0', 'oabc-', 'oabc1', 'oabc-2', '']) {
    expect(table.find(other)).toBe(-1);
    expect(table.whyGone(other)).toBeUndefined();
  }
  table.remove(first, 'expired');
  expect(table.whyGone(id)).toBe('expired');
  // Past the ring of remembered reasons, an offer of this table is still known to be gone.
  for (let i = 0; i < 70_000; i++) table.remove(table.add(1, 1, 1, NO_RESOURCES, resources({ cpus: 1 }), i), 'accepted');
  expect(table.whyGone(id)).toBe('answered or rescinded');
  expect(table.whyGone(table.idOf(table.add(0, 0, 0, NO_RESOURCES, resources({ cpus: 1 }), 0)))).toBeUndefined();
});

interface ModelFilter {
  fw: number;
  agent: number;
  role: number;
  refused: Resources;
  expiresAt: number;
}

type FilterStep =
  | { k: 'add'; fw: number; agent: number; role: number; cpus: number; ports: boolean; ttl: number }
  | { k: 'check'; fw: number; agent: number; role: number; cpus: number; ports: boolean }
  | { k: 'tick'; ms: number; sweep: number }
  | { k: 'revive'; fw: number; role: number | null }
  | { k: 'removeAgent'; agent: number }
  | { k: 'removeFramework'; fw: number };

const filterStep: fc.Arbitrary<FilterStep> = fc.oneof(
  fc.record({ k: fc.constant('add' as const), fw: fc.nat(3), agent: fc.nat(3), role: fc.nat(2), cpus: fc.integer({ min: 1, max: 8 }), ports: fc.boolean(), ttl: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ k: fc.constant('check' as const), fw: fc.nat(3), agent: fc.nat(3), role: fc.nat(2), cpus: fc.integer({ min: 1, max: 8 }), ports: fc.boolean() }),
  fc.record({ k: fc.constant('tick' as const), ms: fc.nat(20), sweep: fc.nat(10) }),
  fc.record({ k: fc.constant('revive' as const), fw: fc.nat(3), role: fc.option(fc.nat(2)) }),
  fc.record({ k: fc.constant('removeAgent' as const), agent: fc.nat(3) }),
  fc.record({ k: fc.constant('removeFramework' as const), fw: fc.nat(3) }),
);

test('offer filters answer like a list of filters through adds, expiry sweeps, revives and removals', () => {
  fc.assert(
    fc.property(fc.array(filterStep, { maxLength: 300 }), (steps) => {
      const filters = new OfferFilters();
      let model: ModelFilter[] = [];
      let now = 0;
      const ask = (cpus: number, ports: boolean) => resources({ cpus, mem: 100, ports: ports ? [{ begin: 31000, end: 31001 }] : [] });
      for (const s of steps) {
        switch (s.k) {
          case 'add': {
            const refused = ask(s.cpus, s.ports);
            filters.add(s.fw, s.agent, s.role, refused, now, now + s.ttl);
            model.push({ fw: s.fw, agent: s.agent, role: s.role, refused, expiresAt: now + s.ttl });
            break;
          }
          case 'check': {
            const offered = ask(s.cpus, s.ports);
            const expected = model.some((f) => f.fw === s.fw && f.agent === s.agent && f.role === s.role && f.expiresAt > now && contains(f.refused, offered));
            expect(filters.isFiltered(s.fw, s.agent, s.role, offered, now)).toBe(expected);
            break;
          }
          case 'tick':
            // Sweeping only drops what has expired, which answers nothing anyway: the model needs no change.
            now += s.ms;
            filters.expire(now, s.sweep);
            break;
          case 'revive':
            filters.clear(s.fw, s.role === null ? undefined : [s.role]);
            model = model.filter((f) => f.fw !== s.fw || (s.role !== null && f.role !== s.role));
            break;
          case 'removeAgent':
            filters.removeAgent(s.agent);
            model = model.filter((f) => f.agent !== s.agent);
            break;
          case 'removeFramework':
            filters.removeFramework(s.fw);
            model = model.filter((f) => f.fw !== s.fw);
            break;
        }
      }
      for (let fw = 0; fw < 4; fw++) {
        for (let agent = 0; agent < 4; agent++) {
          for (let role = 0; role < 3; role++) {
            const offered = ask(1, false);
            const expected = model.some((f) => f.fw === fw && f.agent === agent && f.role === role && f.expiresAt > now && contains(f.refused, offered));
            expect(filters.isFiltered(fw, agent, role, offered, now)).toBe(expected);
          }
        }
      }
    }),
    { seed: 5, numRuns: 300 },
  );
});
