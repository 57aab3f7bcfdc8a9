/**
 * Running tasks, stored column-wise. A 50,000-agent cluster runs over 600,000 tasks; as one object per task (plus its
 * resources object and its entries in per-agent and per-framework sets) they cost ~310 bytes each and millions of
 * heap objects for the garbage collector to trace. Here a task is a slot: its scalars live in a `Float64Array`, its
 * agent, framework, role, name and group are small interned numbers in `Int32Array`s, and the per-agent and
 * per-framework lists are links between slots, and ids are found through an `IdIndex`. The heap holds only the id
 * strings.
 *
 * `Task` objects are made on demand (status updates, views, snapshots); nothing keeps them, so a caller may hold one
 * as a plain value. The rare parts — ports and reservations — sit in a side map keyed by slot.
 */
import { hashString, IdIndex } from './id-index';
import type { Task, TaskRecord } from './model';
import { isEmpty, NO_RESOURCES, PortRange, Resources, SCALAR_NAMES } from './resources';
import { grown, SlotLists } from './slot-lists';

/** Strings to small reusable numbers, counted: a number is recycled once nothing refers to it. */
class Interner {
  private readonly index = new Map<string, number>();
  private readonly values: string[] = [];
  private readonly refs: number[] = [];
  private readonly recycled: number[] = [];

  acquire(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.recycled.pop() ?? this.values.length;
      this.index.set(value, i);
      this.values[i] = value;
      this.refs[i] = 0;
    }
    this.refs[i]++;
    return i;
  }

  release(i: number): void {
    if (--this.refs[i] > 0) return;
    this.index.delete(this.values[i]);
    this.values[i] = '';
    this.recycled.push(i);
  }

  find(value: string): number {
    return this.index.get(value) ?? -1;
  }

  value(i: number): string {
    return this.values[i];
  }

  count(i: number): number {
    return this.refs[i];
  }
}

/** The parts of a task most tasks do not have. */
interface TaskExtras {
  ports: PortRange[];
  /** Present when part of the task runs on the role's reservation. */
  reserved?: Resources;
  unreserved?: Resources;
}

/** A read-only view of one agent's or framework's tasks, shaped like the `Set<Task>` it replaces. */
export interface TaskList extends Iterable<Task> {
  readonly size: number;
}

const STRIDE = SCALAR_NAMES.length;

export class TaskTable {
  private ids: string[] = [];
  private readonly index = new IdIndex((slot) => this.ids[slot], hashString);
  /** Every task in the order it started (one list, owner 0): what `keys()` and `values()` walk, as a Map would. */
  private readonly order = new SlotLists();
  private capacity = 0;
  private scalars = new Float64Array(0);
  private agentOf = new Int32Array(0);
  private frameworkOf = new Int32Array(0);
  private roleOf = new Int32Array(0);
  private nameOf = new Int32Array(0);
  /** Interned group id, or -1 for a task launched from an offer. */
  private groupOf = new Int32Array(0);
  private readonly extras = new Map<number, TaskExtras>();
  private readonly byAgent = new SlotLists();
  private readonly byFramework = new SlotLists();
  private readonly agents = new Interner();
  private readonly frameworks = new Interner();
  private readonly roles = new Interner();
  private readonly names = new Interner();
  private readonly groups = new Interner();
  private readonly recycled: number[] = [];
  private readonly taskAt = (slot: number): Task => this.task(slot);

  get size(): number {
    return this.index.size;
  }

  has(id: string): boolean {
    return this.index.get(id) >= 0;
  }

  get(id: string): Task | undefined {
    const slot = this.index.get(id);
    return slot < 0 ? undefined : this.task(slot);
  }

  keys(): IterableIterator<string> {
    return this.order.walk(0, (slot) => this.ids[slot]);
  }

  /**
   * Every task in its stored form, in start order: what a snapshot writes. Built in one pass without making `Task`
   * objects on the way — a snapshot of 630,000 tasks runs on the leader's event loop.
   */
  records(): TaskRecord[] {
    const out: TaskRecord[] = new Array(this.size);
    let i = 0;
    for (let slot = this.order.first(0); slot >= 0; slot = this.order.next[slot]) out[i++] = this.record(slot);
    return out;
  }

  values(): IterableIterator<Task> {
    return this.order.walk(0, this.taskAt);
  }

  [Symbol.iterator](): IterableIterator<Task> {
    return this.values();
  }

  /** The tasks on an agent, live: the view follows later changes. */
  onAgent(agentId: string): TaskList {
    return this.listView(this.agents, this.byAgent, agentId);
  }

  ofFramework(frameworkId: string): TaskList {
    return this.listView(this.frameworks, this.byFramework, frameworkId);
  }

