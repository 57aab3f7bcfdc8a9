/**
 * Outstanding offers, stored column-wise like running tasks (see `TaskTable`). A full cycle at 50,000 agents makes
 * 50,000 offers and each lives until its framework answers, past the young generation's collections: as objects (the
 * offer, its id string, its entries in a Map, a Set and an array) they were much of what every cycle promoted into old
 * space, where V8 lets garbage pile up to several times the live heap before a full collection. Here an offer is a
 * slot: its scalars in a `Float64Array`, its agent, framework and role as the small numbers the allocator gives them
 * (`SlotNumbers`), its ports as a reference to the (immutable) ranges it took, and the per-agent and per-framework
 * lists are links between slots.
 *
 * An offer's id is `<prefix>-<n>`, n counting up from 1 for the table's lifetime, and is made only when asked for;
 * finding an offer by id parses n and looks it up in an `IdIndex` keyed by number. `Offer` values are made on demand
 * at the edge (streams, views, requests) and nothing keeps them.
 */
import { hashInteger, IdIndex } from './id-index';
import type { Offer } from './model';
import { add, NO_RESOURCES, PortRange, Resources } from './resources';
import { grown, SlotLists } from './slot-lists';

/** The names of the numbers an offer holds. */
export interface OfferOwners {
  agentId(agent: number): string;
  frameworkId(framework: number): string;
  roleName(role: number): string;
}

/** A read-only, live view of one agent's or framework's outstanding offers. */
export interface OfferList extends Iterable<Offer> {
  readonly size: number;
}

/** Per slot: reserved cpus, mem, disk, gpus, then the same unreserved. */
const STRIDE = 8;
const UNRESERVED = 4;

/**
 * How many recent offers keep the reason they went away, for the 410 answer: a ring indexed by offer number, so it
 * costs the same at any rate of offers. An older offer of this table is still answered 410, without the reason.
 */
const REASON_RING = 1 << 16;

export class OfferTable {
  private capacity = 0;
  /** Slots ever used; slots below it are live or in `recycled`. */
  private used = 0;
  private readonly recycled: number[] = [];
  private numberOf = new Float64Array(0);
  private scalars = new Float64Array(0);
  private createdAt = new Float64Array(0);
  private agentOf = new Int32Array(0);
  private frameworkOf = new Int32Array(0);
  private roleOf = new Int32Array(0);
  private readonly reservedPorts: PortRange[][] = [];
  private readonly unreservedPorts: PortRange[][] = [];
  private readonly index = new IdIndex<number>((slot) => this.numberOf[slot], hashInteger);
  /** Every offer in the order it was made (one list, owner 0): all offers time out alike, so the oldest is first. */
  private readonly order = new SlotLists();
  private readonly byAgent = new SlotLists();
  private readonly byFramework = new SlotLists();
  private lastNumber = 0;
  private readonly goneNumber = new Float64Array(REASON_RING);
  private readonly goneReason = new Uint8Array(REASON_RING);
  /** The reasons offers go away (a handful of literals), indexed by the codes in `goneReason`; 0 is unused. */
  private readonly reasons: string[] = [''];
  private readonly offerAt = (slot: number): Offer => this.offer(slot);

  constructor(
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly owners: OfferOwners,
  ) {}

  get size(): number {
    return this.index.size;
  }

