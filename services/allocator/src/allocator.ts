/**
 * The allocation loop and the state it owns, after Mesos's `HierarchicalAllocatorProcess`: agents × roles ×
 * frameworks, quota guarantees and limits with headroom, offer filters, suppress/revive — and, beside offers, a
 * queue mode where the allocator places submitted tasks itself by progressive filling.
 *
 * Synchronous and deterministic (clock and randomness are injected) so tests and the journal replay drive it
 * directly. Every public mutation validates first and throws an `AllocatorError` before touching anything; durable
 * changes are expressed as journal `Op`s and applied through `apply`, the same path a new leader replays.
 *
 * A cycle runs in two stages, as in Mesos: stage one serves roles below their guarantees (up to the guarantee),
 * stage two serves everyone, and neither hands out the headroom unmet guarantees still need nor breaks a limit.
 * Within a stage, queue-mode tasks are placed before offers are made: both follow the same DRF order, and placing
 * tasks one at a time is what keeps queue-mode roles' shares level (progressive filling).
 */
import { DrfSorter } from './drf-sorter';
import { AllocatorError, badRequest, conflict, gone, notFound } from './errors';
import type {
  AgentSpec,
  AgentState,
  FrameworkSpec,
  FrameworkState,
  Offer,
  Op,
  RoleConfig,
  RoleState,
  Snapshot,
  SubtreeTotals,
  Task,
  TaskGroup,
  TaskGroupRecord,
  TaskRecord,
  TaskRequest,
  TaskState,
} from './model';
import { OfferFilters } from './offer-filters';
import { OfferTable } from './offer-table';
import { guaranteeRoom, hasGuarantees, hasLimits, hasRoom, limitRoom, quotaConfigError, quotaRoots, requiredHeadroom, totalGuarantees } from './quota';
import {
  accumulate,
  add,
  addInPlace,
  assign,
  capScalarsInPlace,
  contains,
  emptyResources,
  emptyScalars,
  formatResources,
  isEmpty,
  NO_RESOURCES,
  portCount,
  Resources,
  ScalarBounds,
  ScalarName,
  Scalars,
  SCALAR_NAMES,
  round3,
  subtract,
  subtractInPlace,
  subtractRanges,
  takePorts,
} from './resources';
import { roleNameError, selfAndAncestors } from './role-names';
import { SlotNumbers } from './slot-numbers';
import { TaskTable } from './task-table';

export interface AllocatorOptions {
  /** Resources ignored by the fairness computation (default gpus: a few GPU jobs should not make a role "rich"). */
  excludedResources?: ScalarName[];
  /** An offer must hold at least one of these (Mesos default: 0.01 cpus or 32 MB). */
  minAllocatable?: ScalarBounds[];
  /** Default cap on outstanding offers per framework. */
  maxOffersPerFramework?: number;
  /** Offers not answered in this time are rescinded. */
  offerTimeoutMs?: number;
  /** Filter length for declines and unused accepted resources when the framework gives none (Mesos: 5 s). */
  defaultRefuseSeconds?: number;
  /** Seeded randomness for the agent order (tests and benchmarks pass one; default Math.random). */
  random?: () => number;
  now?: () => number;
}

/** Notifications the service forwards to framework streams; all of them are about transient state. */
export interface AllocatorListener {
  offer?(offer: Offer): void;
  rescind?(offer: Offer, reason: string): void;
  lost?(task: Task, reason: string): void;
}

export interface CycleResult {
  /** Offers made this cycle; the listener hears of each as it is made, and `Allocator.offers` holds them. */
  offers: number;
  /** Queue-mode placements made this cycle, already applied; the caller journals them before announcing. */
  placed: Task[];
  rescinded: number;
  agentsConsidered: number;
}

export interface AcceptRequest {
  offerIds: string[];
  tasks: Array<{ id?: string; name: string; resources: Resources }>;
  refuseSeconds?: number;
}

export interface RoleUpdate {
  weight?: number;
  quota?: { guarantees?: ScalarBounds; limits?: ScalarBounds };
}

const NO_BOUNDS: ScalarBounds = Object.freeze({});

const DEFAULT_MIN_ALLOCATABLE: ScalarBounds[] = [{ cpus: 0.01 }, { mem: 32 }];

/** What an offer would hold: from the role's reservation, from the unreserved pool, and both together. */
type OfferParts = Pick<Offer, 'reserved' | 'unreserved' | 'resources'>;

interface RoleRuntime extends RoleState {
  /** The role and its ancestors, root first. */
  paths: string[];
  chain: SubtreeTotals[];
  limited: boolean;
  guaranteed: boolean;
  /** Agents holding a reservation for this role. */
  reservedAgents: Set<AgentState>;
  /** `stageStamp` of a stage in which the role's limit or the headroom already rules out any further offer. */
  blockedStage: number;
}

export class Allocator {
  readonly agents = new Map<string, AgentState>();
  readonly frameworks = new Map<string, FrameworkState>();
  readonly configs = new Map<string, RoleConfig>();
  readonly offers: OfferTable;
  readonly tasks = new TaskTable();
  readonly groups = new Map<string, TaskGroup>();
  listener: AllocatorListener = {};

  private readonly roles = new Map<string, RoleRuntime>();
  private readonly totals = new Map<string, SubtreeTotals>();
  private readonly roleSorter: DrfSorter<RoleRuntime>;
  private readonly filters = new OfferFilters();
  private readonly agentSlots = new SlotNumbers<AgentState>();
  private readonly frameworkSlots = new SlotNumbers<FrameworkState>();
  private readonly roleSlots = new SlotNumbers<RoleRuntime>();
  private readonly agentList: AgentState[] = [];
  private readonly agentIndex = new Map<AgentState, number>();
  private readonly dirtyAgents = new Set<AgentState>();
  /** Every agent needs a look (new demand, new quota, revive): cheaper than adding each one to `dirtyAgents`. */
  private allDirty = false;
  private readonly clusterTotal: Scalars = emptyScalars();
  /** Unreserved resources not held by offers or tasks, over all agents: the pool headroom is measured against. */
  private readonly clusterFree: Scalars = emptyScalars();
  private required: Scalars | null = null;
  private quotaRoots: string[] = [];
  /** The cluster total changed: every share is stale. Applied lazily, so registering 50,000 agents re-sorts once. */
  private totalsChanged = false;
  private recovering = false;
  /** Bumped whenever resources are freed or added: a queue group blocked at an older generation may fit again. */
  private freeGeneration = 1;
  /** Numbers the ids of tasks launched without one. */
  private taskSeq = 0;
  private readonly offerPrefix: string;
  private readonly excluded: ScalarName[];
  private readonly minAllocatable: ScalarBounds[];
  readonly maxOffersPerFramework: number;
  private readonly offerTimeoutMs: number;
  private readonly defaultRefuseSeconds: number;
  private readonly random: () => number;
  readonly now: () => number;
  private readonly cycleAgents: AgentState[] = [];
  /** Identifies the current cycle stage; a role stamped with it is known to get nothing more in this stage. */
  private stageStamp = 0;
  private readonly scratchBound: ScalarBounds = { cpus: undefined, mem: undefined, disk: undefined, gpus: undefined };
  private readonly scratchOffer: OfferParts = { reserved: NO_RESOURCES, unreserved: emptyResources(), resources: emptyResources() };
  /** An offer's parts read back from the table when it goes away. */
  private readonly scratchReturned = { reserved: emptyResources(), unreserved: emptyResources() };
  /** An offer's reserved and unreserved parts together, when it has both. */
  private readonly scratchSum = emptyResources();