  add(t: TaskRecord): void {
    const slot = this.recycled.pop() ?? this.newSlot();
    this.ids[slot] = t.id;
    this.index.add(t.id, slot);
    this.order.append(0, slot);
    const base = slot * STRIDE;
    for (let i = 0; i < STRIDE; i++) this.scalars[base + i] = t.resources[SCALAR_NAMES[i]];
    const agent = this.agents.acquire(t.agentId);
    const framework = this.frameworks.acquire(t.frameworkId);
    this.agentOf[slot] = agent;
    this.frameworkOf[slot] = framework;
    this.roleOf[slot] = this.roles.acquire(t.role);
    this.nameOf[slot] = this.names.acquire(t.name);
    this.groupOf[slot] = t.groupId === undefined ? -1 : this.groups.acquire(t.groupId);
    const reservedPart = t.reserved !== undefined && t.reserved !== NO_RESOURCES;
    if (t.resources.ports.length > 0 || reservedPart) {
      this.extras.set(slot, reservedPart ? { ports: t.resources.ports, reserved: t.reserved, unreserved: t.unreserved } : { ports: t.resources.ports });
    }
    this.byAgent.append(agent, slot);
    this.byFramework.append(framework, slot);
  }

  /** Removes a task and returns it (as a value), or undefined if it is not running. */
  remove(id: string): Task | undefined {
    const slot = this.index.get(id);
    if (slot < 0) return undefined;
    const task = this.task(slot);
    this.index.delete(slot);
    this.order.remove(0, slot);
    this.ids[slot] = '';
    this.extras.delete(slot);
    this.byAgent.remove(this.agentOf[slot], slot);
    this.byFramework.remove(this.frameworkOf[slot], slot);
    this.agents.release(this.agentOf[slot]);
    this.frameworks.release(this.frameworkOf[slot]);
    this.roles.release(this.roleOf[slot]);
    this.names.release(this.nameOf[slot]);
    if (this.groupOf[slot] >= 0) this.groups.release(this.groupOf[slot]);
    this.recycled.push(slot);
    return task;
  }

  private task(slot: number): Task {
    const extra = this.extras.get(slot);
    const resources = this.resourcesAt(slot, extra);
    const group = this.groupOf[slot];
    return {
      id: this.ids[slot],
      name: this.names.value(this.nameOf[slot]),
      frameworkId: this.frameworks.value(this.frameworkOf[slot]),
      role: this.roles.value(this.roleOf[slot]),
      agentId: this.agents.value(this.agentOf[slot]),
      resources,
      reserved: extra?.reserved ?? NO_RESOURCES,
      unreserved: extra?.unreserved ?? resources,
      groupId: group < 0 ? undefined : this.groups.value(group),
    };
  }

  /** The stored form (`TaskRecord`: reserved parts and group only when present), built straight from the columns. */
  private record(slot: number): TaskRecord {
    const extra = this.extras.get(slot);
    const r: TaskRecord = {
      id: this.ids[slot],
      name: this.names.value(this.nameOf[slot]),
      frameworkId: this.frameworks.value(this.frameworkOf[slot]),
      role: this.roles.value(this.roleOf[slot]),
      agentId: this.agents.value(this.agentOf[slot]),
      resources: this.resourcesAt(slot, extra),
    };
    if (extra?.reserved && !isEmpty(extra.reserved)) {
      r.reserved = extra.reserved;
      r.unreserved = extra.unreserved;
    }
    if (this.groupOf[slot] >= 0) r.groupId = this.groups.value(this.groupOf[slot]);
    return r;
  }

  private resourcesAt(slot: number, extra: TaskExtras | undefined): Resources {
    const base = slot * STRIDE;
    const s = this.scalars;
    return { cpus: s[base], mem: s[base + 1], disk: s[base + 2], gpus: s[base + 3], ports: extra ? extra.ports : NO_RESOURCES.ports };
  }

  private newSlot(): number {
    const slot = this.ids.length;
    if (slot >= this.capacity) {
      this.capacity = Math.max(1024, Math.ceil(this.capacity * 1.5));
      this.scalars = grown(this.scalars, this.capacity * STRIDE);
      this.agentOf = grown(this.agentOf, this.capacity);
      this.frameworkOf = grown(this.frameworkOf, this.capacity);
      this.roleOf = grown(this.roleOf, this.capacity);
      this.nameOf = grown(this.nameOf, this.capacity);
      this.groupOf = grown(this.groupOf, this.capacity);
      this.byAgent.grow(this.capacity);
      this.byFramework.grow(this.capacity);
      this.order.grow(this.capacity);
    }
    this.ids.push('');
    return slot;
  }

  private listView(owners: Interner, lists: SlotLists, ownerId: string): TaskList {
    return new OwnerTasks(owners, lists, ownerId, this.taskAt);
  }
}

/** One agent's or framework's tasks: a class, not an object literal, so 50,000 of them share one shape. */
class OwnerTasks implements TaskList {
  constructor(
    private readonly owners: Interner,
    private readonly lists: SlotLists,
    private readonly ownerId: string,
    private readonly taskAt: (slot: number) => Task,
  ) {}

  get size(): number {
    const owner = this.owners.find(this.ownerId);
    return owner < 0 ? 0 : this.owners.count(owner);
  }

  [Symbol.iterator](): IterableIterator<Task> {
    return this.lists.walk(this.owners.find(this.ownerId), this.taskAt);
  }
}
