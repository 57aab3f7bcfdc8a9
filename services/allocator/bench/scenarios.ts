/**
 * The benchmark scenarios of issue 3. Core scenarios drive the allocator directly; the end-to-end ones run a real
 * replica (HTTP on loopback, journal in a real ZooKeeper) and measure what a framework sees.
 */
import { silentLogger } from '../../lib/logger';
import { createServiceHttp } from '../../lib/service-http';
import { startZooKeeper } from '../../../tests/support/zookeeper-server';
import { Allocator } from '../src/allocator';
import { registerHttpApi } from '../src/http-api';
import { createMetrics } from '../src/metrics';
import { Replica } from '../src/replica';
import { resources } from '../src/resources';
import { buildCluster, finishSome, ms, percentile, respondToOffers, seeded, utilization } from './workloads';

/** Whatever the API answered, as JSON.parse types it. */
type Json = ReturnType<typeof JSON.parse>;

export interface ScenarioResult {
  scenario: string;
  cycleP50Ms?: number;
  cycleP99Ms?: number;
  cycleCpuP50Ms?: number;
  coldCycleMs?: number;
  placementsPerSec?: number;
  offerLatencyP50Ms?: number;
  offerLatencyP99Ms?: number;
  utilization?: number;
  rssMb?: number;
  peakRssMb?: number;
  notes?: string;
  error?: string;
  [key: string]: unknown;
}

async function offerCycles(agents: number, cycles: number): Promise<ScenarioResult> {
  const clock = { t: 1_000_000 };
  const setup = process.hrtime.bigint();
  const { allocator } = buildCluster({ agents, frameworks: 1000, roles: 200, mode: 'offers', seed: 1 }, clock);
  const setupMs = ms(setup);
  const random = seeded(9);
  const ids = { n: 0 };
  const wall: number[] = [];
  const cpu: number[] = [];
  let offers = 0;
  let cold = 0;
  for (let c = 0; c < cycles; c++) {
    clock.t += 1000;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = allocator.allocate('all');
    const dt = ms(t0);
    const dc = process.cpuUsage(c0);
    if (c === 0) cold = dt;
    else {
      wall.push(dt);
      cpu.push((dc.user + dc.system) / 1000);
    }
    offers += r.offers;
    // Frameworks answer between cycles: accept ~90 % of each offer, let the rest go; 5 % of tasks finish.
    respondToOffers(allocator, random, ids);
    finishSome(allocator, 0.05, random);
  }
  const u = utilization(allocator);
  if (global.gc) global.gc();
  return {
    scenario: `offers ${agents / 1000}k agents × 1000 fw × 200 roles`,
    cycleP50Ms: percentile(wall, 50),
    cycleP99Ms: percentile(wall, 99),
    cycleCpuP50Ms: percentile(cpu, 50),
    coldCycleMs: cold,
    utilization: u.dominant,
    notes: `cold (first) cycle ${cold.toFixed(0)} ms; ${Math.round(offers / cycles)} offers/cycle; ${allocator.tasks.size} tasks running; setup ${setupMs.toFixed(0)} ms`,
  };
}

async function queueCore(): Promise<ScenarioResult> {
  const clock = { t: 1_000_000 };
  const { allocator, frameworkIds } = buildCluster({ agents: 5000, frameworks: 1000, roles: 200, mode: 'queue', seed: 2 }, clock);
  const random = seeded(3);
  // Mixed shapes, demand above capacity (1000 × 100 tasks of ~2.5 cpus avg vs 160,000 cpus).
  frameworkIds.forEach((id, i) => {
    const cpus = 0.5 + Math.floor(random() * 8) * 0.5;
    allocator.submitTasks(id, `g${i}`, { name: 'job', request: { cpus, mem: cpus * 4096, disk: 0, gpus: 0, ports: i % 4 === 0 ? 1 : 0 }, count: 100 });
  });
  const t0 = process.hrtime.bigint();
  const r = allocator.allocate('all');
  const dt = ms(t0);
  return {
    scenario: 'queue mode, core: 5k agents, 1000 fw, 100k tasks',
    placementsPerSec: (r.placed.length / dt) * 1000,
    utilization: utilization(allocator).dominant,
    notes: `${r.placed.length} placed in one cycle of ${dt.toFixed(0)} ms`,
  };
}

/** A replica on loopback with its journal in a real ZooKeeper (fsync off, as in the tests). */
async function startReplica(intervalMs: number) {
  const zk = await startZooKeeper(1, { heapMb: 1024 });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const metrics = createMetrics();
  const logger = silentLogger();
  const replica = new Replica({ zkConnect: zk.connectString, zkRoot: '/bench', advertiseUrl: url, intervalMs, logger, metrics, allocator: { random: seeded(5) } });
  const app = await createServiceHttp({ logger, registry: metrics.registry, ready: () => ({ ready: true }) });
  await registerHttpApi(app, replica);
  app.addHook('preClose', async () => replica.streams.close());
  await app.listen({ host: '127.0.0.1', port });
  await replica.start();
  while (!replica.isLeader) await new Promise((r) => setTimeout(r, 20));
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return {
    url,
    replica,
    call,
    async stop() {
      await replica.stop();
      await app.close();
      await zk.destroy();
    },
  };
}

