/**
 * Benchmark workloads against the allocation core: building clusters, simulating frameworks that accept part of
 * each offer, and timing cycles. Only `allocate()` is timed; the simulated frameworks' work is not.
 */
import { Allocator } from '../src/allocator';
import { resources, SCALAR_NAMES, Scalars } from '../src/resources';

import { seeded } from '../../lib/seeded-random';

export { seeded };

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export interface ClusterShape {
  agents: number;
  frameworks: number;
  roles: number;
  mode: 'offers' | 'queue';
  seed: number;
}

/** 200 roles as 20 top-level roles of 10 children each (fairness is hierarchical), some weighted, some with quota. */
export function buildCluster(shape: ClusterShape, clock: { t: number }): { allocator: Allocator; frameworkIds: string[]; roles: string[] } {
  const random = seeded(shape.seed);
  const allocator = new Allocator({ random, now: () => clock.t, offerTimeoutMs: 3_600_000, maxOffersPerFramework: 100 });
  const tops = Math.max(1, Math.round(shape.roles / 10));
  const roles: string[] = [];
  for (let i = 0; roles.length < shape.roles; i++) roles.push(`t${i % tops}/r${Math.floor(i / tops)}`);
  for (let t = 0; t < tops; t++) allocator.setRole(`t${t}`, { weight: 1 + (t % 3) });
  roles.forEach((role, i) => {
    if (i % 20 === 0) allocator.setRole(role, { quota: { guarantees: { cpus: 64, mem: 256 * 1024 }, limits: {} } });
    else if (i % 20 === 10) allocator.setRole(role, { quota: { guarantees: {}, limits: { cpus: 2000, mem: 8000 * 1024 } } });
  });
  for (let i = 0; i < shape.agents; i++) {
    allocator.putAgent(`agent-${i}`, { resources: resources({ cpus: 32, mem: 128 * 1024, disk: 500_000, ports: [{ begin: 31000, end: 32000 }] }), attributes: { rack: `r${i % 50}` }, reservations: {} });
  }
  const frameworkIds: string[] = [];
  for (let f = 0; f < shape.frameworks; f++) {
    const id = `fw-${f}`;
    allocator.addFramework({ id, name: id, roles: [roles[f % roles.length]], mode: shape.mode, maxOffers: 100 });
    frameworkIds.push(id);
  }
  return { allocator, frameworkIds, roles };
}

/**
 * What a busy framework does with an offer: launch tasks of 1–4 cpus and 2–8 GB until about 90 % of it is used,
 * and let the rest go (refused for 1 s, so the next cycle sees those resources again soon). Every outstanding offer is
 * answered, each as it is read from the allocator (as a framework answers the offers its stream brings), so no offer
 * value outlives its answer.
 */
export function respondToOffers(allocator: Allocator, random: () => number, taskIds: { n: number }): number {
  let launched = 0;
  for (const offer of allocator.offers.values()) {
    let cpus = offer.resources.cpus * 0.9;
    let mem = offer.resources.mem * 0.9;
    const tasks = [];
    for (;;) {
      const c = 1 + Math.floor(random() * 4);
      const m = (2 + Math.floor(random() * 7)) * 1024;
      if (c > cpus || m > mem) break;
      tasks.push({ id: `t${++taskIds.n}`, name: 'work', resources: resources({ cpus: c, mem: m }) });
      cpus -= c;
      mem -= m;
    }
    if (tasks.length === 0) allocator.decline(offer.frameworkId, [offer.id], 1);
    else allocator.accept(offer.frameworkId, { offerIds: [offer.id], tasks, refuseSeconds: 1 });
    launched += tasks.length;
  }
  return launched;
}

/** Ends a fraction of the running tasks (finished), as a steady churn; walks the ids without copying them. */
export function finishSome(allocator: Allocator, fraction: number, random: () => number): number {
  let n = 0;
  for (const id of allocator.tasks.keys()) {
    if (random() < fraction) {
      allocator.endTask(id, 'finished');
      n++;
    }
  }
  return n;
}

/** Allocated share of each resource (tasks only) and the dominant one. */
export function utilization(allocator: Allocator): { cpus: number; mem: number; dominant: number } {
  const used: Scalars = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  for (const t of allocator.tasks.values()) for (const n of SCALAR_NAMES) used[n] += t.resources[n];
  const total = allocator.total;
  const cpus = used.cpus / total.cpus;
  const mem = used.mem / total.mem;
  return { cpus, mem, dominant: Math.max(cpus, mem) };
}