  constructor(options: AllocatorOptions = {}) {
    this.excluded = options.excludedResources ?? ['gpus'];
    this.minAllocatable = options.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE;
    this.maxOffersPerFramework = options.maxOffersPerFramework ?? 100;
    this.offerTimeoutMs = options.offerTimeoutMs ?? 30_000;
    this.defaultRefuseSeconds = options.defaultRefuseSeconds ?? 5;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.roleSorter = new DrfSorter<RoleRuntime>({ excluded: this.excluded });
    // Offer ids only need to be unique for this leader's lifetime; a time prefix keeps them unique across failovers.
    this.offerPrefix = `o${this.now().toString(36)}`;
    this.offers = new OfferTable(this.offerPrefix, this.offerTimeoutMs, {
      agentId: (n) => this.agentSlots.at(n).id,
      frameworkId: (n) => this.frameworkSlots.at(n).id,
      roleName: (n) => this.roleSlots.at(n).name,
    });
  }

  // --- reads ------------------------------------------------------------------------------------------------------

  get total(): Scalars {
    return { ...this.clusterTotal };
  }

  roleNames(): string[] {
    return [...new Set([...this.configs.keys(), ...this.totals.keys()])].sort();
  }

  roleConfig(role: string): RoleConfig {
    return this.configs.get(role) ?? { weight: 1, quota: { guarantees: {}, limits: {} } };
  }

  /** Allocated resources (offers and tasks) in the role's subtree. */
  roleAllocated(role: string): Scalars {
    const t = this.totals.get(role);
    return t ? { ...t.allocated } : emptyScalars();
  }

  roleConsumed(role: string): Scalars {
    const t = this.totals.get(role);
    const out = emptyScalars();
    if (t) for (const n of SCALAR_NAMES) out[n] = t.allocated[n] - t.reservedAllocated[n] + t.reserved[n];
    return out;
  }

  roleShare(role: string): number {
    this.syncTotals();
    return this.roleSorter.subtreeShare(role);
  }

  /** Roles in the order the sorter would serve them now. */
  roleOrder(): string[] {
    this.syncTotals();
    return this.roleSorter.sort().map((r) => r.name);
  }

  frameworkShare(frameworkId: string, role: string): number {
    this.syncTotals();
    return this.roles.get(role)?.frameworkSorter.share(frameworkId) ?? 0;
  }

  private syncTotals(): void {
    if (!this.totalsChanged) return;
    this.totalsChanged = false;
    this.roleSorter.setTotal(this.clusterTotal);
    for (const r of this.roles.values()) r.frameworkSorter.setTotal(this.clusterTotal);
  }

  get freeResources(): Scalars {
    return { ...this.clusterFree };
  }

  pendingTasks(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.remaining;
    return n;
  }

  hasDirtyAgents(): boolean {
    return this.allDirty || this.dirtyAgents.size > 0;
  }

  // --- operations: validate, then apply ---------------------------------------------------------------------------

  /** Adds an agent or changes its resources. Outstanding offers on a changed agent are rescinded. */
  putAgent(id: string, spec: AgentSpec): Op {
    for (const [role, r] of Object.entries(spec.reservations)) {
      const err = roleNameError(role);
      if (err) throw badRequest(`reservations: role '${role}' ${err}`);
      if (isEmpty(r)) throw badRequest(`reservations.${role} must reserve some resources`);
    }
    const reservedSum = Object.values(spec.reservations).reduce((acc, r) => add(acc, r), emptyResources());
    if (!contains(spec.resources, reservedSum)) {
      throw badRequest(`reservations (${formatResources(reservedSum)}) must fit in the agent's resources (${formatResources(spec.resources)})`);
    }
    const existing = this.agents.get(id);
    if (existing) {
      // Tasks keep running through an update, so the new shape must still hold what they use, pool by pool.
      let unreserved = emptyResources();
      const reserved = new Map<string, Resources>();
      for (const t of existing.tasks) {
        unreserved = add(unreserved, t.unreserved);
        if (!isEmpty(t.reserved)) reserved.set(t.role, add(reserved.get(t.role) ?? emptyResources(), t.reserved));
      }
      if (!contains(subtract(spec.resources, reservedSum), unreserved)) {
        throw conflict(`agent '${id}' runs tasks using ${formatResources(unreserved)} of unreserved resources, which the new resources do not hold`);
      }
      for (const [role, used] of reserved) {
        if (!contains(spec.reservations[role] ?? emptyResources(), used)) throw conflict(`agent '${id}' runs tasks using ${formatResources(used)} reserved for '${role}', which the new reservations do not hold`);
      }
    }
    const op: Op = { t: 'agent', id, spec };
    this.apply(op);
    return op;
  }

  removeAgent(id: string): { op: Op; lost: Task[] } {
    const agent = this.agents.get(id);
    if (!agent) throw notFound(`agent '${id}' is not registered`);
    const lost = [...agent.tasks];
    const op: Op = { t: 'agentRemoved', id };
    this.apply(op);
    return { op, lost };
  }

  setRole(role: string, update: RoleUpdate): Op {
    return this.setRoles([{ role, ...update }])[0];
  }

  /**
   * Updates several roles all-or-nothing (Mesos's /weights and /quota take lists). With `capacityCheck`, total
   * guarantees may not exceed the cluster's capacity — Mesos's overcommit check, which `force` skips.
   */
  setRoles(updates: Array<RoleUpdate & { role: string }>, capacityCheck?: { status: 400 | 409 }): Op[] {
    const next = new Map(this.configs);
    const ops: Op[] = [];
    for (const u of updates) {
      const err = roleNameError(u.role);
      if (err) throw badRequest(`role name '${u.role}' ${err}`);
      const current = next.get(u.role) ?? this.roleConfig(u.role);
      const config: RoleConfig = {
        weight: u.weight ?? current.weight,
        quota: u.quota ? { guarantees: { ...(u.quota.guarantees ?? {}) }, limits: { ...(u.quota.limits ?? {}) } } : current.quota,
      };
      if (!(config.weight > 0)) throw badRequest(`weight of role '${u.role}' must be greater than 0 (got ${config.weight})`);
      const qerr = quotaConfigError(u.role, config, next);
      if (qerr) throw badRequest(qerr);
      next.set(u.role, config);
      ops.push({ t: 'role', role: u.role, config });
    }
    if (capacityCheck) {
      const need = totalGuarantees(next);
      for (const n of SCALAR_NAMES) {
        if (need[n] > this.clusterTotal[n] + 1e-9) {
          throw new AllocatorError(capacityCheck.status, `total quota guarantees (${formatResources(need)}) exceed cluster capacity (${formatResources(this.clusterTotal)}); use 'force' to bypass this check`);
        }
      }
    }
    for (const op of ops) this.apply(op);
    return ops;
  }