/** Reads an SSE stream, calling `onEvent` for each event. */
async function sse(url: string, onEvent: (event: string, data: Json) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) onEvent(ev, JSON.parse(data));
        }
      }
    } catch {
      /* aborted */
    }
  })();
}

async function queueEndToEnd(): Promise<ScenarioResult> {
  const r = await startReplica(1000);
  const abort = new AbortController();
  try {
    for (let i = 0; i < 1000; i++) await r.call('PUT', `/api/v1/agents/a${i}`, { resources: { cpus: 32, mem: 131072, ports: [{ begin: 31000, end: 32000 }] } });
    const frameworks: string[] = [];
    let received = 0;
    for (let f = 0; f < 50; f++) {
      const id = (await r.call('POST', '/api/v1/frameworks', { name: `q${f}`, roles: [`team${f % 10}/q${f}`], mode: 'queue' })).id;
      frameworks.push(id);
      await sse(`${r.url}/api/v1/frameworks/${id}/offers`, (ev, data) => {
        if (ev === 'tasks') received += data.tasks.length;
      }, abort.signal);
    }
    const total = 50 * 400;
    const t0 = process.hrtime.bigint();
    // Each framework submits its 400 tasks in 4 requests, as a client streaming work in would.
    await Promise.all(frameworks.map(async (id) => {
      for (let k = 0; k < 4; k++) await r.call('POST', `/api/v1/frameworks/${id}/tasks`, { name: 'job', resources: { cpus: 1, mem: 2048, ports: 1 }, count: 100 });
    }));
    while (received < total) await new Promise((res) => setTimeout(res, 2));
    const dt = ms(t0);
    return {
      scenario: 'queue mode, end to end: HTTP + ZooKeeper journal, 1k agents, 50 fw, 20k tasks',
      placementsPerSec: (total / dt) * 1000,
      notes: `${total} placements journaled to ZooKeeper and streamed to frameworks in ${dt.toFixed(0)} ms`,
    };
  } finally {
    abort.abort();
    await r.stop();
  }
}

