/**
 * The cutover phase machine: copy → sync (until lag stays under the threshold) → freeze the source → drain and
 * verify → switch (publish the target's connect string) → reverse sync for the rollback window → done; or
 * rolling-back → rolled-back from any phase before done.
 *
 * The phase and everything needed to resume it (the freeze credentials and original ACLs) live in the state store,
 * outside the synced tree, and every phase is written so that running it again after a crash is harmless: the
 * copy is a compare, freezing skips frozen nodes, publishing overwrites. Each phase's duration is logged and kept.
 */
import type { Logger } from '../../lib/logger';
import { OPEN_ACL_UNSAFE } from '../../lib/zk-client';
import { authenticate, freezeAcl, FreezeOptions, FreezeRecord, freezeLens, freezeTree, newFreezeCredentials, unfreezeTree } from './acl-freeze';
import type { EngineConfig } from './config';
import { ConnectPublisher } from './connect-publisher';
import type { EnsembleSide } from './ensemble-side';
import type { SyncMetrics } from './metrics';
import { PathFilter } from './path-filter';
import type { AclLens } from './replicator';
import type { Rel } from './tree-paths';
import { SyncSession } from './sync-session';
import { dirname, basename } from 'node:path';
import { StateStore } from './state-store';
import { verifyTrees, VerifyReport } from './verify';

export const CUTOVER_PHASES = ['copy', 'sync', 'freeze', 'drain', 'switch', 'reverse-sync', 'done', 'rolling-back', 'rolled-back'] as const;
export type CutoverPhase = (typeof CUTOVER_PHASES)[number];

const FORWARD: CutoverPhase[] = ['copy', 'sync', 'freeze', 'drain'];
const STATE_FILE = 'cutover.json';
const ROLLBACK_FILE = 'rollback-requested';

export interface CutoverState {
  job: string;
  source: string;
  target: string;
  phase: CutoverPhase;
  phaseStartedAt: string;
  history: { phase: CutoverPhase; startedAt: string; durationMs: number }[];
  freezeSource?: FreezeRecord;
  freezeTarget?: FreezeRecord;
  rollbackFrom?: CutoverPhase;
  /** Refreshed while a runner is alive, so `rollback` knows whether to act itself. */
  aliveAt?: string;
  lastVerify?: { equal: boolean; differences: number; nodes: number };
}

export function isTerminal(phase: CutoverPhase): boolean {
  return phase === 'done' || phase === 'rolled-back';
}

export function readCutoverState(store: StateStore): CutoverState | undefined {
  return store.readJson<CutoverState>(STATE_FILE);
}

/** Asks a running (or the next) cutover to roll back. */
export function requestRollback(store: StateStore): void {
  store.writeBuffer(ROLLBACK_FILE, new Date().toISOString());
}

export interface CutoverOptions {
  config: EngineConfig;
  store: StateStore;
  source: EnsembleSide;
  target: EnsembleSide;
  metrics: SyncMetrics;
  logger: Logger;
}

export class Cutover {
  state: CutoverState;
  session?: SyncSession;
  private readonly publisher: ConnectPublisher;
  private aliveTimer?: NodeJS.Timeout;

  constructor(private readonly options: CutoverOptions) {
    const { config, store, source, target } = options;
    const existing = readCutoverState(store);
    if (existing && (existing.source !== config.source.connect || existing.target !== config.target.connect)) {
      throw new Error(`state dir ${store.dir} holds cutover "${existing.job}" from ${existing.source} to ${existing.target}; use another --state-dir for a different pair`);
    }
    this.state = existing ?? { job: config.job, source: config.source.connect, target: config.target.connect, phase: 'copy', phaseStartedAt: new Date().toISOString(), history: [] };
    const file = config.publishFile ? { store: new StateStore(dirname(config.publishFile)), name: basename(config.publishFile) } : undefined;
    this.publisher = new ConnectPublisher([source, target], config.publishZnode, file);
  }

  get phase(): CutoverPhase {
    return this.state.phase;
  }

  /** Asks this cutover to roll back at its next step (what `sync-engine rollback` and the HTTP route do). */
  requestRollback(): void {
    requestRollback(this.options.store);
  }

  rollbackRequested(): boolean {
    return this.options.store.readBuffer(ROLLBACK_FILE) !== undefined;
  }

  /** Runs (or resumes) the cutover to done or rolled-back. */
  async run(): Promise<CutoverState> {
    const { logger, metrics, store } = this.options;
    if (isTerminal(this.state.phase)) return this.state;
    logger.info({ phase: this.state.phase, resumed: this.state.history.length > 0 }, 'cutover running');
    metrics.setPhase(this.state.phase);
    this.save();
    this.aliveTimer = setInterval(() => this.save(), 1000);
    try {
      if (this.state.phase === 'rolling-back' || this.rollbackRequested()) await this.rollBack();
      else await this.forward();
      return this.state;
    } finally {
      clearInterval(this.aliveTimer);
      this.state.aliveAt = undefined;
      this.save();
      if (isTerminal(this.state.phase)) store.writeBuffer(ROLLBACK_FILE + '.done', this.state.phase);
    }
  }

