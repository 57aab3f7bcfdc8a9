/**
 * The allocator's Prometheus metrics. Counters and histograms are updated where things happen; gauges that mirror
 * state are read from the allocator at scrape time, so the hot loop never touches them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Allocator } from './allocator';
import { SCALAR_NAMES } from './resources';

export interface AllocatorMetrics {
  registry: Registry;
  cycleSeconds: Histogram<'scope'>;
  offers: Counter;
  rescinds: Counter<'reason'>;
  placements: Counter;
  launches: Counter;
  taskEnds: Counter<'state'>;
  tasksLost: Counter;
  journalWriteSeconds: Histogram;
  journalBatchOps: Histogram;
  leader: Gauge;
  /** Points the state gauges at the allocator (null while following). */
  track(allocator: Allocator | null): void;
}

export function createMetrics(registry = new Registry()): AllocatorMetrics {
  let current: Allocator | null = null;
  const m: AllocatorMetrics = {
    registry,
    cycleSeconds: new Histogram({
      name: 'allocator_cycle_duration_seconds',
      help: 'Time one allocation cycle takes; scope "all" is the periodic cycle, "changed" the event-driven one',
      labelNames: ['scope'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    offers: new Counter({ name: 'allocator_offers_total', help: 'Offers made', registers: [registry] }),
    rescinds: new Counter({ name: 'allocator_offers_rescinded_total', help: 'Offers rescinded, by reason', labelNames: ['reason'], registers: [registry] }),
    placements: new Counter({ name: 'allocator_tasks_placed_total', help: 'Queue-mode tasks placed by the allocator', registers: [registry] }),
    launches: new Counter({ name: 'allocator_tasks_launched_total', help: 'Tasks launched by accepting offers', registers: [registry] }),
    taskEnds: new Counter({ name: 'allocator_tasks_ended_total', help: 'Tasks that finished or failed', labelNames: ['state'], registers: [registry] }),
    tasksLost: new Counter({ name: 'allocator_tasks_lost_total', help: 'Tasks lost because their agent was removed', registers: [registry] }),
    journalWriteSeconds: new Histogram({
      name: 'allocator_journal_write_seconds',
      help: 'Time to make one batch of state changes durable in ZooKeeper',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    journalBatchOps: new Histogram({
      name: 'allocator_journal_batch_operations',
      help: 'Operations per journal batch (group commit)',
      buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    }),
    leader: new Gauge({ name: 'allocator_leader', help: '1 on the replica that leads, 0 on followers', registers: [registry] }),
    track(allocator) {
      current = allocator;
    },
  };
  const gauge = (name: string, help: string, read: (a: Allocator) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(current ? read(current) : 0);
      },
    });
  };
  gauge('allocator_agents', 'Registered agents', (a) => a.agents.size);
  gauge('allocator_frameworks', 'Subscribed frameworks', (a) => a.frameworks.size);
  gauge('allocator_offers_outstanding', 'Offers not yet accepted, declined or rescinded', (a) => a.offers.size);
  gauge('allocator_tasks_running', 'Running tasks', (a) => a.tasks.size);
  gauge('allocator_tasks_pending', 'Queue-mode tasks waiting to be placed', (a) => a.pendingTasks());
  new Gauge({
    name: 'allocator_cluster_resources',
    help: 'Cluster resources: total, and free (unreserved, not offered or used)',
    labelNames: ['resource', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      if (!current) return;
      const total = current.total;
      const free = current.freeResources;
      for (const n of SCALAR_NAMES) {
        this.set({ resource: n, state: 'total' }, total[n]);
        this.set({ resource: n, state: 'free' }, free[n]);
      }
    },
  });
  new Gauge({
    name: 'allocator_role_dominant_share',
    help: 'Weighted dominant share of each role subtree',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      this.reset();
      if (!current) return;
      for (const role of current.roleNames()) this.set({ role }, current.roleShare(role));
    },
  });
  return m;
}
