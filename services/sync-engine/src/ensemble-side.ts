/**
 * One side of a sync: two ZooKeeper sessions to an ensemble plus the root of the synced tree on it.
 *
 * - The data session (wire-session.ts) carries everything that touches the synced tree: copy, verify, freeze and
 *   live replication, with its one recursive watch on the root. It emits `reset` when it had to be replaced, so
 *   the replicator compares everything (changes made while nothing watched fired no event).
 * - The native `zookeeper` client's session carries the engine's own bookkeeping (heartbeat, published connect
 *   string, preflight checks). It is replaced when it expires, and listeners hear `renewed`; `reconnected` means
 *   the same session came back, `disconnected` that the client is retrying.
 *
 * Reads return null for a node that does not exist, because for a replicator that is an answer.
 */
import { EventEmitter } from 'node:events';
import { createWithParents, Watcher, ZkAcl, ZkClient, ZkCode, ZkError, ZkStat } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import { absPath, Rel } from './tree-paths';
import { TreeEvent, WireData, WireNode, WireSession } from './wire-session';

export type SideName = 'source' | 'target';

export interface EnsembleSideOptions {
  name: SideName;
  hosts: string;
  root: string;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
  /** Exit the process with EXIT_SESSION_EXPIRED instead of renewing in-process (the CLI and service do). */
  exitOnExpiry?: boolean;
}

/** Exit code meaning "session expired, start me again"; the CLI supervisor restarts on it. */
export const EXIT_SESSION_EXPIRED = 75;

export class EnsembleSide extends EventEmitter {
  private closed = false;
  private renewing = false;
  private probe?: NodeJS.Timeout;
  private readonly wire: WireSession;
  private readonly guarded: GuardedClient;
  private connectedNow = true;
  private waiters: (() => void)[] = [];
  private readonly auths: { scheme: string; auth: string }[] = [];

  private constructor(
    private readonly options: EnsembleSideOptions,
    private zk: ZkClient,
  ) {
    super();
    this.wire = new WireSession(options.hosts, options.sessionTimeoutMs, options.connectTimeoutMs);
    this.wire.on('reset', () => this.emit('reset'));
    this.guarded = new GuardedClient(() => this.zk, Math.max(5000, 2 * options.sessionTimeoutMs), (op) => this.replaceStuckSession(op));
    this.attach(zk);
    if (options.exitOnExpiry) {
      // An idle engine issues no requests, so a wedged client (an expiry the addon never reported) would go
      // unnoticed; a cheap periodic read runs into the request deadline instead.
      this.probe = setInterval(() => void this.guarded.exists(this.root).catch(() => undefined), 2000);
      this.probe.unref();
    }
  }

  static async open(options: EnsembleSideOptions): Promise<EnsembleSide> {
    const zk = await ZkClient.connect({ connect: options.hosts, sessionTimeoutMs: options.sessionTimeoutMs, connectTimeoutMs: options.connectTimeoutMs });
    return new EnsembleSide(options, zk);
  }

  get name(): SideName {
    return this.options.name;
  }

  get root(): string {
    return this.options.root;
  }

  get hosts(): string {
    return this.options.hosts;
  }

  /** The connect string clients use for the synced tree (hosts plus chroot). */
  get connectString(): string {
    return this.options.root === '/' ? this.options.hosts : this.options.hosts + this.options.root;
  }

  /** The current session, with a deadline on every request (see GuardedClient). */
  get client(): GuardedClient {
    return this.guarded;
  }

  get connected(): boolean {
    return this.connectedNow && !this.zk.isClosed;
  }

  abs(rel: Rel): string {
    return absPath(this.options.root, rel);
  }

