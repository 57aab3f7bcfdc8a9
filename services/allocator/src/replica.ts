/**
 * One allocator process in an HA group: it joins the election, follows until elected, then recovers the state from
 * ZooKeeper and leads — running allocation cycles, journaling every durable change before acknowledging it, and
 * pushing offers and placements to framework streams.
 *
 * A replica leads at most once. If its session expires or a journal write fails it can no longer be sure it is the
 * only leader, so it reports `fatal` and the process exits; a fresh process rejoins as a follower. This is what
 * Mesos masters do too, and it keeps "am I still the leader?" out of every request path.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger';
import { ZkClient } from '../../lib/zk-client';
import { Allocator, AllocatorOptions, taskRecord } from './allocator';
import { offerView, taskView } from './api-views';
import { FrameworkStreams } from './framework-streams';
import { LeaderElection } from './leader-election';
import type { AllocatorMetrics } from './metrics';
import type { Op, Task } from './model';
import { StateStore } from './state-store';

export interface ReplicaOptions {
  zkConnect: string;
  zkRoot: string;
  /** The URL clients reach this replica at; followers redirect there when this replica leads. */
  advertiseUrl: string;
  /** Period of the full allocation cycle. */
  intervalMs: number;
  zkSessionTimeoutMs?: number;
  snapshotEveryEntries?: number;
  allocator?: AllocatorOptions;
  logger: Logger;
  metrics: AllocatorMetrics;
}

export type ReplicaRole = 'starting' | 'following' | 'recovering' | 'leading' | 'stopped';

/** Why a replica's API answers 503 rather than serving or redirecting; `/readyz` gives the same reason. */
export const UNAVAILABLE = {
  loading: 'this replica was just elected and is loading state; retry in a moment',
  noLeader: 'no allocator leader is elected yet; retry in a moment',
} as const;

/** What the leader-only API can do on this replica at this moment. */
export type Availability = { serve: 'here' } | { serve: 'redirect'; leaderUrl: string } | { serve: 'nowhere'; reason: string };

/** Placements per journal operation: keeps every entry well below ZooKeeper's node size limit. */
const PLACEMENTS_PER_OP = 500;

export class Replica extends EventEmitter {
  role: ReplicaRole = 'starting';
  allocator: Allocator | null = null;
  readonly streams = new FrameworkStreams();
  private zk: ZkClient | null = null;
  private election: LeaderElection | null = null;
  private store: StateStore | null = null;
  private timer: NodeJS.Timeout | null = null;
  private cycleScheduled = false;
  private leaderCache: { url: string | null; at: number } | null = null;
  /** Cycles are held (Mesos's allocator `pause`): for maintenance, or to set up a scenario and allocate it at once. */
  private paused = false;

  constructor(readonly options: ReplicaOptions) {
    super();
  }

  get isLeader(): boolean {
    return this.role === 'leading';
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    this.zk = await ZkClient.connect({ connect: this.options.zkConnect, sessionTimeoutMs: this.options.zkSessionTimeoutMs ?? 6000 });
    this.zk.on('expired', () => this.fatal(new Error('zookeeper session expired')));
    this.zk.on('disconnected', () => logger.warn('zookeeper connection lost; retrying'));
    this.election = new LeaderElection(this.zk, `${this.options.zkRoot}/election`, this.options.advertiseUrl, logger);
    this.election.on('error', (err: Error) => this.fatal(err));
    this.election.on('elected', () => {
      this.lead().catch((err) => this.fatal(err));
    });
    this.role = 'following';
    await this.election.start();
  }

  /** Where clients should go: this replica's URL if it leads, else the leader's (null while nobody leads). */
  async leaderUrl(): Promise<string | null> {
    if (this.isLeader) return this.options.advertiseUrl;
    // Redirects come in bursts when a client follows a stale address; a short cache spares ZooKeeper the reads.
    if (this.leaderCache && Date.now() - this.leaderCache.at < 250) return this.leaderCache.url;
    const election = this.election;
    const info = election ? await election.leader() : null;
    // Our own node first in line means we are being elected and do not serve yet; a redirect would point at ourselves.
    const url = info && info.node !== election?.node ? info.url : null;
    this.leaderCache = { url, at: Date.now() };
    return url;
  }

  /**
   * Serve, redirect, or neither and why. The API's answer and readiness both come from here, so a replica is ready
   * exactly when its API answers something other than 503: not while it loads state after being elected, and not
   * while it follows nobody.
   */
  async availability(): Promise<Availability> {
    switch (this.role) {
      case 'leading':
        return { serve: 'here' };
      case 'recovering':
        return { serve: 'nowhere', reason: UNAVAILABLE.loading };
      case 'following': {
        const leaderUrl = await this.leaderUrl().catch(() => null);
        return leaderUrl ? { serve: 'redirect', leaderUrl } : { serve: 'nowhere', reason: UNAVAILABLE.noLeader };
      }
      default:
        return { serve: 'nowhere', reason: `this replica is ${this.role}; retry in a moment` };
    }
  }

  /** `/readyz`: ready when the API serves or redirects. */
  async readiness(): Promise<{ ready: boolean; reason?: string }> {
    const state = await this.availability();
    return state.serve === 'nowhere' ? { ready: false, reason: state.reason } : { ready: true };
  }

