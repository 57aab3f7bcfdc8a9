/**
 * Offer filters: a framework that declines an offer with `refuseSeconds` does not want to see those resources on
 * that agent again for that long. As in Mesos, a filter hides an offer only when the offer is *contained* in what
 * was refused — if the agent frees more, the larger offer is worth showing again.
 *
 * Kept per framework so the common case (a framework with no filters) costs one map lookup in the hot loop.
 */
import { contains, Resources } from './resources';

interface RefusalFilter {
  role: string;
  resources: Resources;
  expiresAt: number;
}

export class OfferFilters {
  private readonly byFramework = new Map<string, Map<string, RefusalFilter[]>>();
  /** Where `prune` left off; Map iterators stay valid while entries come and go. */
  private sweep = this.byFramework.entries();

  get size(): number {
    let n = 0;
    for (const agents of this.byFramework.values()) for (const list of agents.values()) n += list.length;
    return n;
  }

  add(frameworkId: string, agentId: string, role: string, resources: Resources, expiresAt: number): void {
    let agents = this.byFramework.get(frameworkId);
    if (!agents) this.byFramework.set(frameworkId, (agents = new Map()));
    const list = agents.get(agentId);
    if (list) list.push({ role, resources, expiresAt });
    else agents.set(agentId, [{ role, resources, expiresAt }]);
  }

  /** True when an unexpired filter of the framework for this agent and role covers `offered`. Drops expired ones. */
  isFiltered(frameworkId: string, agentId: string, role: string, offered: Resources, now: number): boolean {
    const agents = this.byFramework.get(frameworkId);
    if (!agents) return false;
    const list = agents.get(agentId);
    if (!list) return false;
    let filtered = false;
    for (let i = list.length - 1; i >= 0; i--) {
      const f = list[i];
      if (f.expiresAt <= now) {
        list.splice(i, 1);
        continue;
      }
      if (f.role === role && contains(f.resources, offered)) filtered = true;
    }
    if (list.length === 0) {
      agents.delete(agentId);
      if (agents.size === 0) this.byFramework.delete(frameworkId);
    }
    return filtered;
  }

  /** Revive: drops the framework's filters for `roles` (all roles when omitted). */
  clear(frameworkId: string, roles?: readonly string[]): void {
    const agents = this.byFramework.get(frameworkId);
    if (!agents) return;
    if (!roles) {
      this.byFramework.delete(frameworkId);
      return;
    }
    const drop = new Set(roles);
    for (const [agentId, list] of agents) {
      const kept = list.filter((f) => !drop.has(f.role));
      if (kept.length === 0) agents.delete(agentId);
      else agents.set(agentId, kept);
    }
    if (agents.size === 0) this.byFramework.delete(frameworkId);
  }

  /**
   * Drops expired filters of the next `frameworks` frameworks in turn. Lookups drop expired filters they meet, but a
   * filter for an agent never offered to that framework again would otherwise stay forever; a bounded slice per cycle
   * sweeps everything every few cycles without a pause proportional to the total.
   */
  prune(now: number, frameworks: number): void {
    for (let i = 0; i < frameworks; i++) {
      let next = this.sweep.next();
      if (next.done) {
        this.sweep = this.byFramework.entries();
        next = this.sweep.next();
        if (next.done) return;
      }
      const [fw, agents] = next.value;
      for (const [agentId, list] of agents) {
        const kept = list.filter((f) => f.expiresAt > now);
        if (kept.length === 0) agents.delete(agentId);
        else if (kept.length !== list.length) agents.set(agentId, kept);
      }
      if (agents.size === 0) this.byFramework.delete(fw);
    }
  }

  removeAgent(agentId: string): void {
    for (const [fw, agents] of this.byFramework) {
      agents.delete(agentId);
      if (agents.size === 0) this.byFramework.delete(fw);
    }
  }

  removeFramework(frameworkId: string): void {
    this.byFramework.delete(frameworkId);
  }
}
