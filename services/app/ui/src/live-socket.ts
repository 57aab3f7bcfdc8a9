/**
 * One topology's WebSocket: a snapshot, then diffs. It reconnects by itself with a growing delay when the app goes
 * away (restart, deploy, network) and says so, because an operator looking at a frozen picture must know it is
 * frozen. A gap in `seq` means a message was lost, and a diff on top of a lost one would be wrong: the socket is
 * reopened for a fresh snapshot instead.
 */
import type { TopologyDiff, TopologyMessage, TopologySnapshot } from '../../src/api-shapes';

export type SocketStatus = 'connecting' | 'live' | 'reconnecting';

export interface LiveSocketHandlers {
  snapshot(message: TopologySnapshot, receivedAt: number): void;
  diff(message: TopologyDiff, receivedAt: number): void;
  status(status: SocketStatus, detail: { attempt: number; retryInMs?: number }): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export class LiveSocket {
  private socket?: WebSocket;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private lastSeq = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly on: LiveSocketHandlers,
  ) {
    this.open();
  }

  /** For good: the page moved to another query or topology. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close();
  }

  private open(): void {
    this.on.status(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data as string);
    socket.onclose = () => {
      if (this.socket === socket) this.retry();
    };
  }

  private receive(data: string): void {
    // A message already on its way when the page moved on belongs to the old query.
    if (this.closed) return;
    const receivedAt = performance.now();
    const message = JSON.parse(data) as TopologyMessage;
    if (message.type === 'snapshot') {
      this.attempt = 0;
      this.lastSeq = message.seq;
      this.on.status('live', { attempt: 0 });
      this.on.snapshot(message, receivedAt);
      return;
    }
    if (message.seq !== this.lastSeq + 1) {
      this.socket?.close();
      return;
    }
    this.lastSeq = message.seq;
    this.on.diff(message, receivedAt);
  }

  private retry(): void {
    if (this.closed) return;
    this.attempt++;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.attempt - 1));
    this.on.status('reconnecting', { attempt: this.attempt, retryInMs: delay });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }
}