  addFramework(spec: FrameworkSpec): Op {
    if (this.frameworks.has(spec.id)) throw conflict(`framework '${spec.id}' already exists`);
    if (spec.roles.length === 0) throw badRequest('roles must name at least one role');
    for (const role of spec.roles) {
      const err = roleNameError(role);
      if (err) throw badRequest(`roles: role name '${role}' ${err}`);
    }
    if (new Set(spec.roles).size !== spec.roles.length) throw badRequest('roles must not repeat a role');
    const op: Op = { t: 'framework', spec };
    this.apply(op);
    return op;
  }

  removeFramework(id: string): { op: Op; ended: Task[] } {
    const fw = this.requireFramework(id);
    const ended = [...fw.tasks];
    const op: Op = { t: 'frameworkRemoved', id };
    this.apply(op);
    return { op, ended };
  }

  /** Suppress (or revive, `suppressed=false`) offers and placements for some of the framework's roles. */
  setSuppressed(frameworkId: string, roles: string[] | undefined, suppressed: boolean): Op {
    const fw = this.requireFramework(frameworkId);
    const list = roles ?? fw.roles;
    for (const r of list) if (!fw.roles.includes(r)) throw badRequest(`roles: framework '${frameworkId}' is not subscribed to role '${r}'`);
    const op: Op = { t: 'suppress', frameworkId, roles: list, suppressed };
    this.apply(op);
    // Revive also forgets the framework's filters for those roles, as in Mesos: "I want to see everything again".
    if (!suppressed) this.filters.clear(fw.slot, list.map((r) => this.roles.get(r)!.slot));
    if (!suppressed) this.allDirty = true;
    return op;
  }

  /** Accepts offers (all on one agent, one role) and launches tasks in them; the rest is declined with a filter. */
  accept(frameworkId: string, req: AcceptRequest): { op: Op; tasks: TaskRecord[] } {
    const fw = this.requireFramework(frameworkId);
    const offers = this.resolveOffers(fw, req.offerIds).map((slot) => this.offers.offer(slot));
    const agentId = offers[0].agentId;
    const role = offers[0].role;
    let offered = emptyResources();
    let offeredReserved = emptyResources();
    for (const o of offers) {
      if (o.agentId !== agentId) throw badRequest(`offerIds: offers '${offers[0].id}' and '${o.id}' are on different agents; accept offers of one agent at a time`);
      if (o.role !== role) throw badRequest(`offerIds: offers '${offers[0].id}' and '${o.id}' are for different roles`);
      offered = add(offered, o.resources);
      offeredReserved = add(offeredReserved, o.reserved);
    }
    const needed = emptyResources();
    const ids = new Set<string>();
    for (const [i, t] of req.tasks.entries()) {
      if (t.id !== undefined) {
        if (this.tasks.has(t.id) || ids.has(t.id)) throw conflict(`tasks[${i}].id '${t.id}' is already in use`);
        ids.add(t.id);
      }
      if (isEmpty(t.resources)) throw badRequest(`tasks[${i}].resources must ask for some resources`);
      addInPlace(needed, t.resources);
    }
    if (!contains(offered, needed)) {
      throw badRequest(`tasks need ${formatResources(needed)} but the offers hold ${formatResources(offered)}`);
    }
    // Split each task between the role's reservation and the unreserved pool, reservation first.
    let reservedLeft = offeredReserved;
    const records: TaskRecord[] = req.tasks.map((t) => {
      const id = t.id ?? `${frameworkId}.${this.offerPrefix}.${++this.taskSeq}`;
      if (isEmpty(reservedLeft)) {
        // The common case: nothing reserved, so the task's resources are its unreserved part (shared, not copied).
        return { id, name: t.name, frameworkId, role, agentId, resources: t.resources };
      }
      const fromReserved: Resources = {
        cpus: Math.min(t.resources.cpus, reservedLeft.cpus),
        mem: Math.min(t.resources.mem, reservedLeft.mem),
        disk: Math.min(t.resources.disk, reservedLeft.disk),
        gpus: Math.min(t.resources.gpus, reservedLeft.gpus),
        ports: subtractRanges(t.resources.ports, subtractRanges(t.resources.ports, reservedLeft.ports)),
      };
      reservedLeft = subtract(reservedLeft, fromReserved);
      return {
        id,
        name: t.name,
        frameworkId,
        role,
        agentId,
        resources: t.resources,
        reserved: fromReserved,
        unreserved: subtract(t.resources, fromReserved),
      };
    });
    const op: Op = { t: 'launch', offerIds: offers.map((o) => o.id), tasks: records };
    this.apply(op);
    const unused = subtract(offered, needed);
    const refuse = req.refuseSeconds ?? this.defaultRefuseSeconds;
    if (refuse > 0 && !isEmpty(unused)) {
      const now = this.now();
      this.filters.add(fw.slot, this.agents.get(agentId)!.slot, this.roles.get(role)!.slot, unused, now, now + refuse * 1000);
    }
    return { op, tasks: records };
  }

  /** Returns offers to the pool; with `refuseSeconds` > 0 the framework will not see them again for that long. */
  decline(frameworkId: string, offerIds: string[], refuseSeconds?: number): void {
    const fw = this.requireFramework(frameworkId);
    const slots = this.resolveOffers(fw, offerIds);
    const refuse = refuseSeconds ?? this.defaultRefuseSeconds;
    const now = this.now();
    for (const slot of slots) {
      const agent = this.offers.agent(slot);
      const role = this.offers.role(slot);
      const declined = refuse > 0 ? this.offers.offer(slot).resources : NO_RESOURCES;
      this.removeOffer(slot, 'declined');
      if (refuse > 0) this.filters.add(fw.slot, agent, role, declined, now, now + refuse * 1000);
    }
  }

