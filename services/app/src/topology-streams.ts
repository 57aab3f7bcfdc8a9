/**
 * Live views over WebSocket: a snapshot when a socket subscribes, then a diff (added, updated, removed) per new
 * generation, at most once per `minIntervalMs` per socket. Sockets watching the same query share one view and one
 * serialised diff. A socket that does not drain (its send buffer over `maxBufferedBytes`) is skipped rather than
 * queued for, and gets a fresh snapshot once it has drained.
 */
import type { TopologyView } from './api-shapes';
import type { AppMetrics } from './metrics';
import type { CachedView, TopologyService } from './topology-service';
import { diffViews, isEmptyDiff } from './view-diff';

/** What a stream needs of a WebSocket (ws's WebSocket has it). */
export interface StreamSocket {
  /** `fin: false` sends a fragment of a message whose last fragment comes with the next sends (`fin` true). */
  send(data: string | Buffer, options?: { binary?: boolean; fin?: boolean }): void;
  readonly bufferedAmount: number;
  readonly readyState: number;
}

const OPEN = 1;

interface Subscription {
  socket: StreamSocket;
  cached: CachedView;
  /** The view this socket's client holds: the last snapshot with every diff since applied. */
  sent: TopologyView;
  sentGeneration: number;
  seq: number;
  lastSentAt: number;
  resync: boolean;
}

export interface TopologyStreamsOptions {
  minIntervalMs?: number;
  maxBufferedBytes?: number;
  metrics?: AppMetrics;
}

export class TopologyStreams {
  private readonly subscriptions = new Set<Subscription>();
  private readonly minIntervalMs: number;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly service: TopologyService,
    private readonly options: TopologyStreamsOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    service.onGeneration(() => this.flush());
  }

  get size(): number {
    return this.subscriptions.size;
  }

  /** Sends the snapshot; returns the handle to `unsubscribe` with. */
  subscribe(socket: StreamSocket, cached: CachedView): object {
    const sub: Subscription = { socket, cached, sent: cached.view, sentGeneration: cached.generation, seq: 0, lastSentAt: 0, resync: false };
    this.service.retain(cached, 1);
    this.subscriptions.add(sub);
    this.snapshot(sub);
    return sub;
  }

  unsubscribe(handle: object): void {
    const sub = handle as Subscription;
    if (!this.subscriptions.delete(sub)) return;
    this.service.retain(sub.cached, -1);
  }

  /** Sends what is due: called after each generation and on every tick (a socket may not have been due before). */
  flush(): void {
    const now = this.service.clock();
    const diffs = new Map<TopologyView, string | null>();
    for (const sub of this.subscriptions) {
      if (sub.socket.readyState !== OPEN) continue;
      if (sub.cached.generation === sub.sentGeneration && !sub.resync) continue;
      if (now - sub.lastSentAt < this.minIntervalMs) continue;
      if (sub.socket.bufferedAmount > this.maxBufferedBytes) {
        sub.resync = true;
        continue;
      }
      if (sub.resync) {
        this.snapshot(sub);
        continue;
      }
      let body = diffs.get(sub.sent);
      if (body === undefined) {
        const changes = diffViews(sub.sent, sub.cached.view);
        body = isEmptyDiff(changes, sub.sent) ? null : JSON.stringify(changes).slice(1);
        diffs.set(sub.sent, body);
      }
      if (body === null) {
        // Nothing to tell; the client's view stays the one it was last sent, which diffs keep being taken from.
        sub.sentGeneration = sub.cached.generation;
        continue;
      }
      sub.sent = sub.cached.view;
      sub.sentGeneration = sub.cached.generation;
      sub.seq++;
      sub.lastSentAt = now;
      sub.socket.send(`{"type":"diff","seq":${sub.seq},${body}`);
      this.options.metrics?.websocketMessages.inc({ type: 'diff' });
    }
  }

  private snapshot(sub: Subscription): void {
    sub.seq++;
    sub.sent = sub.cached.view;
    sub.sentGeneration = sub.cached.generation;
    sub.lastSentAt = this.service.clock();
    sub.resync = false;
    // One text message, as every other, in three fragments: the middle one is the view's cached JSON as it is, the
    // same bytes for every socket and every read, neither copied into a string nor joined with the envelope.
    sub.socket.send(`{"type":"snapshot","seq":${sub.seq},"view":`, { binary: false, fin: false });
    sub.socket.send(this.service.json(sub.cached), { binary: false, fin: false });
    sub.socket.send('}', { binary: false, fin: true });
    this.options.metrics?.websocketMessages.inc({ type: 'snapshot' });
  }
}
