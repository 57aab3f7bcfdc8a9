/**
 * Offer filters: a framework that declines an offer with `refuseSeconds` does not want to see those resources on
 * that agent again for that long. As in Mesos, a filter hides an offer only when the offer is *contained* in what
 * was refused — if the agent frees more, the larger offer is worth showing again.
 *
 * Stored column-wise (see `TaskTable`): a busy cluster adds a filter per declined remainder — 50,000 per cycle at
 * 50,000 agents — and each lives about a cycle, so as objects they were promoted into old space by the ten thousand
 * every cycle. A filter is a slot; its framework, agent and role are the allocator's small numbers (`SlotNumbers`);
 * the filters of one framework × agent pair are chained from the one an `IdIndex` finds by the pair, so the loop's
 * question "is this offer filtered?" is one integer hash lookup, and almost always an empty one.
 *
 * Expiry is a sweep over the slots, in slot order, a bounded stretch at a time (see `expire`): sequential reads of a
 * typed array, so no timer structure is needed, and a filter dropped early (revive, removals) frees its slot at once.
 */
import { hashInteger, IdIndex } from './id-index';
import { NO_RESOURCES, PortRange, rangesContain, Resources } from './resources';
import { grown } from './slot-lists';

/** Slots looked at per filter added: well above one, so expiry keeps up with any rate of new filters. */
const SWEEP_PER_ADD = 4;

/** Frameworks and agents are numbered below 2^21 by far; the pair fits a double exactly. */
function pairKey(framework: number, agent: number): number {
  return framework * 0x20_0000 + agent;
}

export class OfferFilters {
  private capacity = 0;
  /** Slots ever used; slots below it are live or in `recycled`. */
  private used = 0;
  private readonly recycled: number[] = [];
  private live = 0;
  /** Where the next expiry sweep starts. */
  private sweepAt = 0;
  private scalars = new Float64Array(0);
  private expiresAt = new Float64Array(0);
  /** -1 for a free slot. */
  private frameworkOf = new Int32Array(0);
  private agentOf = new Int32Array(0);
  private roleOf = new Int32Array(0);
  /** The next filter of the same framework × agent pair, or -1. */
  private nextOfPair = new Int32Array(0);
  private readonly ports: PortRange[][] = [];
  private readonly index = new IdIndex<number>((slot) => pairKey(this.frameworkOf[slot], this.agentOf[slot]), hashInteger);

  /**
   * Adds a filter at time `now`, and sweeps a few slots for expired filters: expiry is paid for by the requests that
   * create filters (as Mesos runs each filter's expiry as its own timer event), not by a pause at the start of the
   * next allocation cycle, which only sweeps a bounded stretch (see `expire`).
   */
  add(framework: number, agent: number, role: number, resources: Resources, now: number, expiresAt: number): void {
    this.expire(now, SWEEP_PER_ADD);
    const slot = this.recycled.pop() ?? this.newSlot();
    const base = slot * 4;
    this.scalars[base] = resources.cpus;
    this.scalars[base + 1] = resources.mem;
    this.scalars[base + 2] = resources.disk;
    this.scalars[base + 3] = resources.gpus;
    this.ports[slot] = resources.ports;
    this.expiresAt[slot] = expiresAt;
    this.frameworkOf[slot] = framework;
    this.agentOf[slot] = agent;
    this.roleOf[slot] = role;
    const key = pairKey(framework, agent);
    const head = this.index.get(key);
    if (head < 0) {
      this.nextOfPair[slot] = -1;
      this.index.add(key, slot);
    } else {
      this.nextOfPair[slot] = this.nextOfPair[head];
      this.nextOfPair[head] = slot;
    }
    this.live++;
  }

  /** True when an unexpired filter of the framework for this agent and role covers `offered`. */
  isFiltered(framework: number, agent: number, role: number, offered: Resources, now: number): boolean {
    if (this.live === 0) return false;
    const s = this.scalars;
    for (let slot = this.index.get(pairKey(framework, agent)); slot >= 0; slot = this.nextOfPair[slot]) {
      if (this.expiresAt[slot] <= now || this.roleOf[slot] !== role) continue;
      const base = slot * 4;
      if (s[base] >= offered.cpus && s[base + 1] >= offered.mem && s[base + 2] >= offered.disk && s[base + 3] >= offered.gpus && (offered.ports.length === 0 || rangesContain(this.ports[slot], offered.ports))) return true;
    }
    return false;
  }

  /** Looks at up to `limit` slots, from where the last sweep stopped, and drops the filters expired by `now`. */
  expire(now: number, limit: number): void {
    for (let left = Math.min(limit, this.used); left > 0; left--) {
      if (this.sweepAt >= this.used) this.sweepAt = 0;
      const slot = this.sweepAt++;
      if (this.frameworkOf[slot] >= 0 && this.expiresAt[slot] <= now) this.drop(slot);
    }
  }

  /** Revive: drops the framework's filters for `roles` (all roles when omitted). */
  clear(framework: number, roles?: readonly number[]): void {
    for (let slot = 0; slot < this.used; slot++) {
      if (this.frameworkOf[slot] === framework && (!roles || roles.includes(this.roleOf[slot]))) this.drop(slot);
    }
  }

  removeAgent(agent: number): void {
    for (let slot = 0; slot < this.used; slot++) if (this.frameworkOf[slot] >= 0 && this.agentOf[slot] === agent) this.drop(slot);
  }

  removeFramework(framework: number): void {
    this.clear(framework);
  }

  /** Takes a live filter out of its pair's chain and frees its slot. */
  private drop(slot: number): void {
    const head = this.index.get(pairKey(this.frameworkOf[slot], this.agentOf[slot]));
    const next = this.nextOfPair[slot];
    if (head === slot) {
      if (next >= 0) this.index.replace(slot, next);
      else this.index.delete(slot);
    } else {
      let before = head;
      while (this.nextOfPair[before] !== slot) before = this.nextOfPair[before];
      this.nextOfPair[before] = next;
    }
    this.frameworkOf[slot] = -1;
    this.ports[slot] = NO_RESOURCES.ports;
    this.recycled.push(slot);
    this.live--;
  }

  private newSlot(): number {
    const slot = this.used++;
    if (slot >= this.capacity) {
      this.capacity = Math.max(1024, Math.ceil(this.capacity * 1.5));
      this.scalars = grown(this.scalars, this.capacity * 4);
      this.expiresAt = grown(this.expiresAt, this.capacity);
      this.frameworkOf = grown(this.frameworkOf, this.capacity);
      this.agentOf = grown(this.agentOf, this.capacity);
      this.roleOf = grown(this.roleOf, this.capacity);
      this.nextOfPair = grown(this.nextOfPair, this.capacity);
    }
    return slot;
  }
}
