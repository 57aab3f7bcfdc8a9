/**
 * Leader election with ZooKeeper's recipe: every replica creates an ephemeral sequential node under the election path;
 * the lowest sequence number leads. Each other replica watches only the node just before its own, so a leader's
 * death wakes exactly one replica rather than all of them (no herd effect).
 *
 * A candidate's node holds the URL it serves on, which is how followers know where to send clients.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger';
import { CreateMode, isZkError, ZkClient, ZkCode } from '../../lib/zk-client';

export interface LeaderInfo {
  /** The leader's election node name, e.g. `candidate-0000000003`. */
  node: string;
  url: string;
}

/** Emits `elected` once this candidate leads. Leadership ends only with the session (or `resign`). */
export class LeaderElection extends EventEmitter {
  private myNode: string | null = null;
  private leading = false;
  private stopped = false;

  constructor(
    private readonly zk: ZkClient,
    private readonly path: string,
    private readonly url: string,
    private readonly logger: Logger,
  ) {
    super();
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get node(): string | null {
    return this.myNode;
  }

  /** The sequence number of this candidate's node: larger for every later leader, so usable as an epoch. */
  get epoch(): number {
    return this.myNode ? Number(this.myNode.slice(-10)) : 0;
  }

  async start(): Promise<void> {
    await this.zk.mkdirp(this.path);
    const created = await this.zk.create(`${this.path}/candidate-`, this.url, CreateMode.EPHEMERAL_SEQUENTIAL);
    this.myNode = created.slice(created.lastIndexOf('/') + 1);
    this.logger.info({ node: this.myNode }, 'joined leader election');
    await this.check();
  }

  /** The current leader, read from ZooKeeper (null while nobody leads). */
  async leader(): Promise<LeaderInfo | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const nodes = await this.candidates();
      if (nodes.length === 0) return null;
      try {
        const { data } = await this.zk.get(`${this.path}/${nodes[0]}`);
        return { node: nodes[0], url: data.toString('utf8') };
      } catch (err) {
        // The leader vanished between the two reads; look again.
        if (!isZkError(err, ZkCode.NONODE)) throw err;
      }
    }
    return null;
  }

  /** Leaves the election (the node is deleted; the session stays). */
  async resign(): Promise<void> {
    this.stopped = true;
    this.leading = false;
    if (this.myNode) {
      await this.zk.delete(`${this.path}/${this.myNode}`).catch(() => undefined);
      this.myNode = null;
    }
  }

  private async candidates(): Promise<string[]> {
    const { children } = await this.zk.getChildren(this.path);
    return children.filter((c) => c.startsWith('candidate-')).sort((a, b) => Number(a.slice(-10)) - Number(b.slice(-10)));
  }

  private async check(): Promise<void> {
    if (this.stopped || !this.myNode) return;
    const nodes = await this.candidates();
    const i = nodes.indexOf(this.myNode);
    if (i < 0) {
      // Our node is gone without our session ending: someone deleted it. Leading now could mean two leaders.
      this.emit('error', new Error(`election node ${this.myNode} disappeared`));
      return;
    }
    if (i === 0) {
      if (!this.leading) {
        this.leading = true;
        this.logger.info({ node: this.myNode }, 'elected leader');
        this.emit('elected');
      }
      return;
    }
    const predecessor = nodes[i - 1];
    const stat = await this.zk.exists(`${this.path}/${predecessor}`, (event) => {
      if (event.type === 'deleted') this.recheck();
    });
    // It may have gone between listing and watching; then no watch fires, so look again now.
    if (!stat) this.recheck();
    else this.logger.debug({ node: this.myNode, watching: predecessor }, 'following');
  }

  private recheck(): void {
    this.check().catch((err) => this.emit('error', err));
  }
}
