/**
 * The allocator's state as plain records, and the journal operations that change the durable part of it.
 *
 * Durable: agents, role configuration, frameworks (with their suppressed roles), running tasks and pending task
 * groups. Transient: offers and offer filters — as in Mesos, a new leader starts with no outstanding offers; the
 * resources they held are simply free again, and frameworks get fresh offers.
 */
import type { DrfSorter } from './drf-sorter';
import type { OfferList } from './offer-table';
import type { Resources, ScalarBounds, Scalars } from './resources';
import type { TaskList } from './task-table';

export type Attributes = Record<string, string | number>;

export interface AgentSpec {
  resources: Resources;
  attributes: Attributes;
  /** Resources of the agent set aside for one role each; they are part of `resources`. */
  reservations: Record<string, Resources>;
}

export interface AgentState extends AgentSpec {
  id: string;
  /** The agent's number in the offer and filter tables (see `SlotNumbers`). */
  slot: number;
  /** Unreserved resources not held by an offer or task. */
  free: Resources;
  /** Per role: reserved resources not held by an offer or task. */
  freeReserved: Map<string, Resources>;
  /** Outstanding offers on this agent. */
  offers: OfferList;
  tasks: TaskList;
}

export interface QuotaSpec {
  /** Held back for the role and served first. */
  guarantees: ScalarBounds;
  /** Never exceeded by the role's consumption (its subtree's allocations plus its reservations). */
  limits: ScalarBounds;
}

export interface RoleConfig {
  weight: number;
  quota: QuotaSpec;
}

export type FrameworkMode = 'offers' | 'queue';

export interface FrameworkSpec {
  id: string;
  name: string;
  roles: string[];
  /** `offers`: Mesos offers; `queue`: the allocator places submitted tasks itself. */
  mode: FrameworkMode;
  /** Outstanding offers the framework may hold at once. */
  maxOffers: number;
}

export interface FrameworkState extends FrameworkSpec {
  /** The framework's number in the offer and filter tables (see `SlotNumbers`). */
  slot: number;
  suppressed: Set<string>;
  offers: OfferList;
  /**
   * Offers it may still be sent: `maxOffers` less its outstanding offers in offer mode, 0 in queue mode. Kept beside
   * `offers` because the allocation loop asks for every offer it makes, and one field is cheaper than the set's size.
   */
  offerRoom: number;
  tasks: TaskList;
  /** Queue mode: pending task groups in submission order. */
  groups: TaskGroup[];
}

/** A slice of one agent held by a framework for a role: the common shape of offers and tasks. */
export interface Allocation {
  frameworkId: string;
  role: string;
  agentId: string;
  /** The part taken from the role's reservation on the agent. */
  reserved: Resources;
  /** The part taken from the agent's unreserved pool. */
  unreserved: Resources;
}

export interface Offer extends Allocation {
  id: string;
  resources: Resources;
  createdAt: number;
  expiresAt: number;
}

export interface Task extends Allocation {
  id: string;
  name: string;
  resources: Resources;
  /** Queue mode: the group the task was placed from. */
  groupId?: string;
}

/** What a queue-mode task asks for: scalars and a number of ports (any ports; the allocator picks them). */
export interface TaskRequest extends Scalars {
  ports: number;
}

export interface TaskGroup {
  id: string;
  frameworkId: string;
  role: string;
  name: string;
  request: TaskRequest;
  /** Tasks still to place. */
  remaining: number;
  /** Tasks placed so far; numbers the next task id (`<group>.<placed>`), so ids never repeat after a failover. */
  placed: number;
  /** `freeGeneration` at which no agent could take a task; skipped until resources are freed again. */
  blockedAt: number;
}

export interface RoleState {
  name: string;
  /** The role's number in the offer and filter tables (see `SlotNumbers`). */
  slot: number;
  frameworks: Set<FrameworkState>;
  frameworkSorter: DrfSorter<FrameworkState>;
  /** Frameworks in offer mode, not suppressed for this role and below their offer cap: 0 → skip the role fast. */
  offerReady: number;
  /** Queue-mode frameworks of this role with pending tasks. */
  queued: number;
}

/** Per role path (configured or not), totals over its subtree: what shares and quota consumption are made of. */
export interface SubtreeTotals {
  allocated: Scalars;
  /** Allocated out of the role's reservations. */
  reservedAllocated: Scalars;
  /** All reservations for roles in the subtree, allocated or not. */
  reserved: Scalars;
}

export type TaskState = 'finished' | 'failed';

/** A journal operation: replaying every operation in order on an empty allocator rebuilds the durable state. */
export type Op =
  | { t: 'agent'; id: string; spec: AgentSpec }
  | { t: 'agentRemoved'; id: string }
  | { t: 'role'; role: string; config: RoleConfig }
  | { t: 'framework'; spec: FrameworkSpec }
  | { t: 'frameworkRemoved'; id: string }
  | { t: 'suppress'; frameworkId: string; roles: string[]; suppressed: boolean }
  | { t: 'launch'; offerIds: string[]; tasks: TaskRecord[] }
  | { t: 'place'; tasks: TaskRecord[] }
  | { t: 'group'; group: TaskGroupRecord }
  | { t: 'taskEnded'; id: string; state: TaskState };

/**
 * A task as stored: everything needed to hold its resources again on replay. `reserved` and `unreserved` are left out
 * when nothing is reserved (then all of `resources` is unreserved), which halves the journal and snapshots.
 */
export type TaskRecord = Omit<Task, 'reserved' | 'unreserved'> & { reserved?: Resources; unreserved?: Resources };

export type TaskGroupRecord = Omit<TaskGroup, 'blockedAt'>;

/** The durable state at one point of the journal. */
export interface Snapshot {
  agents: Array<{ id: string; spec: AgentSpec }>;
  roles: Array<{ role: string; config: RoleConfig }>;
  frameworks: Array<{ spec: FrameworkSpec; suppressed: string[] }>;
  tasks: TaskRecord[];
  groups: TaskGroupRecord[];
}
