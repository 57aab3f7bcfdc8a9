/**
 * Replication lag, measured rather than guessed: a heartbeat node inside the synced tree is written on the origin
 * side at a fixed rate with the time of writing, and a watch on the other side times its arrival. The engine
 * replicates the heartbeat like any other node, so the figure is the end-to-end lag a client would see. Writer and
 * observer run in the same process, so one clock timestamps both ends.
 */
import { isZkError, ZkCode } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import type { EnsembleSide } from './ensemble-side';
import type { SyncMetrics } from './metrics';
import type { Rel } from './tree-paths';

export interface LagHeartbeatOptions {
  origin: EnsembleSide;
  destination: EnsembleSide;
  rel: Rel;
  intervalMs: number;
  metrics: SyncMetrics;
  logger: Logger;
}

const WINDOW = 20;

export class LagHeartbeat {
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private writing = false;
  private readonly sentAt = new Map<number, number>();
  private readonly samples: number[] = [];
  private lastSeen = 0;
  private stopped = false;
  private readonly onRenewed = (): void => void this.observe();

  constructor(private readonly options: LagHeartbeatOptions) {}

  get direction(): string {
    return `${this.options.origin.name}-to-${this.options.destination.name}`;
  }

  start(): void {
    this.stopped = false;
    this.options.destination.on('renewed', this.onRenewed);
    void this.observe();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.options.destination.off('renewed', this.onRenewed);
  }

  /**
   * The lag now: the worst of the recent samples, or — if a heartbeat is overdue — how long the oldest unseen one
   * has been travelling, so a stalled replicator reads as lagging rather than as quiet.
   */
  currentLagMs(): number {
    const now = Date.now();
    let worst = this.samples.length ? Math.max(...this.samples) : Infinity;
    for (const [seq, at] of this.sentAt) if (seq > this.lastSeen) worst = Math.max(Number.isFinite(worst) ? worst : 0, now - at);
    return worst;
  }

  /** Samples measured so far in the recent window, oldest first. */
  recentSamples(): number[] {
    return [...this.samples];
  }

  private async beat(): Promise<void> {
    if (this.writing || this.stopped) return;
    this.writing = true;
    const { origin, rel } = this.options;
    const seq = ++this.seq;
    const at = Date.now();
    const data = JSON.stringify({ seq, at });
    try {
      this.sentAt.set(seq, at);
      try {
        await origin.client.set(origin.abs(rel), data);
      } catch (err) {
        if (!isZkError(err, ZkCode.NONODE)) throw err;
        await origin.client.create(origin.abs(rel), data);
      }
    } catch (err) {
      this.sentAt.delete(seq);
      this.options.logger.debug({ err: (err as Error).message }, 'heartbeat write failed');
    } finally {
      this.writing = false;
    }
    // Forget beats that never arrived (overwritten before replication saw them) once newer ones have.
    for (const s of this.sentAt.keys()) if (s <= this.lastSeen || this.sentAt.size > 1000) this.sentAt.delete(s);
  }

  private async observe(): Promise<void> {
    if (this.stopped) return;
    const { destination, rel } = this.options;
    const watcher = (): void => void this.observe();
    try {
      const stat = await destination.client.exists(destination.abs(rel), watcher);
      if (!stat) return; // the exists watch fires on creation
      const node = await destination.client.get(destination.abs(rel));
      this.arrived(node.data);
    } catch (err) {
      if (isZkError(err, ZkCode.NONODE)) return void this.observe();
      this.options.logger.debug({ err: (err as Error).message }, 'heartbeat observe failed; retrying');
      setTimeout(() => void this.observe(), 200);
    }
  }

  private arrived(data: Buffer): void {
    let beat: { seq: number; at: number };
    try {
      beat = JSON.parse(data.toString('utf8')) as { seq: number; at: number };
    } catch {
      return;
    }
    if (typeof beat.seq !== 'number' || typeof beat.at !== 'number' || beat.seq <= this.lastSeen || !this.sentAt.has(beat.seq)) return;
    this.lastSeen = beat.seq;
    const lag = Date.now() - beat.at;
    this.sentAt.delete(beat.seq);
    this.samples.push(lag);
    if (this.samples.length > WINDOW) this.samples.shift();
    this.options.metrics.lag.observe({ direction: this.direction }, lag / 1000);
  }
}