  /** Queue mode: adds a group of `count` identical tasks for the allocator to place. */
  submitTasks(frameworkId: string, id: string, spec: { name: string; role?: string; request: TaskRequest; count: number }): Op {
    const fw = this.requireFramework(frameworkId);
    if (fw.mode !== 'queue') throw badRequest(`framework '${frameworkId}' is in offer mode; subscribe with mode "queue" to submit tasks`);
    const role = spec.role ?? fw.roles[0];
    if (!fw.roles.includes(role)) throw badRequest(`role: framework '${frameworkId}' is not subscribed to role '${role}'`);
    if (!(spec.count >= 1 && Number.isInteger(spec.count))) throw badRequest('count must be an integer of at least 1');
    const r = spec.request;
    if (r.cpus <= 0 && r.mem <= 0 && r.disk <= 0 && r.gpus <= 0 && r.ports <= 0) throw badRequest('resources must ask for some resources');
    if (this.groups.has(id)) throw conflict(`task group '${id}' already exists`);
    const op: Op = { t: 'group', group: { id, frameworkId, role, name: spec.name, request: { ...r }, remaining: spec.count, placed: 0 } };
    this.apply(op);
    return op;
  }

  /** A task finished or failed: its resources go back to the pool. */
  endTask(taskId: string, state: TaskState): { op: Op; task: Task } {
    const task = this.tasks.get(taskId);
    if (!task) throw notFound(`task '${taskId}' is not running`);
    const op: Op = { t: 'taskEnded', id: taskId, state };
    this.apply(op);
    return { op, task };
  }

  // --- the journal's entry point -------------------------------------------------------------------------------------

  /** Applies one journal operation. Live requests reach here after validation; a new leader replays the journal. */
  apply(op: Op): void {
    switch (op.t) {
      case 'agent':
        return this.applyAgent(op.id, op.spec);
      case 'agentRemoved':
        return this.applyAgentRemoved(op.id);
      case 'role':
        return this.applyRole(op.role, op.config);
      case 'framework':
        return this.applyFramework(op.spec);
      case 'frameworkRemoved':
        return this.applyFrameworkRemoved(op.id);
      case 'suppress':
        return this.applySuppress(op.frameworkId, op.roles, op.suppressed);
      case 'launch':
        for (const id of op.offerIds) {
          const slot = this.offers.find(id);
          if (slot >= 0) this.removeOffer(slot, 'accepted');
        }
        for (const t of op.tasks) this.startTask(t);
        return;
      case 'place':
        for (const t of op.tasks) this.applyPlacement(t);
        return;
      case 'group':
        return this.applyGroup(op.group);
      case 'taskEnded':
        return this.finishTask(op.id);
    }
  }

  snapshot(): Snapshot {
    return {
      agents: [...this.agents.values()].map((a) => ({ id: a.id, spec: { resources: a.resources, attributes: a.attributes, reservations: a.reservations } })),
      roles: [...this.configs].map(([role, config]) => ({ role, config })),
      frameworks: [...this.frameworks.values()].map((f) => ({
        spec: { id: f.id, name: f.name, roles: f.roles, mode: f.mode, maxOffers: f.maxOffers },
        suppressed: [...f.suppressed],
      })),
      tasks: this.tasks.records(),
      groups: [...this.groups.values()].map((g) => ({ id: g.id, frameworkId: g.frameworkId, role: g.role, name: g.name, request: g.request, remaining: g.remaining, placed: g.placed })),
    };
  }

  /**
   * Rebuilds the state a new leader takes over: the snapshot, then the journal after it. Sorters run in bulk mode
   * meanwhile, so a state of 600,000 tasks loads in seconds instead of re-sorting after each one.
   */
  recover(snapshot: Snapshot | null, ops: Iterable<Op>): void {
    this.recovering = true;
    this.roleSorter.beginBulk();
    try {
      if (snapshot) this.restore(snapshot);
      for (const op of ops) this.apply(op);
    } finally {
      this.recovering = false;
      this.roleSorter.endBulk(this.clusterTotal);
      for (const r of this.roles.values()) r.frameworkSorter.endBulk(this.clusterTotal);
      this.totalsChanged = false;
    }
  }

  restore(s: Snapshot): void {
    for (const a of s.agents) this.applyAgent(a.id, a.spec);
    for (const r of s.roles) this.applyRole(r.role, r.config);
    for (const f of s.frameworks) {
      this.applyFramework(f.spec);
      if (f.suppressed.length > 0) this.applySuppress(f.spec.id, f.suppressed, true);
    }
    for (const g of s.groups) this.applyGroup(g);
    for (const t of s.tasks) this.startTask(t);
  }

  // --- the allocation cycle ---------------------------------------------------------------------------------------

  /**
   * One allocation cycle. `scope: 'changed'` looks only at agents whose free resources changed since the last cycle
   * (the event-driven path that keeps offer latency low); `'all'` looks at every agent (the periodic cycle).
   */
  allocate(scope: 'all' | 'changed' = 'all'): CycleResult {
    const now = this.now();
    this.syncTotals();
    const result: CycleResult = { offers: 0, placed: [], rescinded: this.expireOffers(now), agentsConsidered: 0 };
    // A bounded stretch: most expired filters are dropped by the accepts and declines that add new ones.
    this.filters.expire(now, 4096);
    const agents = this.cycleAgents;
    agents.length = 0;
    const source: Iterable<AgentState> = scope === 'all' || this.allDirty ? this.agentList : this.dirtyAgents;
    for (const a of source) if (this.agentHasFree(a)) agents.push(a);
    this.dirtyAgents.clear();
    this.allDirty = false;
    // Random agent order, as in Mesos: no agent is systematically offered first to the neediest role.
    for (let i = agents.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = agents[i];
      agents[i] = agents[j];
      agents[j] = t;
    }
    result.agentsConsidered = agents.length;
    if (agents.length === 0) return result;
    for (const stage of [1, 2] as const) {
      this.stageStamp++;
      this.placeQueued(agents, stage, result.placed);
      result.offers += this.makeOffers(agents, stage, now);
    }
    return result;
  }

  /** Makes the stage's offers on `agents`; returns how many. */
  private makeOffers(agents: AgentState[], stage: 1 | 2, now: number): number {
    let made = 0;
    if (stage === 1) {
      // Stage one only concerns roles below their guarantees — few, so they are collected once and, like Mesos's
      // quota role sorter, served lowest share first on each agent.
      const needy: RoleRuntime[] = [];
      for (const role of this.roles.values()) if (role.guaranteed && role.offerReady > 0 && hasRoom(this.guaranteeRoomOf(role))) needy.push(role);
      if (needy.length === 0) return 0;
      for (const agent of agents) {
        if (!this.agentHasFree(agent)) continue;
        if (needy.length > 1) needy.sort((a, b) => this.roleSorter.share(a.name) - this.roleSorter.share(b.name) || (a.name < b.name ? -1 : 1));
        for (const role of needy) {
          if (role.offerReady === 0 || !hasRoom(this.guaranteeRoomOf(role))) continue;
          made += this.offerToRole(agent, role, 1, now);
          if (!this.agentHasFree(agent)) break;
        }
      }
      return made;
    }
    let offered = 0;
    const visit = (role: RoleRuntime): boolean => {
      if (role.offerReady === 0 || role.blockedStage === this.stageStamp) return false;
      offered = this.offerToRole(current!, role, 2, now);
      return offered > 0;
    };
    let current: AgentState | null = null;
    for (const agent of agents) {
      if (!this.agentHasFree(agent)) continue;
      current = agent;
      offered = 0;
      // Usually the first ready role in DRF order takes the whole agent and the walk stops there.
      this.roleSorter.visitInOrder(visit);
      made += offered;
      if (offered === 0 || !this.agentHasFree(agent)) continue;
      // Something is left (a limit chopped the offer): shares changed, so go on over a freshly sorted order. A role
      // seen twice is harmless — what it may have is derived again from the state.
      for (const role of this.roleSorter.sort()) {
        if (role.offerReady === 0 || role.blockedStage === this.stageStamp) continue;
        made += this.offerToRole(agent, role, 2, now);
        if (!this.agentHasFree(agent)) break;
      }
    }
    return made;
  }