async function offerLatency(): Promise<ScenarioResult> {
  const r = await startReplica(1000);
  const abort = new AbortController();
  try {
    const agents = 500;
    for (let i = 0; i < agents; i++) await r.call('PUT', `/api/v1/agents/a${i}`, { resources: { cpus: 8, mem: 32768 } });
    // Frameworks that take every offer whole: the cluster stays full, and a freed task's resources are offered at once.
    const waiting = new Map<string, (at: number) => void>();
    const taskAgent = new Map<string, string>();
    for (let f = 0; f < 20; f++) {
      const id = (await r.call('POST', '/api/v1/frameworks', { name: `o${f}`, roles: [`r${f % 5}`] })).id;
      await sse(`${r.url}/api/v1/frameworks/${id}/offers`, (ev, offer: Json) => {
        if (ev !== 'offer') return;
        const at = performance.now();
        waiting.get(offer.agentId)?.(at);
        waiting.delete(offer.agentId);
        const taskId = `t-${offer.id}`;
        taskAgent.set(taskId, offer.agentId);
        void r.call('POST', `/api/v1/frameworks/${id}/accept`, { offerIds: [offer.id], tasks: [{ id: taskId, name: 'fill', resources: { cpus: offer.resources.cpus, mem: offer.resources.mem } }] }).catch(() => undefined);
      }, abort.signal);
    }
    while ((await r.call('GET', '/api/v1/state')).tasks.length < agents) await new Promise((res) => setTimeout(res, 50));
    const samples: number[] = [];
    const random = seeded(11);
    // The first rounds warm the JIT of both processes (the replica's and the ZooKeeper server's) and are not kept:
    // the figure is the steady state a running cluster sees; 1,000 kept samples make the p99 the 10th-worst, not
    // the 4th-worst of 400.
    const warmup = 100;
    for (let i = 0; i < warmup + 1000; i++) {
      const running = [...taskAgent.keys()];
      const taskId = running[Math.floor(random() * running.length)];
      const agentId = taskAgent.get(taskId)!;
      taskAgent.delete(taskId);
      const arrived = new Promise<number>((resolve) => waiting.set(agentId, resolve));
      const t0 = performance.now();
      await r.call('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/status`, { state: 'finished' });
      const latency = (await arrived) - t0;
      if (i >= warmup) samples.push(latency);
      await new Promise((res) => setTimeout(res, 5));
    }
    return {
      scenario: 'offer latency: task finished → offer at an SSE client (500 agents, 20 fw)',
      offerLatencyP50Ms: percentile(samples, 50),
      offerLatencyP99Ms: percentile(samples, 99),
      notes: `${samples.length} samples after ${warmup} warm-up rounds; measured from sending the status update`,
    };
  } finally {
    abort.abort();
    await r.stop();
  }
}

/** Mesos's HierarchicalAllocator MultiFrameworkAllocations benchmark, with frameworks simulated in-process. */
async function mesosMultiFramework(): Promise<ScenarioResult> {
  let now = 1_000_000;
  const a = new Allocator({ random: seeded(1), now: () => now, maxOffersPerFramework: 1000 });
  for (let i = 0; i < 80; i++) a.putAgent(`agent-${i}`, { resources: resources({ cpus: 64, mem: 488 * 1024, disk: 1_000_000 }), attributes: {}, reservations: {} });
  interface Sim {
    id: string;
    left: number;
    perOffer: number;
    cpus: number;
    mem: number;
  }
  const sims = new Map<string, Sim>();
  const add = (n: number, tasks: number, perOffer: number, cpus: number, mem: number) => {
    for (let i = 0; i < n; i++) {
      const id = `f${sims.size}`;
      a.addFramework({ id, name: id, roles: ['bench'], mode: 'offers', maxOffers: 1000 });
      sims.set(id, { id, left: tasks, perOffer, cpus, mem });
    }
  };
  add(4, 4000, 100, 0.07, 400);
  add(500, 5, 1, 0.07, 400);
  add(50, 20, 5, 1, 1024);
  const totalTasks = 4 * 4000 + 500 * 5 + 50 * 20;
  let launched = 0;
  let cycles = 0;
  let seq = 0;
  const t0 = process.hrtime.bigint();
  a.allocate('all');
  cycles++;
  while (launched < totalTasks && cycles < 100_000) {
    // Every offer is answered before the next cycle, so the outstanding offers are the last cycle's.
    for (const o of a.offers.values()) {
      const sim = sims.get(o.frameworkId)!;
      const fit = Math.min(sim.left, sim.perOffer, Math.floor(o.resources.cpus / sim.cpus + 1e-9), Math.floor(o.resources.mem / sim.mem + 1e-9));
      if (fit <= 0) {
        a.decline(o.frameworkId, [o.id], sim.left === 0 ? 3600 : 0);
        continue;
      }
      const tasks = Array.from({ length: fit }, () => ({ id: `t${++seq}`, name: 'task', resources: resources({ cpus: sim.cpus, mem: sim.mem }) }));
      a.accept(o.frameworkId, { offerIds: [o.id], tasks, refuseSeconds: 0 });
      sim.left -= fit;
      launched += fit;
      if (sim.left === 0) a.setSuppressed(sim.id, undefined, true);
    }
    now += 1;
    const made = a.allocate('changed').offers;
    cycles++;
    if (made === 0 && launched < totalTasks && a.allocate('all').offers === 0) break;
  }
  const dt = ms(t0);
  return {
    scenario: 'Mesos MultiFrameworkAllocations (80 agents, 554 fw, 19.5k tasks)',
    placementsPerSec: (launched / dt) * 1000,
    utilization: utilization(a).dominant,
    notes: `${launched}/${totalTasks} tasks placed in ${dt.toFixed(0)} ms over ${cycles} cycles (framework responses included)`,
  };
}

async function utilizationAboveCapacity(): Promise<ScenarioResult> {
  const a = new Allocator({ random: seeded(4) });
  for (let i = 0; i < 1000; i++) a.putAgent(`agent-${i}`, { resources: resources({ cpus: 32, mem: 128 * 1024 }), attributes: {}, reservations: {} });
  const random = seeded(8);
  let demandCpus = 0;
  for (let f = 0; f < 100; f++) {
    a.addFramework({ id: `f${f}`, name: `f${f}`, roles: [`r${f % 20}`], mode: 'queue', maxOffers: 1 });
    for (let g = 0; g < 20; g++) {
      const cpus = 0.5 + Math.floor(random() * 16) * 0.5;
      const mem = Math.round((0.5 + random() * 7.5) * cpus) * 1024;
      const count = 40;
      demandCpus += cpus * count;
      a.submitTasks(`f${f}`, `f${f}-g${g}`, { name: 'job', request: { cpus, mem, disk: 0, gpus: 0, ports: 0 }, count });
    }
  }
  const t0 = process.hrtime.bigint();
  let placed = 0;
  for (let i = 0; i < 5; i++) placed += a.allocate('all').placed.length;
  const dt = ms(t0);
  const u = utilization(a);
  return {
    scenario: 'utilization, queue mode, demand above capacity, mixed shapes',
    utilization: u.dominant,
    placementsPerSec: (placed / dt) * 1000,
    notes: `cpus ${(u.cpus * 100).toFixed(1)} %, mem ${(u.mem * 100).toFixed(1)} %; demand ${Math.round(demandCpus)} cpus for 32000 (${(demandCpus / 32000).toFixed(1)}×)`,
  };
}

export const scenarios: Record<string, () => Promise<ScenarioResult>> = {
  'offers-5k': () => offerCycles(5000, 41),
  'offers-50k': () => offerCycles(50000, 9),
  'queue-core': queueCore,
  'queue-e2e': queueEndToEnd,
  'mesos-multi-framework': mesosMultiFramework,
  'offer-latency': offerLatency,
  utilization: utilizationAboveCapacity,
};
