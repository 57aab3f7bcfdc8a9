/**
 * One side of a sync: a ZooKeeper session to an ensemble plus the root of the synced tree on it. The session is
 * replaced when it expires (watches and auth are gone with it), and listeners hear `renewed` so they can rebuild
 * their watches with a full compare; `reconnected` means the same session came back, `disconnected` that the client
 * is retrying. Reads return null for a node that does not exist, because for a replicator that is an answer.
 */
import { EventEmitter } from 'node:events';
import { isZkError, Watcher, ZkAcl, ZkClient, ZkCode, ZkStat } from '../../lib/zk-client';
import type { Logger } from '../../lib/logger';
import { absPath, Rel } from './tree-paths';

export type SideName = 'source' | 'target';

export interface EnsembleSideOptions {
  name: SideName;
  hosts: string;
  root: string;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
}

export interface NodeRead {
  data: Buffer;
  stat: ZkStat;
}

export class EnsembleSide extends EventEmitter {
  private closed = false;
  private connectedNow = true;
  private waiters: (() => void)[] = [];
  private readonly auths: { scheme: string; auth: string }[] = [];

  private constructor(
    private readonly options: EnsembleSideOptions,
    private zk: ZkClient,
  ) {
    super();
    this.attach(zk);
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

  get client(): ZkClient {
    return this.zk;
  }

  get connected(): boolean {
    return this.connectedNow && !this.zk.isClosed;
  }

  abs(rel: Rel): string {
    return absPath(this.options.root, rel);
  }

  /** Resolves once the session is connected (at once if it is). */
  whenConnected(): Promise<void> {
    if (this.connected || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Adds credentials to this session and to every session that replaces it. */
  async addAuth(scheme: string, auth: string): Promise<void> {
    if (!this.auths.some((a) => a.scheme === scheme && a.auth === auth)) this.auths.push({ scheme, auth });
    await this.zk.addAuth(scheme, auth);
  }

  async get(rel: Rel, watcher?: Watcher): Promise<NodeRead | null> {
    try {
      return await this.zk.get(this.abs(rel), watcher);
    } catch (err) {
      if (isZkError(err, ZkCode.NONODE)) return null;
      throw err;
    }
  }

  async children(rel: Rel, watcher?: Watcher): Promise<string[] | null> {
    try {
      return (await this.zk.getChildren(this.abs(rel), watcher)).children;
    } catch (err) {
      if (isZkError(err, ZkCode.NONODE)) return null;
      throw err;
    }
  }

  /**
   * The node's ACL. Call it only for a node just read as existing: the native client (zookeeper 7.x) crashes the
   * process when a getAcl completes with any error — it frees the ACL vector it was never given — so the engine
   * keeps the window for NONODE down to a concurrent delete between two pipelined requests.
   */
  async acl(rel: Rel): Promise<{ acl: ZkAcl[]; stat: ZkStat } | null> {
    try {
      return await this.zk.getAcl(this.abs(rel));
    } catch (err) {
      if (isZkError(err, ZkCode.NONODE)) return null;
      throw err;
    }
  }

  close(): void {
    this.closed = true;
    this.zk.close();
    this.releaseWaiters();
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
      this.options.logger.warn({ side: this.name }, 'zookeeper session expired; opening a new one');
      this.emit('expired');
      void this.renew();
    });
  }

  private async renew(): Promise<void> {
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