  /**
   * Runs a change against the allocator and resolves once its operations are durable. `change` validates before it
   * mutates (throwing leaves the state untouched), so a refused request is never journaled.
   */
  async commit<T>(change: (a: Allocator) => { ops: Op[]; result: T }, options: { cycleNow?: boolean } = {}): Promise<T> {
    const allocator = this.requireLeader();
    const { ops, result } = change(allocator);
    if (options.cycleNow !== false) this.scheduleCycle();
    try {
      await this.store!.append(ops);
    } catch (err) {
      // Memory is now ahead of what ZooKeeper holds: this replica must not go on leading.
      this.fatal(err as Error);
      throw err;
    }
    return result;
  }

  requireLeader(): Allocator {
    if (!this.isLeader || !this.allocator) throw new NotLeaderError();
    return this.allocator;
  }

  /** Runs an event-driven cycle over the agents that changed, once per turn of the event loop. */
  scheduleCycle(): void {
    if (this.cycleScheduled || !this.isLeader) return;
    this.cycleScheduled = true;
    setImmediate(() => {
      this.cycleScheduled = false;
      if (this.isLeader && this.allocator?.hasDirtyAgents()) this.runCycle('changed');
    });
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Holds allocation; changes are still accepted and journaled. Not persisted: a new leader starts unpaused. */
  pause(): void {
    this.paused = true;
  }

  /** Resumes allocation with a full cycle at once. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.runCycle('all');
  }

  async stop(): Promise<void> {
    const wasLeading = this.isLeader;
    this.role = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.streams.close();
    if (wasLeading && this.store) {
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([this.store.drained(), new Promise((r) => (timeout = setTimeout(r, 2000)))]);
      clearTimeout(timeout);
    }
    this.options.metrics.leader.set(0);
    this.options.metrics.track(null);
    // Closing the session deletes our election node at once, so a follower takes over without waiting for a timeout.
    this.zk?.close();
  }

  private async lead(): Promise<void> {
    const { logger, metrics } = this.options;
    this.role = 'recovering';
    const started = Date.now();
    const store = new StateStore(this.zk!, `${this.options.zkRoot}/state`, logger, {
      snapshotEveryEntries: this.options.snapshotEveryEntries,
      onWrite: (seconds, ops) => {
        metrics.journalWriteSeconds.observe(seconds);
        metrics.journalBatchOps.observe(ops);
      },
    });
    const loaded = await store.load();
    const allocator = new Allocator(this.options.allocator);
    allocator.recover(loaded.snapshot, loaded.ops);
    allocator.listener = {
      offer: (o) => {
        metrics.offers.inc();
        this.streams.publish(o.frameworkId, 'offer', offerView(o, allocator.agents.get(o.agentId)));
      },
      rescind: (o, reason) => {
        metrics.rescinds.inc({ reason });
        this.streams.publish(o.frameworkId, 'rescind', { offerId: o.id, reason });
      },
      // Lost tasks are reported by the agent-removal request once the removal is durable, not from here.
    };
    this.store = store;
    this.allocator = allocator;
    if (this.role !== 'recovering') return;
    this.role = 'leading';
    metrics.leader.set(1);
    metrics.track(allocator);
    logger.info({ ms: Date.now() - started, agents: allocator.agents.size, frameworks: allocator.frameworks.size, tasks: allocator.tasks.size, replayed: loaded.ops.length }, 'leading');
    this.emit('leading');
    this.timer = setInterval(() => this.runCycle('all'), this.options.intervalMs);
    this.runCycle('all');
  }

  private runCycle(scope: 'all' | 'changed'): void {
    const allocator = this.allocator;
    const store = this.store;
    if (!allocator || !store || !this.isLeader || this.paused) return;
    const started = process.hrtime.bigint();
    const result = allocator.allocate(scope);
    this.options.metrics.cycleSeconds.observe({ scope }, Number(process.hrtime.bigint() - started) / 1e9);
    if (result.placed.length > 0) this.journalPlacements(result.placed);
    if (store.snapshotDue()) store.takeSnapshot(allocator.snapshot());
  }

  /** Placements are announced only once durable: a framework must never hear of a task a new leader would not know. */
  private journalPlacements(placed: Task[]): void {
    const ops: Op[] = [];
    for (let i = 0; i < placed.length; i += PLACEMENTS_PER_OP) ops.push({ t: 'place', tasks: placed.slice(i, i + PLACEMENTS_PER_OP).map(taskRecord) });
    this.options.metrics.placements.inc(placed.length);
    this.store!.append(ops).then(
      () => {
        const byFramework = new Map<string, ReturnType<typeof taskView>[]>();
        for (const t of placed) {
          let list = byFramework.get(t.frameworkId);
          if (!list) byFramework.set(t.frameworkId, (list = []));
          list.push(taskView(t));
        }
        for (const [fw, tasks] of byFramework) this.streams.publish(fw, 'tasks', { tasks });
      },
      (err) => this.fatal(err),
    );
  }

  private fatal(err: Error): void {
    if (this.role === 'stopped') return;
    this.options.logger.error({ err }, 'replica cannot continue');
    this.role = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.streams.close();
    this.emit('fatal', err);
  }
}

export class NotLeaderError extends Error {
  constructor() {
    super('this replica is not the leader');
    this.name = 'NotLeaderError';
  }
}
