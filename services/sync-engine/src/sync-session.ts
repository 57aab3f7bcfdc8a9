/**
 * A running sync between two opened sides: the replicator, its ledger and conflict record (restored from and
 * snapshotted to the state store when there is one), and the lag heartbeat. `sync`, `cutover` and service mode
 * all run one of these; they differ only in what they do around it.
 */
import { OPEN_ACL_UNSAFE, ZkAcl, ZkStat } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import { ConflictLog, ConflictRecord } from './conflict-log';
import { directionOf, EngineConfig, filterOf } from './config';
import type { Direction } from './conflict-policy';
import type { EnsembleSide } from './ensemble-side';
import { LagHeartbeat } from './lag-heartbeat';
import type { SyncMetrics } from './metrics';
import type { PathFilter } from './path-filter';
import { Replicator } from './replicator';
import type { StateStore } from './state-store';
import { copiedEntry, SyncLedger } from './sync-ledger';
import { copyTree } from './tree-copy';
import type { Rel } from './tree-paths';
import { aclEqual } from './tree-hash';

const LEDGER_FILE = 'ledger.json.gz';
const SNAPSHOT_EVERY_MS = 1000;
const SNAPSHOT_COST_FACTOR = 20;
const CONFLICTS_FILE = 'conflicts.jsonl';

export interface SyncSessionOptions {
  config: EngineConfig;
  source: EnsembleSide;
  target: EnsembleSide;
  store?: StateStore;
  metrics: SyncMetrics;
  logger: Logger;
  direction?: Direction;
}

export interface SyncStatus {
  direction: Direction;
  queueDepth: number;
  writes: number;
  ledgerEntries: number;
  conflicts: number;
  lagMs: number | null;
  initialCompareDone: boolean;
}

export class SyncSession {
  readonly filter: PathFilter;
  readonly ledger: SyncLedger;
  readonly conflicts: ConflictLog;
  readonly replicator: Replicator;
  private heartbeat?: LagHeartbeat;
  private snapshotTimer?: NodeJS.Timeout;
  private snapshotting?: Promise<void>;
  private savedGeneration = -1;
  initialCompareDone = false;

  constructor(private readonly options: SyncSessionOptions) {
    const { config, store, logger } = options;
    this.filter = filterOf(config);
    const snapshot = store?.readBuffer(LEDGER_FILE);
    this.ledger = snapshot ? SyncLedger.restore(snapshot) : new SyncLedger();
    if (snapshot) logger.info({ entries: this.ledger.size }, 'ledger restored');
    this.conflicts = new ConflictLog(10_000, store ? (r) => store.appendLine(CONFLICTS_FILE, JSON.stringify(r)) : undefined);
    if (store) this.conflicts.load(store.readLines(CONFLICTS_FILE).map((line) => JSON.parse(line) as ConflictRecord));
    this.replicator = new Replicator({
      a: options.source,
      b: options.target,
      filter: this.filter,
      direction: options.direction ?? directionOf(config),
      policy: config.policy,
      ledger: this.ledger,
      conflicts: this.conflicts,
      metrics: options.metrics,
      logger,
      concurrency: config.concurrency,
      fullCompareIntervalMs: config.fullCompareIntervalMs,
    });
  }

  /** Runs the initial full compare (the initial copy) and keeps replicating; resolves when the first compare is done. */
  async start(): Promise<void> {
    const started = Date.now();
    if (this.options.store) this.scheduleSnapshot(SNAPSHOT_EVERY_MS);
    if (this.options.target.root !== '/') await this.options.target.client.mkdirp(this.options.target.root);
    if (this.ledger.size === 0 && this.replicator.currentDirection !== 'b-to-a') await this.bulkCopyFirst();
    await this.replicator.start();
    this.initialCompareDone = true;
    this.options.logger.info({ durationMs: Date.now() - started, nodes: this.ledger.size }, 'initial compare done; replicating');
    this.startHeartbeat(this.replicator.currentDirection === 'b-to-a' ? 'target' : 'source');
  }