  /** Offers what `role` may have of `agent` to its frameworks in DRF order; each gets what the previous left. */
  private offerToRole(agent: AgentState, role: RoleRuntime, stage: 1 | 2, now: number): number {
    let candidate = this.offerable(agent, role, stage);
    if (!candidate) return 0;
    let made = 0;
    for (const fw of role.frameworkSorter.sort()) {
      if (!this.offerReadyFor(fw, role.name)) continue;
      if (this.filters.isFiltered(fw.slot, agent.slot, role.slot, candidate.resources, now)) continue;
      this.makeOffer(fw, role, agent, candidate, now);
      made++;
      if (!this.agentHasFree(agent)) break;
      candidate = this.offerable(agent, role, stage);
      if (!candidate) break;
    }
    return made;
  }

  /**
   * What `role` may be offered on `agent` in `stage`, or null if that is below the minimum allocatable. The answer is
   * scratch objects, valid until the next call: this runs once per offer, and the offer table copies them.
   */
  private offerable(agent: AgentState, role: RoleRuntime, stage: 1 | 2): OfferParts | null {
    const reserved = role.reservedAgents.size > 0 ? (agent.freeReserved.get(role.name) ?? NO_RESOURCES) : NO_RESOURCES;
    const bound = this.unreservedBound(role, stage);
    if (bound && isEmpty(reserved) && !this.boundAllowsMinimum(bound)) {
      // At its limit (or held back by headroom): no agent can change that within this stage, so skip the role.
      role.blockedStage = this.stageStamp;
      return null;
    }
    const c = this.scratchOffer;
    const unreserved = c.unreserved;
    assign(unreserved, agent.free);
    if (bound) capScalarsInPlace(unreserved, bound);
    if (stage === 1 && isEmpty(reserved)) {
      // Stage one is for progress toward guarantees: an agent offering none of the guaranteed resources waits.
      const g = this.guaranteeRoomOf(role);
      let progress = false;
      for (const n of SCALAR_NAMES) if ((g[n] ?? 0) > 0 && unreserved[n] > 0) progress = true;
      if (!progress) return null;
    }
    c.reserved = reserved;
    if (isEmpty(reserved)) c.resources = unreserved;
    else {
      c.resources = this.scratchSum;
      assign(c.resources, reserved);
      addInPlace(c.resources, unreserved);
    }
    if (!this.meetsMinimum(c.resources)) return null;
    return c;
  }

  /**
   * The most of each unreserved resource `role` may take now: its limit room, and what is left of the free pool
   * after unmet guarantees are held back — plus, for a role below its own guarantee, that shortfall (serving it
   * does not eat anyone else's headroom). Stage one caps guaranteed resources at the guarantee itself.
   */
  private unreservedBound(role: RoleRuntime, stage: 1 | 2): ScalarBounds | null {
    const required = this.requiredHeadroom();
    const anyRequired = required.cpus > 0 || required.mem > 0 || required.disk > 0 || required.gpus > 0;
    if (!role.limited && !role.guaranteed && !anyRequired) return null;
    const limit = role.limited ? limitRoom(role.paths, this.configs, this.totals) : NO_BOUNDS;
    const g = role.guaranteed ? this.guaranteeRoomOf(role) : NO_BOUNDS;
    // One scratch object, used at once by the caller: this runs for every role the loop considers on every agent.
    const bound = this.scratchBound;
    for (const n of SCALAR_NAMES) {
      // Assigning undefined (not `delete`) keeps the object's shape stable for V8; undefined means "no bound".
      bound[n] = undefined;
      const surplus = Math.max(0, this.clusterFree[n] - required[n]);
      let b: number | undefined;
      if (stage === 1 && g[n] !== undefined) b = g[n];
      else if (anyRequired) b = surplus + (g[n] ?? 0);
      const l = limit[n];
      if (l !== undefined) b = b === undefined ? l : Math.min(b, l);
      if (b !== undefined) bound[n] = b;
    }
    return bound;
  }

  private requiredHeadroom(): Scalars {
    if (!this.required) this.required = requiredHeadroom(this.quotaRoots, this.configs, this.totals);
    return this.required;
  }

  private guaranteeRoomOf(role: RoleRuntime): ScalarBounds {
    return guaranteeRoom(role.paths, this.configs, this.totals);
  }

  /** Whether anything satisfying the minimum allocatable could fit under `bound`, on any agent. */
  private boundAllowsMinimum(bound: ScalarBounds): boolean {
    for (const m of this.minAllocatable) {
      let ok = true;
      for (const n of SCALAR_NAMES) {
        const v = m[n];
        const b = bound[n];
        if (v !== undefined && b !== undefined && b < v) ok = false;
      }
      if (ok) return true;
    }
    return false;
  }

  private meetsMinimum(r: Resources): boolean {
    for (const m of this.minAllocatable) {
      let ok = true;
      for (const n of SCALAR_NAMES) {
        const v = m[n];
        if (v !== undefined && r[n] < v) ok = false;
      }
      if (ok) return true;
    }
    return false;
  }

  private makeOffer(fw: FrameworkState, role: RoleRuntime, agent: AgentState, c: OfferParts, now: number): void {
    const slot = this.offers.add(agent.slot, fw.slot, role.slot, c.reserved, c.unreserved, now);
    this.hold(agent, role, fw.id, c.reserved, c.unreserved);
    // Only the offer count changed, so readiness changes only when it reaches the cap.
    if (--fw.offerRoom === 0) this.capCrossed(fw, -1);
    if (this.listener.offer) this.listener.offer(this.offers.offer(slot));
  }

  /** Rescinds offers past their timeout. All offers time out alike, so the oldest is the first to go. */
  private expireOffers(now: number): number {
    let n = 0;
    for (let slot = this.offers.oldest(); slot >= 0 && this.offers.expiresAt(slot) <= now; slot = this.offers.oldest()) {
      this.rescind(slot, 'expired');
      n++;
    }
    return n;
  }

