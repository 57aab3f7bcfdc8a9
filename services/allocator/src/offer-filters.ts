/**
 * Offer filters: a framework that declines an offer with `refuseSeconds` does not want to see those resources on
 * that agent again for that long. As in Mesos, a filter hides an offer only when the offer is *contained* in what
 * was refused — if the agent frees more, the larger offer is worth showing again.
 *
 * Kept per framework so the common case (a framework with no filters) costs one map lookup in the hot loop, and
 * expired in time order (see `expire`).
 */
import { contains, Resources } from './resources';

/** The refused resources themselves, flattened into the filter: one object per filter instead of two. */
interface RefusalFilter extends Resources {
  frameworkId: string;
  agentId: string;
  role: string;
  expiresAt: number;
}

export class OfferFilters {
  private readonly byFramework = new Map<string, Map<string, RefusalFilter[]>>();
  /**
   * Every filter added, bucketed by its `expiresAt`, with the bucket times in a binary min-heap. `expire` drops what
   * has run out, so a filter lives only as long as it matters: a busy cluster adds a filter per declined remainder —
   * 50,000 per cycle at 50,000 agents — and waiting for a lookup or a sweep to notice them kept several cycles' worth
   * alive. Buckets, not a heap of filters: filters answered together share their expiry, and sifting 50,000 filters
   * through a heap cost a cache miss per level. Filters dropped early (revive, removals) wait in their bucket.
   */
  private buckets = new Map<number, RefusalFilter[]>();
  private times: number[] = [];
  /** Filters in buckets; when that is far more than `live` (the filters in `byFramework`), buckets are rebuilt. */
  private queued = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /**
   * Adds a filter at time `now`, and drops up to two filters that have expired by then: expiry is paid for by the
   * requests that create filters (as Mesos runs each filter's expiry as its own timer event), not by a pause at the
   * start of the next allocation cycle, which only sweeps a bounded slice of what is left (see `expire`).
   */
  add(frameworkId: string, agentId: string, role: string, resources: Resources, now: number, expiresAt: number): void {
    this.expire(now, 2);
    let agents = this.byFramework.get(frameworkId);
    if (!agents) this.byFramework.set(frameworkId, (agents = new Map()));
    const { cpus, mem, disk, gpus, ports } = resources;
    const filter: RefusalFilter = { frameworkId, agentId, role, cpus, mem, disk, gpus, ports, expiresAt };
    const list = agents.get(agentId);
    if (list) list.push(filter);
    else agents.set(agentId, [filter]);
    this.live++;
    this.push(filter);
  }

  /** True when an unexpired filter of the framework for this agent and role covers `offered`. */
  isFiltered(frameworkId: string, agentId: string, role: string, offered: Resources, now: number): boolean {
    const list = this.byFramework.get(frameworkId)?.get(agentId);
    if (!list) return false;
    for (const f of list) if (f.expiresAt > now && f.role === role && contains(f, offered)) return true;
    return false;
  }

  /** Drops filters that have expired by `now`: all of them, or at most `limit`. */
  expire(now: number, limit = Infinity): void {
    let left = limit;
    while (left > 0 && this.times.length > 0 && this.times[0] <= now) {
      const bucket = this.buckets.get(this.times[0])!;
      while (left > 0 && bucket.length > 0) {
        this.drop(bucket.pop()!);
        this.queued--;
        left--;
      }
      if (bucket.length === 0) this.buckets.delete(popMin(this.times));
    }
    if (this.queued > 1024 && this.queued > 2 * this.live) this.rebuild();
  }

  /** Revive: drops the framework's filters for `roles` (all roles when omitted). */
  clear(frameworkId: string, roles?: readonly string[]): void {
    const agents = this.byFramework.get(frameworkId);
    if (!agents) return;
    if (!roles) {
      this.removeFramework(frameworkId);
      return;
    }
    const drop = new Set(roles);
    for (const [agentId, list] of agents) {
      const kept = list.filter((f) => !drop.has(f.role));
      this.live -= list.length - kept.length;
      if (kept.length === 0) agents.delete(agentId);
      else agents.set(agentId, kept);
    }
    if (agents.size === 0) this.byFramework.delete(frameworkId);
  }

  removeAgent(agentId: string): void {
    for (const [fw, agents] of this.byFramework) {
      this.live -= agents.get(agentId)?.length ?? 0;
      agents.delete(agentId);
      if (agents.size === 0) this.byFramework.delete(fw);
    }
  }

  removeFramework(frameworkId: string): void {
    const agents = this.byFramework.get(frameworkId);
    if (!agents) return;
    for (const list of agents.values()) this.live -= list.length;
    this.byFramework.delete(frameworkId);
  }

  /** Takes one filter out of its framework × agent list, if it is still there. */
  private drop(f: RefusalFilter): void {
    const agents = this.byFramework.get(f.frameworkId);
    const list = agents?.get(f.agentId);
    if (!agents || !list) return;
    const i = list.indexOf(f);
    if (i < 0) return;
    this.live--;
    if (list.length === 1) {
      agents.delete(f.agentId);
      if (agents.size === 0) this.byFramework.delete(f.frameworkId);
    } else list.splice(i, 1);
  }

  /** Filters dropped early (revive, removals) wait in their buckets; this forgets them all at once. */
  private rebuild(): void {
    this.buckets = new Map();
    this.times = [];
    this.queued = 0;
    for (const agents of this.byFramework.values()) for (const list of agents.values()) for (const f of list) this.push(f);
  }

  private push(f: RefusalFilter): void {
    const bucket = this.buckets.get(f.expiresAt);
    if (bucket) bucket.push(f);
    else {
      this.buckets.set(f.expiresAt, [f]);
      pushMin(this.times, f.expiresAt);
    }
    this.queued++;
  }
}

function pushMin(heap: number[], v: number): void {
  let i = heap.length;
  heap.push(v);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= v) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = v;
}

function popMin(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && heap[r] < heap[l] ? r : l;
    if (heap[c] >= last) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = last;
  return top;
}