  /** Resolves once the native session is connected (at once if it is). */
  whenConnected(): Promise<void> {
    if (this.connected || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Adds credentials to this session and to every session that replaces it. */
  async addAuth(scheme: string, auth: string): Promise<void> {
    if (this.auths.some((a) => a.scheme === scheme && a.auth === auth)) return;
    this.auths.push({ scheme, auth });
    await Promise.all([this.zk.addAuth(scheme, auth), this.wire.addAuth(scheme, auth)]);
  }

  /*
   * The data session's requests. Reads and writes made in the same turn share one multiRead or multi (see
   * wire-session.ts); they are ordered with each other and with the watch's events, but not with the native
   * session's requests.
   */

  /** Data, Stat and children in one batched read; null if the node does not exist. */
  read(rel: Rel): Promise<WireNode | null> {
    return this.wire.read(this.abs(rel));
  }

  /** Data and Stat without the child listing; null if the node does not exist. */
  readData(rel: Rel): Promise<WireData | null> {
    return this.wire.readData(this.abs(rel));
  }

  /**
   * The node's ACL, or null if it does not exist. Never through the native client, which crashes the process when
   * a getAcl fails (see wire-session.ts).
   */
  acl(rel: Rel): Promise<{ acl: ZkAcl[]; stat: ZkStat } | null> {
    return this.wire.getAcl(this.abs(rel));
  }

  /** Creates a persistent node with exactly this name. */
  create(rel: Rel, data: Buffer, acl: ZkAcl[]): Promise<void> {
    return this.wire.create(this.abs(rel), data, acl);
  }

  /** Sets the data if the node is at `version` (-1: any); returns the new Stat. */
  setData(rel: Rel, data: Buffer, version = -1): Promise<ZkStat> {
    return this.wire.setData(this.abs(rel), data, version);
  }

  /** Deletes the node if it is at `version` (-1: any). */
  delete(rel: Rel, version = -1): Promise<void> {
    return this.wire.delete(this.abs(rel), version);
  }

  /** Sets the ACL if its version is `aversion` (-1: any). */
  setAcl(rel: Rel, acl: ZkAcl[], aversion = -1): Promise<void> {
    return this.wire.setAcl(this.abs(rel), acl, aversion);
  }

  /** Brings the data session's server up to date with the leader, before a walk that must not read the past. */
  sync(): Promise<void> {
    return this.wire.sync(this.root);
  }

  /**
   * Watches the whole tree on the data session: `listener` hears every creation, deletion and data change under
   * the root, by relative path, until `unwatchTree`. Resolves once the watch is registered.
   */
  watchTree(listener: (type: TreeEvent['type'], rel: Rel) => void): Promise<void> {
    const root = this.options.root === '/' ? '' : this.options.root;
    return this.wire.watchTree(this.abs(''), (event) => listener(event.type, event.path === '/' ? '' : event.path.slice(root.length)));
  }

  unwatchTree(): void {
    this.wire.unwatchTree(this.abs(''));
  }

  close(): void {
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    this.releaseWaiters();
    this.wire.close();
    this.zk.close();
  }

  private attach(zk: ZkClient): void {
    zk.on('disconnected', () => {
      if (zk !== this.zk) return;
      this.connectedNow = false;
      this.emit('disconnected');
    });
    zk.on('connected', () => {
      if (zk !== this.zk) return;
      this.connectedNow = true;
      this.releaseWaiters();
      this.emit('reconnected');
    });
    zk.on('expired', () => {
      if (zk !== this.zk || this.closed) return;
      this.connectedNow = false;
      if (this.options.exitOnExpiry) {
        // The native client's handle for an expired session keeps the event loop spinning on its dead socket and
        // new sessions never connect, so in-process renewal cannot be trusted: end this process and let the
        // supervisor (the CLI's own, or Kubernetes) start a fresh one, which resumes from the persisted state with
        // a full compare.
        this.options.logger.warn({ side: this.name }, 'zookeeper session expired; restarting the engine process');
        process.exit(EXIT_SESSION_EXPIRED);
      }
      this.options.logger.warn({ side: this.name }, 'zookeeper session expired; opening a new one');
      this.emit('expired');
      void this.renew();
    });
  }

  /**
   * A request that never completes means the native client is wedged (seen after a server restart: its socket
   * spins and pending requests are never failed). The session is abandoned for a new one exactly as if it had
   * expired, so watches are rebuilt by a full compare; the old handle is closed later, off the hot path.
   */
  private replaceStuckSession(op: string): void {
    if (this.closed || this.zk.isClosed || this.renewing) return;
    if (this.options.exitOnExpiry) {
      this.options.logger.warn({ side: this.name, op }, 'zookeeper request got no reply; restarting the engine process');
      process.exit(EXIT_SESSION_EXPIRED);
    }
    this.options.logger.warn({ side: this.name, op }, 'zookeeper request got no reply; replacing the session');
    const stuck = this.zk;
    this.connectedNow = false;
    this.emit('expired');
    void this.renew().then(() => setTimeout(() => stuck.close(), 1000));
  }

  private async renew(): Promise<void> {
    this.renewing = true;
    try {
      await this.renewLoop();
    } finally {
      this.renewing = false;
    }
  }

  private async renewLoop(): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      try {
        const zk = await ZkClient.connect({ connect: this.options.hosts, sessionTimeoutMs: this.options.sessionTimeoutMs, connectTimeoutMs: this.options.connectTimeoutMs });
        if (this.closed) {
          zk.close();
          return;
        }
        for (const a of this.auths) await zk.addAuth(a.scheme, a.auth);
        this.zk = zk;
        this.attach(zk);
        this.connectedNow = true;
        this.releaseWaiters();
        this.options.logger.info({ side: this.name }, 'new zookeeper session');
        this.emit('renewed');
        return;
      } catch (err) {
        this.options.logger.warn({ side: this.name, err: (err as Error).message }, 'reconnect failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * The ZkClient surface the engine uses, with a deadline on every request. A request past its deadline is failed
 * as a connection loss (callers already retry those) and reported, so the side can replace the session.
 */
export class GuardedClient {
  constructor(
    private readonly current: () => ZkClient,
    private readonly deadlineMs: number,
    private readonly onStuck: (op: string) => void,
  ) {}

  get sessionId(): string {
    return this.current().sessionId;
  }

  private timed<T>(op: string, path: string, run: (zk: ZkClient) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ZkError(ZkCode.CONNECTIONLOSS, op, path, `no reply within ${this.deadlineMs} ms`));
        this.onStuck(op);
      }, this.deadlineMs);
      run(this.current()).then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  create(path: string, data: Buffer | string = '', mode?: number): Promise<string> {
    return this.timed('create', path, (zk) => zk.create(path, data, mode));
  }
  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }> {
    return this.timed('get', path, (zk) => zk.get(path, watcher));
  }
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return this.timed('exists', path, (zk) => zk.exists(path, watcher));
  }
  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: ZkStat }> {
    return this.timed('getChildren', path, (zk) => zk.getChildren(path, watcher));
  }
  set(path: string, data: Buffer | string, version = -1): Promise<ZkStat> {
    return this.timed('set', path, (zk) => zk.set(path, data, version));
  }
  delete(path: string, version = -1): Promise<void> {
    return this.timed('delete', path, (zk) => zk.delete(path, version));
  }
  setAcl(path: string, acl: ZkAcl[], aversion = -1): Promise<void> {
    return this.timed('setAcl', path, (zk) => zk.setAcl(path, acl, aversion));
  }
  sync(path = '/'): Promise<void> {
    return this.timed('sync', path, (zk) => zk.sync(path));
  }
  mkdirp(path: string): Promise<void> {
    return createWithParents(path, (p) => this.create(p));
  }
}