  /** Takes an offer back from its framework, telling the listener. */
  private rescind(slot: number, reason: string): void {
    const offer = this.listener.rescind ? this.offers.offer(slot) : null;
    this.removeOffer(slot, reason);
    if (offer) this.listener.rescind!(offer, reason);
  }

  // --- queue mode: progressive filling ----------------------------------------------------------------------------

  /**
   * Places queued tasks one at a time, always for the role (then framework) with the lowest share, on the first agent
   * in this cycle's random order that fits. A group that fits nowhere is parked until resources are freed.
   */
  private placeQueued(agents: AgentState[], stage: 1 | 2, out: Task[]): void {
    if (this.groups.size === 0) return;
    const cursors = new Map<string, number>();
    const exhausted = new Set<RoleRuntime>();
    const skipped = new Set<TaskGroup>();
    let placed: Task | null = null;
    // Walks the DRF order and stops at the first role that places a task (the walk must stop after any change).
    const visit = (role: RoleRuntime): boolean => {
      if (role.queued === 0 || exhausted.has(role)) return false;
      if (stage === 1 && !(role.guaranteed && hasRoom(this.guaranteeRoomOf(role)))) return false;
      for (const fw of role.frameworkSorter.sort()) {
        if (fw.mode !== 'queue' || fw.suppressed.has(role.name)) continue;
        for (const group of fw.groups) {
          if (group.role !== role.name || group.remaining === 0 || skipped.has(group) || group.blockedAt >= this.freeGeneration) continue;
          placed = this.placeOne(group, role, stage, agents, cursors);
          if (placed) return true;
          skipped.add(group);
        }
      }
      // Nothing of this role fits now, and within a stage resources only shrink: skip it for the rest of the stage.
      exhausted.add(role);
      return false;
    };
    for (;;) {
      placed = null;
      this.roleSorter.visitInOrder(visit);
      if (!placed) return;
      out.push(placed);
    }
  }

  private placeOne(group: TaskGroup, role: RoleRuntime, stage: 1 | 2, agents: AgentState[], cursors: Map<string, number>): Task | null {
    const req = group.request;
    // Reservations first: they count toward the role's quota already, so no bound applies to them.
    for (const agent of role.reservedAgents) {
      const split = this.fitOnAgent(agent, role, req, null);
      if (split) return this.commitPlacement(group, agent, split);
    }
    const bound = this.unreservedBound(role, stage);
    if (bound) {
      for (const n of SCALAR_NAMES) {
        const b = bound[n];
        if (b !== undefined && req[n] > b + 1e-9) return null;
      }
      if (stage === 1) {
        const g = this.guaranteeRoomOf(role);
        let progress = false;
        for (const n of SCALAR_NAMES) if ((g[n] ?? 0) > 0 && req[n] > 0) progress = true;
        if (!progress) return null;
      }
    }
    // Within one cycle an agent only loses resources, so an agent too small for a shape stays too small: each shape
    // keeps a cursor and no agent is examined twice for it.
    const key = `${req.cpus}/${req.mem}/${req.disk}/${req.gpus}/${req.ports}`;
    let i = cursors.get(key) ?? 0;
    for (; i < agents.length; i++) {
      const a = agents[i];
      const f = a.free;
      if (f.cpus >= req.cpus && f.mem >= req.mem && f.disk >= req.disk && f.gpus >= req.gpus && (req.ports === 0 || portCount(f.ports) >= req.ports)) break;
    }
    cursors.set(key, i);
    if (i === agents.length) {
      group.blockedAt = this.freeGeneration;
      return null;
    }
    const agent = agents[i];
    const split = this.fitOnAgent(agent, role, req, 'unreserved')!;
    return this.commitPlacement(group, agent, split);
  }

  /** Splits a request between the role's reservation on the agent and the unreserved pool, or null if it does not fit. */
  private fitOnAgent(agent: AgentState, role: RoleRuntime, req: TaskRequest, only: 'unreserved' | null): { reserved: Resources; unreserved: Resources } | null {
    const res = only === 'unreserved' ? emptyResources() : (agent.freeReserved.get(role.name) ?? emptyResources());
    const free = agent.free;
    const reserved: Resources = emptyResources();
    const unreserved: Resources = emptyResources();
    for (const n of SCALAR_NAMES) {
      const fromRes = Math.min(req[n], res[n]);
      const rest = req[n] - fromRes;
      if (rest > free[n] + 1e-9) return null;
      reserved[n] = fromRes;
      unreserved[n] = Math.round(rest * 1000) / 1000;
    }
    if (req.ports > 0) {
      const fromRes = res.ports.length === 0 ? 0 : Math.min(req.ports, portCount(res.ports));
      const rp = takePorts(res.ports, fromRes);
      const up = takePorts(free.ports, req.ports - fromRes);
      if (!rp || !up) return null;
      reserved.ports = rp;
      unreserved.ports = up;
    }
    return { reserved: isEmpty(reserved) ? NO_RESOURCES : reserved, unreserved };
  }

  private commitPlacement(group: TaskGroup, agent: AgentState, split: { reserved: Resources; unreserved: Resources }): Task {
    const task: Task = {
      id: `${group.id}.${group.placed}`,
      name: group.name,
      frameworkId: group.frameworkId,
      role: group.role,
      agentId: agent.id,
      groupId: group.id,
      reserved: split.reserved,
      unreserved: split.unreserved,
      resources: split.reserved === NO_RESOURCES ? split.unreserved : add(split.reserved, split.unreserved),
    };
    this.applyPlacement(task);
    return task;
  }

  private applyPlacement(record: TaskRecord): void {
    const group = record.groupId ? this.groups.get(record.groupId) : undefined;
    if (group) {
      group.remaining--;
      group.placed++;
      if (group.remaining <= 0) this.dropGroup(group);
    }
    this.startTask(record);
  }

  // --- state changes ----------------------------------------------------------------------------------------------

  private applyAgent(id: string, spec: AgentSpec): void {
    let agent = this.agents.get(id);
    if (agent) {
      for (const slot of this.offers.slotsOnAgent(agent.slot)) this.rescind(slot, 'agent updated');
      this.unregisterAgentCapacity(agent);
      agent.resources = spec.resources;
      agent.attributes = spec.attributes;
      agent.reservations = spec.reservations;
    } else {
      agent = this.agentSlots.assign((slot) => ({ id, slot, ...spec, free: emptyResources(), freeReserved: new Map(), offers: this.offers.onAgent(slot), tasks: this.tasks.onAgent(id) }));
      this.agents.set(id, agent);
      this.agentIndex.set(agent, this.agentList.length);
      this.agentList.push(agent);
    }
    // Free pools are the capacity minus what running tasks hold.
    let reservedSum = emptyResources();
    agent.freeReserved = new Map();
    for (const [role, r] of Object.entries(spec.reservations)) {
      reservedSum = add(reservedSum, r);
      agent.freeReserved.set(role, r);
      const rr = this.ensureRole(role);
      rr.reservedAgents.add(agent);
      for (const t of rr.chain) accumulate(t.reserved, r, 1);
    }
    agent.free = subtract(spec.resources, reservedSum);
    for (const t of agent.tasks) {
      agent.free = subtract(agent.free, t.unreserved);
      if (!isEmpty(t.reserved)) agent.freeReserved.set(t.role, subtract(agent.freeReserved.get(t.role) ?? emptyResources(), t.reserved));
    }
    accumulate(this.clusterTotal, spec.resources, 1);
    accumulate(this.clusterFree, agent.free, 1);
    this.totalsChanged = true;
    this.required = null;
    this.freeGeneration++;
    this.dirtyAgents.add(agent);
  }