  private async forward(): Promise<void> {
    const { config, source, target } = this.options;
    await this.restoreFreezes();
    const reverse = this.state.phase === 'switch' || this.state.phase === 'reverse-sync';
    const session = this.openSession(reverse ? 'b-to-a' : 'a-to-b');
    if (this.state.phase === 'copy') await this.publish(source);
    await session.start();
    if (this.state.phase === 'copy') this.advance('sync');

    while (!isTerminal(this.state.phase)) {
      if (this.rollbackRequested()) return this.rollBack();
      switch (this.state.phase) {
        case 'sync':
          if (await this.lagStable()) this.advance('freeze');
          break;
        case 'freeze': {
          session.stopHeartbeat();
          const record = (this.state.freezeSource ??= { credentials: newFreezeCredentials(config.job), originals: {} });
          this.save();
          this.applyLenses();
          const replicaAcl = this.replicaAcl(session, source, target);
          const changed = await freezeTree({ side: source, filter: session.filter, record, persist: () => this.save(), maxInFlight: config.maxInFlight, replicaAcl });
          this.options.logger.info({ nodes: changed }, 'source frozen');
          this.advance('drain');
          break;
        }
        case 'drain':
          if (await this.drain(source, target)) this.advance('switch');
          break;
        case 'switch':
          await this.publish(target);
          session.replicator.setDirection('b-to-a');
          session.startHeartbeat('target');
          this.advance('reverse-sync');
          break;
        case 'reverse-sync':
          if (Date.now() - Date.parse(this.state.phaseStartedAt) >= config.rollbackWindowMs) {
            await this.finish();
            this.advance('done');
          } else await sleep(100);
          break;
        default:
          throw new Error(`cutover cannot continue from phase ${this.state.phase}`);
      }
    }
  }

  /** Sync → freeze once the heartbeat lag has stayed under the threshold for the stable period. */
  private stableSince?: number;
  private async lagStable(): Promise<boolean> {
    const { config } = this.options;
    const session = this.session!;
    await sleep(Math.min(100, Math.max(10, config.heartbeatMs)));
    const lag = session.lag ? session.lag.currentLagMs() : session.replicator.queueDepth === 0 ? 0 : Infinity;
    if (lag < config.lagThresholdMs && session.replicator.queueDepth < 100) {
      this.stableSince ??= Date.now();
      return Date.now() - this.stableSince >= config.lagStableMs;
    }
    this.stableSince = undefined;
    return false;
  }

