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
   * Every filter added, as a binary min-heap on `expiresAt`. `expire` pops what has run out, so a filter lives only as
   * long as it matters: a busy cluster adds a filter per declined remainder — 50,000 per cycle at 50,000 agents — and
   * waiting for a lookup or a sweep to notice them kept several cycles' worth alive. Filters dropped early (revive,
   * removals) stay in the heap until their time and are skipped then.
   */
  private expiry: RefusalFilter[] = [];
  /** Filters in `byFramework`; when the heap holds far more, it is rebuilt from them. */
  private live = 0;

  get size(): number {
    return this.live;
  }

  add(frameworkId: string, agentId: string, role: string, resources: Resources, expiresAt: number): void {
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

  /** Drops every filter that has expired by `now`. */
  expire(now: number): void {
    const heap = this.expiry;
    while (heap.length > 0 && heap[0].expiresAt <= now) this.drop(this.pop());
    if (heap.length > 1024 && heap.length > 2 * this.live) this.rebuild();
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

  /** Filters dropped early (revive, removals) wait in the heap for their time; this forgets them all at once. */
  private rebuild(): void {
    this.expiry = [];
    for (const agents of this.byFramework.values()) for (const list of agents.values()) for (const f of list) this.push(f);
  }

  private push(f: RefusalFilter): void {
    const heap = this.expiry;
    let i = heap.length;
    heap.push(f);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].expiresAt <= f.expiresAt) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = f;
  }

  private pop(): RefusalFilter {
    const heap = this.expiry;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && heap[r].expiresAt < heap[l].expiresAt ? r : l;
      if (heap[c].expiresAt >= last.expiresAt) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    return top;
  }
}