  /** Takes an agent's capacity and reservations out of the cluster totals (before an update or removal). */
  private unregisterAgentCapacity(agent: AgentState): void {
    accumulate(this.clusterTotal, agent.resources, -1);
    accumulate(this.clusterFree, agent.free, -1);
    for (const [role, r] of Object.entries(agent.reservations)) {
      const rr = this.roles.get(role);
      if (!rr) continue;
      rr.reservedAgents.delete(agent);
      for (const t of rr.chain) accumulate(t.reserved, r, -1);
    }
  }

  private applyAgentRemoved(id: string): void {
    const agent = this.agents.get(id);
    if (!agent) return;
    for (const slot of this.offers.slotsOnAgent(agent.slot)) this.rescind(slot, 'agent removed');
    for (const t of [...agent.tasks]) {
      this.finishTask(t.id);
      this.listener.lost?.(t, `agent '${id}' was removed`);
    }
    this.unregisterAgentCapacity(agent);
    this.filters.removeAgent(agent.slot);
    this.agentSlots.release(agent.slot);
    this.agents.delete(id);
    const idx = this.agentIndex.get(agent)!;
    const last = this.agentList.pop()!;
    if (last !== agent) {
      this.agentList[idx] = last;
      this.agentIndex.set(last, idx);
    }
    this.agentIndex.delete(agent);
    this.dirtyAgents.delete(agent);
    this.totalsChanged = true;
    this.required = null;
  }

  private applyRole(role: string, config: RoleConfig): void {
    this.configs.set(role, config);
    this.quotaRoots = quotaRoots(this.configs);
    this.ensureRole(role);
    this.roleSorter.setWeight(role, config.weight);
    for (const r of this.roles.values()) {
      r.limited = r.paths.some((p) => hasLimits(this.configs.get(p)));
      r.guaranteed = r.paths.some((p) => hasGuarantees(this.configs.get(p)));
    }
    this.required = null;
    this.freeGeneration++;
    this.allDirty = true;
  }

  private applyFramework(spec: FrameworkSpec): void {
    const fw = this.frameworkSlots.assign((slot): FrameworkState => ({
      ...spec,
      slot,
      roles: [...spec.roles],
      suppressed: new Set(),
      offers: this.offers.ofFramework(slot),
      offerRoom: spec.mode === 'offers' ? spec.maxOffers : 0,
      tasks: this.tasks.ofFramework(spec.id),
      groups: [],
    }));
    this.frameworks.set(fw.id, fw);
    for (const name of fw.roles) {
      const role = this.ensureRole(name);
      role.frameworks.add(fw);
      role.frameworkSorter.add(fw.id, fw);
      if (fw.mode === 'offers') role.offerReady++;
    }
    this.allDirty = true;
  }

  private applyFrameworkRemoved(id: string): void {
    const fw = this.frameworks.get(id);
    if (!fw) return;
    for (const slot of this.offers.slotsOfFramework(fw.slot)) this.rescind(slot, 'framework removed');
    for (const t of [...fw.tasks]) this.finishTask(t.id);
    for (const g of [...fw.groups]) this.dropGroup(g);
    const before = this.readiness(fw);
    for (const name of fw.roles) {
      const role = this.roles.get(name)!;
      if (before[fw.roles.indexOf(name)]) role.offerReady--;
      role.frameworks.delete(fw);
      role.frameworkSorter.remove(fw.id);
    }
    this.filters.removeFramework(fw.slot);
    this.frameworkSlots.release(fw.slot);
    this.frameworks.delete(id);
  }

  private applySuppress(frameworkId: string, roles: string[], suppressed: boolean): void {
    const fw = this.frameworks.get(frameworkId);
    if (!fw) return;
    const before = this.readiness(fw);
    const queuedBefore = this.queuedFlags(fw);
    for (const r of roles) {
      if (suppressed) fw.suppressed.add(r);
      else fw.suppressed.delete(r);
    }
    this.updateReadiness(fw, before);
    this.updateQueued(fw, queuedBefore);
  }

  private applyGroup(record: TaskGroupRecord): void {
    const fw = this.frameworks.get(record.frameworkId);
    if (!fw || record.remaining <= 0) return;
    const group: TaskGroup = { ...record, request: { ...record.request }, blockedAt: 0 };
    const before = this.queuedFlags(fw);
    this.groups.set(group.id, group);
    fw.groups.push(group);
    this.updateQueued(fw, before);
    this.allDirty = true;
  }

  private dropGroup(group: TaskGroup): void {
    const fw = this.frameworks.get(group.frameworkId);
    this.groups.delete(group.id);
    if (!fw) return;
    const before = this.queuedFlags(fw);
    const i = fw.groups.indexOf(group);
    if (i >= 0) fw.groups.splice(i, 1);
    this.updateQueued(fw, before);
  }

  /** Straight from the record into the table: no `Task` object per task launched, which the collector would promote. */
  private startTask(record: TaskRecord): void {
    const agent = this.agents.get(record.agentId);
    if (!agent) throw new Error(`task ${record.id} on unknown agent ${record.agentId}`);
    this.hold(agent, this.ensureRole(record.role), record.frameworkId, record.reserved ?? NO_RESOURCES, record.unreserved ?? record.resources);
    this.tasks.add(record);
  }

  private finishTask(id: string): void {
    const task = this.tasks.remove(id);
    if (task) this.release(this.agents.get(task.agentId), this.ensureRole(task.role), task.frameworkId, task.reserved, task.unreserved);
  }

  private removeOffer(slot: number, reason: string): void {
    const fw = this.frameworkSlots.at(this.offers.framework(slot));
    if (fw.offerRoom++ === 0) this.capCrossed(fw, 1);
    const { reserved, unreserved } = this.scratchReturned;
    this.offers.readInto(slot, reserved, unreserved);
    const agent = this.agentSlots.at(this.offers.agent(slot));
    const role = this.roleSlots.at(this.offers.role(slot));
    this.offers.remove(slot, reason);
    this.release(agent, role, fw.id, reserved, unreserved);
  }