  /**
   * Drain: the frozen side takes no more client writes, so once the session has caught up with its server and the
   * replicator is idle, everything written has been copied. Verify proves it; if it does not, a full compare fixes
   * what the watches missed and verify runs again.
   */
  private async drain(from: EnsembleSide, to: EnsembleSide): Promise<boolean> {
    const session = this.session!;
    const started = Date.now();
    // On the data session, which holds the watch: its reply follows every event of the writes before it.
    await from.sync();
    await session.replicator.idle();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const report = await this.verify(from, to);
      this.state.lastVerify = { equal: report.equal, differences: report.differences.length, nodes: report.sourceNodes };
      this.options.logger.info({ attempt, equal: report.equal, differences: report.differences.slice(0, 20), nodes: report.sourceNodes, durationMs: Date.now() - started }, 'drain verify');
      if (report.equal) return true;
      await session.replicator.fullCompare();
      await session.replicator.idle();
    }
    throw new Error('drain: the trees still differ after 5 full compares; the cutover stays frozen in phase drain (rollback or investigate)');
  }

  private verify(from: EnsembleSide, to: EnsembleSide): Promise<VerifyReport> {
    const { config } = this.options;
    const lens = this.lens();
    const source = from.name === 'source' ? from : to;
    const target = from.name === 'source' ? to : from;
    const filter = new PathFilter({ include: config.include, exclude: [...config.exclude, config.heartbeatRel] });
    // The drained side is frozen: every node carries the freeze ACL, which only the engine may change, so its ACLs
    // are known — each one compares as the original the freeze recorded — and are not read.
    const record = from === this.options.source ? this.state.freezeSource : this.state.freezeTarget;
    const frozen = record && freezeAcl(record.credentials);
    const knownAcls = frozen && { side: from, acl: (rel: Rel) => lens.view(from, rel, frozen) };
    return verifyTrees({ source, target, filter, maxInFlight: config.maxInFlight, aclView: lens.view, knownAcls });
  }

  private async finish(): Promise<void> {
    const { config, source, target } = this.options;
    await this.session?.stop();
    // The heartbeat was only ever a measuring device.
    for (const side of [source, target]) await side.client.delete(side.abs(config.heartbeatRel)).catch(() => undefined);
  }

  /** Rolls back from the phase the cutover is in (or was in, when resuming an interrupted rollback). */
  private async rollBack(): Promise<void> {
    const { config, source, target, logger } = this.options;
    if (this.state.phase !== 'rolling-back') {
      this.state.rollbackFrom = this.state.phase;
      this.advance('rolling-back');
    }
    const from = this.state.rollbackFrom!;
    logger.warn({ from }, 'rolling back');
    await this.restoreFreezes();
    if (!FORWARD.includes(from)) {
      // Clients already write to the target: freeze it, drain what they wrote back to the source, then reopen it.
      const session = this.session ?? this.openSession('b-to-a');
      if (!this.session?.initialCompareDone) await session.start();
      session.stopHeartbeat();
      session.replicator.setDirection('b-to-a');
      const record = (this.state.freezeTarget ??= { credentials: newFreezeCredentials(config.job), originals: {} });
      this.save();
      this.applyLenses();
      await freezeTree({ side: target, filter: session.filter, record, persist: () => this.save(), maxInFlight: config.maxInFlight, replicaAcl: this.replicaAcl(session, target, source) });
      await this.drain(target, source);
    }
    await this.session?.stop();
    if (this.state.freezeSource) await unfreezeTree({ side: source, filter: new PathFilter({ include: config.include, exclude: config.exclude }), record: this.state.freezeSource, maxInFlight: config.maxInFlight });
    await this.publish(source);
    for (const side of [source, target]) await side.client.delete(side.abs(config.heartbeatRel)).catch(() => undefined);
    this.advance('rolled-back');
  }

  private openSession(direction: 'a-to-b' | 'b-to-a'): SyncSession {
    const { config, store, source, target, metrics, logger } = this.options;
    this.session = new SyncSession({ config: { ...config, twoWay: false }, source, target, store, metrics, logger, direction });
    this.applyLenses();
    return this.session;
  }

  private async restoreFreezes(): Promise<void> {
    if (this.state.freezeSource) await authenticate(this.options.source, this.state.freezeSource.credentials);
    if (this.state.freezeTarget) await authenticate(this.options.target, this.state.freezeTarget.credentials);
  }

  /**
   * For the freeze of `frozen`: a node's original ACL without a getAcl on the frozen side, when the ledger recorded
   * both ACL versions as equal and the frozen side's has not moved since (it is at `aversion`, and the freeze is
   * conditional on that). A world-open ACL the ledger marked is known outright; any other is read from `replica`
   * (spreading the freeze's reads over both ensembles) if the replica's version has not moved either. Seen through
   * the lenses, like the replicator compares them, so a frozen replica yields its original.
   */
  private replicaAcl(session: SyncSession, frozen: EnsembleSide, replica: EnsembleSide): NonNullable<FreezeOptions['replicaAcl']> {
    const lens = this.lens();
    return async (rel, aversion) => {
      const entry = session.ledger.get(rel);
      const [mine, theirs] = frozen === this.options.source ? [entry?.a, entry?.b] : [entry?.b, entry?.a];
      if (mine?.aversion !== aversion || theirs?.aversion === undefined) return null;
      if (entry!.openAcl) return OPEN_ACL_UNSAFE; // known without asking either side
      const acl = await replica.acl(rel).catch(() => null);
      return acl && acl.stat.aversion === theirs.aversion ? lens.view(replica, rel, acl.acl) : null;
    };
  }

  private lens(): AclLens {
    const lenses: AclLens[] = [];
    if (this.state.freezeSource) lenses.push(freezeLens(this.options.source, this.state.freezeSource));
    if (this.state.freezeTarget) lenses.push(freezeLens(this.options.target, this.state.freezeTarget));
    return {
      view: (side, rel, acl) => lenses.reduce((a, l) => l.view(side, rel, a), acl),
      write: (side, rel, acl) => lenses.reduce((a, l) => l.write(side, rel, a), acl),
    };
  }

  private applyLenses(): void {
    this.session?.replicator.setAclLens(this.lens());
  }

  private async publish(side: EnsembleSide): Promise<void> {
    await this.publisher.publish({ connect: side.connectString, job: this.state.job, phase: this.state.phase, at: new Date().toISOString() });
    this.options.logger.info({ connect: side.connectString, znode: this.publisher.znode }, 'published active connect string');
  }

  private advance(next: CutoverPhase): void {
    const now = Date.now();
    const startedAt = this.state.phaseStartedAt;
    const durationMs = now - Date.parse(startedAt);
    this.state.history.push({ phase: this.state.phase, startedAt, durationMs });
    this.options.logger.info({ phase: this.state.phase, durationMs, next }, 'cutover phase finished');
    this.state.phase = next;
    this.state.phaseStartedAt = new Date(now).toISOString();
    this.stableSince = undefined;
    this.options.metrics.setPhase(next);
    this.save();
  }

  private save(): void {
    if (this.aliveTimer) this.state.aliveAt = new Date().toISOString();
    this.options.store.writeJson(STATE_FILE, this.state);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