  /** The slot of the outstanding offer `id`, or -1. */
  find(id: string): number {
    const n = this.numberIn(id);
    return n > 0 ? this.index.get(n) : -1;
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  get(id: string): Offer | undefined {
    const slot = this.find(id);
    return slot < 0 ? undefined : this.offer(slot);
  }

  /** Why an offer this table made is no longer outstanding, or undefined if it is outstanding or was never made here. */
  whyGone(id: string): string | undefined {
    const n = this.numberIn(id);
    if (n <= 0 || n > this.lastNumber || this.index.get(n) >= 0) return undefined;
    const i = n % REASON_RING;
    return this.goneNumber[i] === n ? this.reasons[this.goneReason[i]] : 'answered or rescinded';
  }

  values(): IterableIterator<Offer> {
    return this.order.walk(0, this.offerAt);
  }

  [Symbol.iterator](): IterableIterator<Offer> {
    return this.values();
  }

  onAgent(agent: number): OfferList {
    return new OwnerOffers(this.byAgent, agent, this.offerAt);
  }

  ofFramework(framework: number): OfferList {
    return new OwnerOffers(this.byFramework, framework, this.offerAt);
  }

  /** The slots of an agent's offers, copied: the caller may remove them. */
  slotsOnAgent(agent: number): number[] {
    return [...this.byAgent.walk(agent, (slot) => slot)];
  }

  slotsOfFramework(framework: number): number[] {
    return [...this.byFramework.walk(framework, (slot) => slot)];
  }

  /** The oldest outstanding offer's slot, or -1. */
  oldest(): number {
    return this.order.first(0);
  }

  /** Records an offer of `reserved` and `unreserved` (copied; their port ranges are kept by reference). */
  add(agent: number, framework: number, role: number, reserved: Resources, unreserved: Resources, now: number): number {
    const slot = this.recycled.pop() ?? this.newSlot();
    const n = ++this.lastNumber;
    this.numberOf[slot] = n;
    this.index.add(n, slot);
    const s = this.scalars;
    const base = slot * STRIDE;
    s[base] = reserved.cpus;
    s[base + 1] = reserved.mem;
    s[base + 2] = reserved.disk;
    s[base + 3] = reserved.gpus;
    s[base + UNRESERVED] = unreserved.cpus;
    s[base + UNRESERVED + 1] = unreserved.mem;
    s[base + UNRESERVED + 2] = unreserved.disk;
    s[base + UNRESERVED + 3] = unreserved.gpus;
    this.reservedPorts[slot] = reserved.ports;
    this.unreservedPorts[slot] = unreserved.ports;
    this.createdAt[slot] = now;
    this.agentOf[slot] = agent;
    this.frameworkOf[slot] = framework;
    this.roleOf[slot] = role;
    this.order.append(0, slot);
    this.byAgent.append(agent, slot);
    this.byFramework.append(framework, slot);
    return slot;
  }

  remove(slot: number, reason: string): void {
    const n = this.numberOf[slot];
    this.index.delete(slot);
    this.order.remove(0, slot);
    this.byAgent.remove(this.agentOf[slot], slot);
    this.byFramework.remove(this.frameworkOf[slot], slot);
    this.reservedPorts[slot] = NO_RESOURCES.ports;
    this.unreservedPorts[slot] = NO_RESOURCES.ports;
    let code = this.reasons.indexOf(reason);
    if (code < 0) code = this.reasons.push(reason) - 1;
    this.goneNumber[n % REASON_RING] = n;
    this.goneReason[n % REASON_RING] = code;
    this.recycled.push(slot);
  }

  agent(slot: number): number {
    return this.agentOf[slot];
  }

  framework(slot: number): number {
    return this.frameworkOf[slot];
  }

  role(slot: number): number {
    return this.roleOf[slot];
  }

  expiresAt(slot: number): number {
    return this.createdAt[slot] + this.timeoutMs;
  }

  idOf(slot: number): string {
    return `${this.prefix}-${this.numberOf[slot]}`;
  }

  /** Copies the offer's two parts into caller-owned values (the allocator's scratch objects: nothing is allocated). */
  readInto(slot: number, reserved: Resources, unreserved: Resources): void {
    const s = this.scalars;
    const base = slot * STRIDE;
    reserved.cpus = s[base];
    reserved.mem = s[base + 1];
    reserved.disk = s[base + 2];
    reserved.gpus = s[base + 3];
    reserved.ports = this.reservedPorts[slot];
    unreserved.cpus = s[base + UNRESERVED];
    unreserved.mem = s[base + UNRESERVED + 1];
    unreserved.disk = s[base + UNRESERVED + 2];
    unreserved.gpus = s[base + UNRESERVED + 3];
    unreserved.ports = this.unreservedPorts[slot];
  }

  /** The offer as a value, in the shape the API and the streams hand out. */
  offer(slot: number): Offer {
    const reservedPart: Resources = { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: NO_RESOURCES.ports };
    const unreserved: Resources = { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: NO_RESOURCES.ports };
    this.readInto(slot, reservedPart, unreserved);
    const r = reservedPart;
    const reserved = r.cpus === 0 && r.mem === 0 && r.disk === 0 && r.gpus === 0 && r.ports.length === 0 ? NO_RESOURCES : r;
    return {
      id: this.idOf(slot),
      frameworkId: this.owners.frameworkId(this.frameworkOf[slot]),
      role: this.owners.roleName(this.roleOf[slot]),
      agentId: this.owners.agentId(this.agentOf[slot]),
      reserved,
      unreserved,
      resources: reserved === NO_RESOURCES ? unreserved : add(reserved, unreserved),
      createdAt: this.createdAt[slot],
      expiresAt: this.expiresAt(slot),
    };
  }

  /** The offer number in `id` if it has this table's prefix and a number written the way `idOf` writes it; else -1. */
  private numberIn(id: string): number {
    const p = this.prefix.length;
    if (!id.startsWith(this.prefix) || id.charCodeAt(p) !== 0x2d /* - */) return -1;
    const digits = id.slice(p + 1);
    const n = Number(digits);
    return Number.isSafeInteger(n) && n > 0 && String(n) === digits ? n : -1;
  }

  private newSlot(): number {
    const slot = this.used++;
    if (slot >= this.capacity) {
      this.capacity = Math.max(1024, Math.ceil(this.capacity * 1.5));
      this.numberOf = grown(this.numberOf, this.capacity);
      this.scalars = grown(this.scalars, this.capacity * STRIDE);
      this.createdAt = grown(this.createdAt, this.capacity);
      this.agentOf = grown(this.agentOf, this.capacity);
      this.frameworkOf = grown(this.frameworkOf, this.capacity);
      this.roleOf = grown(this.roleOf, this.capacity);
      this.order.grow(this.capacity);
      this.byAgent.grow(this.capacity);
      this.byFramework.grow(this.capacity);
    }
    return slot;
  }
}

/** One agent's or framework's offers: a class, not an object literal, so 50,000 of them share one shape. */
class OwnerOffers implements OfferList {
  constructor(
    private readonly lists: SlotLists,
    private readonly owner: number,
    private readonly offerAt: (slot: number) => Offer,
  ) {}

  get size(): number {
    return this.lists.size(this.owner);
  }

  [Symbol.iterator](): IterableIterator<Offer> {
    return this.lists.walk(this.owner, this.offerAt);
  }
}