  /** Takes an allocation's resources out of the agent's free pools and charges them to the role and framework. */
  private hold(agent: AgentState, role: RoleRuntime, frameworkId: string, reserved: Resources, unreserved: Resources): void {
    accumulate(this.clusterFree, unreserved, -1);
    // The pool is the agent's own object and shrinks in place: a new object per task started or offer made was most
    // of what survived into old space per cycle at 50,000 agents.
    subtractInPlace(agent.free, unreserved);
    if (!isEmpty(reserved)) agent.freeReserved.set(role.name, subtract(agent.freeReserved.get(role.name) ?? emptyResources(), reserved));
    this.charge(role, frameworkId, reserved, unreserved, 1);
  }

  /** `hold` undone; the agent is gone when its tasks are lost with it. */
  private release(agent: AgentState | undefined, role: RoleRuntime, frameworkId: string, reserved: Resources, unreserved: Resources): void {
    if (agent) {
      addInPlace(agent.free, unreserved);
      if (!isEmpty(reserved)) agent.freeReserved.set(role.name, add(agent.freeReserved.get(role.name) ?? emptyResources(), reserved));
      accumulate(this.clusterFree, unreserved, 1);
      this.dirtyAgents.add(agent);
    }
    this.charge(role, frameworkId, reserved, unreserved, -1);
    this.freeGeneration++;
  }

  private charge(role: RoleRuntime, frameworkId: string, r: Resources, u: Resources, sign: 1 | -1): void {
    const hasReserved = r.cpus !== 0 || r.mem !== 0 || r.disk !== 0 || r.gpus !== 0;
    const amount: Scalars = hasReserved ? { cpus: round3(r.cpus + u.cpus), mem: round3(r.mem + u.mem), disk: round3(r.disk + u.disk), gpus: round3(r.gpus + u.gpus) } : u;
    for (const t of role.chain) {
      accumulate(t.allocated, amount, sign);
      if (hasReserved) accumulate(t.reservedAllocated, r, sign);
    }
    if (sign > 0) {
      this.roleSorter.allocated(role.name, amount);
      if (role.frameworkSorter.has(frameworkId)) role.frameworkSorter.allocated(frameworkId, amount);
    } else {
      this.roleSorter.unallocated(role.name, amount);
      if (role.frameworkSorter.has(frameworkId)) role.frameworkSorter.unallocated(frameworkId, amount);
    }
    if (role.guaranteed) this.required = null;
  }

  private ensureRole(name: string): RoleRuntime {
    let role = this.roles.get(name);
    if (role) return role;
    const paths = selfAndAncestors(name);
    const chain = paths.map((p) => {
      let t = this.totals.get(p);
      if (!t) this.totals.set(p, (t = { allocated: emptyScalars(), reservedAllocated: emptyScalars(), reserved: emptyScalars() }));
      return t;
    });
    const frameworkSorter = new DrfSorter<FrameworkState>({ excluded: this.excluded });
    frameworkSorter.setTotal(this.clusterTotal);
    if (this.recovering) frameworkSorter.beginBulk();
    role = this.roleSlots.assign((slot) => ({
      name,
      slot,
      paths,
      chain,
      frameworks: new Set(),
      frameworkSorter,
      offerReady: 0,
      queued: 0,
      limited: paths.some((p) => hasLimits(this.configs.get(p))),
      guaranteed: paths.some((p) => hasGuarantees(this.configs.get(p))),
      reservedAgents: new Set(),
      blockedStage: 0,
    }));
    this.roles.set(name, role);
    this.roleSorter.add(name, role);
    for (const p of paths) {
      const w = this.configs.get(p)?.weight;
      if (w !== undefined) this.roleSorter.setWeight(p, w);
    }
    return role;
  }

  // --- bookkeeping that lets the loop skip roles in O(1) ----------------------------------------------------------

  private offerReadyFor(fw: FrameworkState, role: string): boolean {
    return fw.offerRoom > 0 && (fw.suppressed.size === 0 || !fw.suppressed.has(role));
  }

  /** The framework's outstanding offers just reached (-1) or left (+1) its cap. */
  private capCrossed(fw: FrameworkState, delta: 1 | -1): void {
    if (fw.mode !== 'offers') return;
    for (const r of fw.roles) if (!fw.suppressed.has(r)) this.roles.get(r)!.offerReady += delta;
  }

  private readiness(fw: FrameworkState): boolean[] {
    return fw.roles.map((r) => this.offerReadyFor(fw, r));
  }

  private updateReadiness(fw: FrameworkState, before: boolean[]): void {
    for (let i = 0; i < fw.roles.length; i++) {
      const now = this.offerReadyFor(fw, fw.roles[i]);
      if (now !== before[i]) this.roles.get(fw.roles[i])!.offerReady += now ? 1 : -1;
    }
  }

  private queuedFlags(fw: FrameworkState): boolean[] {
    return fw.roles.map((r) => fw.mode === 'queue' && !fw.suppressed.has(r) && fw.groups.some((g) => g.role === r));
  }

  private updateQueued(fw: FrameworkState, before: boolean[]): void {
    const after = this.queuedFlags(fw);
    for (let i = 0; i < fw.roles.length; i++) if (after[i] !== before[i]) this.roles.get(fw.roles[i])!.queued += after[i] ? 1 : -1;
  }

  private agentHasFree(a: AgentState): boolean {
    if (!isEmpty(a.free)) return true;
    if (a.freeReserved.size === 0) return false;
    for (const r of a.freeReserved.values()) if (!isEmpty(r)) return true;
    return false;
  }

  private requireFramework(id: string): FrameworkState {
    const fw = this.frameworks.get(id);
    if (!fw) throw notFound(`framework '${id}' is not subscribed`);
    return fw;
  }

  /** The slots of the framework's outstanding offers `ids`. */
  private resolveOffers(fw: FrameworkState, ids: string[]): number[] {
    if (ids.length === 0) throw badRequest('offerIds must name at least one offer');
    if (new Set(ids).size !== ids.length) throw badRequest('offerIds must not repeat an offer');
    return ids.map((id) => {
      const slot = this.offers.find(id);
      if (slot < 0) {
        const why = this.offers.whyGone(id);
        if (why) throw gone(`offer '${id}' is no longer valid (${why})`);
        throw notFound(`offer '${id}' is unknown`);
      }
      if (this.offers.framework(slot) !== fw.slot) throw badRequest(`offerIds: offer '${id}' was made to another framework`);
      return slot;
    });
  }
}

/** The stored form of a task (see `TaskRecord`). */
export function taskRecord(t: Task | TaskRecord): TaskRecord {
  const r: TaskRecord = { id: t.id, name: t.name, frameworkId: t.frameworkId, role: t.role, agentId: t.agentId, resources: t.resources };
  if (t.reserved && !isEmpty(t.reserved)) {
    r.reserved = t.reserved;
    r.unreserved = t.unreserved;
  }
  if (t.groupId !== undefined) r.groupId = t.groupId;
  return r;
}