  /**
   * A first start (nothing synced yet) creates what the target lacks in bulk before the initial compare: the bulk
   * copy walks the source tree depth first, many nodes in flight, with its creates batched into multi
   * transactions, while the compare visits each path through the replicator's queue and decides it alone. A node
   * missing on the target with no history is copied there under every policy, so this only does the compare's
   * work earlier; nodes on both sides (and differing ones, which may be conflicts to record) are left to the
   * compare, which still runs over everything and stays the authority.
   */
  private async bulkCopyFirst(): Promise<void> {
    const { source, target, logger } = this.options;
    // What the copy created is synced: the ledger records it (the target's czxid unknown until first read), and
    // the ACL versions (and whether the ACL is world-open) where the create set the final ACL, so the compare
    // reads neither ACL of those nodes.
    const onCreated = (rel: Rel, stat: ZkStat, acl: { acl: ZkAcl[]; aversion: number } | null): void =>
      this.ledger.set(rel, copiedEntry('a', stat, acl && { aversion: acl.aversion, open: aclEqual(acl.acl, OPEN_ACL_UNSAFE) }));
    const report = await copyTree({ source, target, filter: this.filter, maxInFlight: this.options.config.maxInFlight, logger, missingOnly: true, onCreated });
    logger.info({ created: report.created, durationMs: report.durationMs }, 'bulk copy of missing nodes before the initial compare');
  }

  /** (Re)starts the heartbeat from `origin`; a heartbeat period of 0 disables it. */
  startHeartbeat(origin: 'source' | 'target'): void {
    this.stopHeartbeat();
    const { config, source, target, metrics, logger } = this.options;
    if (config.heartbeatMs <= 0) return;
    const [from, to] = origin === 'source' ? [source, target] : [target, source];
    this.heartbeat = new LagHeartbeat({ origin: from, destination: to, rel: config.heartbeatRel, intervalMs: config.heartbeatMs, metrics, logger });
    this.heartbeat.start();
  }

  stopHeartbeat(): void {
    this.heartbeat?.stop();
    this.heartbeat = undefined;
  }

  get lag(): LagHeartbeat | undefined {
    return this.heartbeat;
  }

  status(): SyncStatus {
    const lag = this.heartbeat?.currentLagMs();
    return {
      direction: this.replicator.currentDirection,
      queueDepth: this.replicator.queueDepth,
      writes: this.replicator.writes,
      ledgerEntries: this.ledger.size,
      conflicts: this.conflicts.count,
      lagMs: lag === undefined || !Number.isFinite(lag) ? null : lag,
      initialCompareDone: this.initialCompareDone,
    };
  }

  saveLedger(): void {
    const store = this.options.store;
    if (!store || this.ledger.changes === this.savedGeneration) return;
    const generation = this.ledger.changes;
    store.writeBuffer(LEDGER_FILE, this.ledger.snapshot());
    this.savedGeneration = generation;
  }

  /**
   * Snapshots the ledger while replicating: compressed and written off the event loop, one at a time, and at most
   * every SNAPSHOT_EVERY_MS or SNAPSHOT_COST_FACTOR times what the last one cost the loop, whichever is longer —
   * a 100,000-entry ledger saved every second blocked the loop long enough that the lag never settled.
   */
  private scheduleSnapshot(delayMs: number): void {
    this.snapshotTimer = setTimeout(() => {
      const store = this.options.store!;
      const generation = this.ledger.changes;
      if (generation === this.savedGeneration) return this.scheduleSnapshot(SNAPSHOT_EVERY_MS);
      const started = performance.now();
      const pending = this.ledger.snapshotAsync();
      const blockedMs = performance.now() - started;
      this.snapshotting = pending
        .then((buffer) => store.writeBufferAsync(LEDGER_FILE, buffer))
        .then(
          () => {
            this.savedGeneration = generation;
          },
          (err: Error) => this.options.logger.error({ err: err.message }, 'ledger snapshot failed; retrying'),
        )
        .finally(() => {
          this.snapshotting = undefined;
          if (this.snapshotTimer) this.scheduleSnapshot(Math.max(SNAPSHOT_EVERY_MS, SNAPSHOT_COST_FACTOR * blockedMs));
        });
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.stopHeartbeat();
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    await this.replicator.stop();
    await this.snapshotting;
    this.saveLedger();
  }
}
