/**
 * The engine's data path to one ensemble: a ZooKeeper session speaking the wire protocol directly, for what the
 * native `zookeeper` addon cannot do safely or at all. It carries copy, verify, freeze and live replication; the
 * addon's session keeps the engine's own bookkeeping (heartbeat, published connect string, preflight).
 *
 * - Batching. A ZooKeeper server on its default NIO connection layer spends ~100 µs of CPU on every request
 *   whatever it asks (measured on this project's benchmark machine: getData, exists and getAcl alike; 12–38 µs on
 *   the Netty layer the platform's ensemble runs), but ~5–16 µs per operation inside a `multiRead` (3.6+) or
 *   `multi`. The addon has neither. Reads issued in the same turn of the event loop go out as one multiRead
 *   (getData, plus getChildren when the caller wants the listing), and writes (create, setData, delete) as one
 *   multi transaction whose failure is retried op by op, so every write still gets its own answer.
 * - One persistent recursive watch per tree (`addWatch`, 3.6+) instead of a one-shot watch on every node: no
 *   re-arming, nothing missed between an event and a re-arm, and a created node is named by its own event rather
 *   than found by re-listing its parent. Events, reads and writes share this one session, so ZooKeeper's ordering
 *   holds between them: an event arrives before any read that sees its change, and the event of the engine's own
 *   write arrives before that write's reply.
 * - ACL reads. The addon (7.x) crashes the whole process when a getAcl completes with any error — its completion
 *   frees an ACL vector it was never given — so NONODE from a concurrent delete, NOAUTH, or the connection loss
 *   every server restart causes would each kill the engine.
 *
 * Consistency: replies carry the zxid the server had reached; a reconnect presents the highest one seen, and a
 * server that is behind it refuses the session (ZooKeeper's own guarantee), so a reconnect never goes back in
 * time. Reads answer from the server this session is on: callers that need the leader's view call `sync` first.
 * On any disconnect the requests in flight fail with CONNECTIONLOSS (callers retry those) and the next request
 * opens a new session — at once, if a tree is watched. A new session re-adds credentials and watches before any
 * other request and then emits `reset`: changes made while no session watched fired no event, so a watcher
 * must compare everything.
 */
import { EventEmitter } from 'node:events';
import { Socket, createConnection } from 'node:net';
import { ZkAcl, ZkCode, ZkError, ZkStat } from '../../lib/zk-client';

const OP_CREATE = 1;
const OP_DELETE = 2;
const OP_GET_DATA = 4;
const OP_SET_DATA = 5;
const OP_GET_ACL = 6;
const OP_SET_ACL = 7;
const OP_GET_CHILDREN = 8;
const OP_SYNC = 9;
const OP_PING = 11;
const OP_MULTI = 14;
const OP_MULTI_READ = 22;
const OP_AUTH = 100;
const OP_ADD_WATCH = 106;
const WATCH_MODE_PERSISTENT_RECURSIVE = 1;
const OP_ERROR = -1;
const XID_NOTIFICATION = -1;
const XID_PING = -2;
const XID_AUTH = -4;
/** A multi that failed reports the ops it rolled back (OK) or never ran (RUNTIMEINCONSISTENCY) as errors. */
const RUNTIME_INCONSISTENCY = -2;

/** Nodes per multiRead: replies stay well inside a client's 1 MB buffer for typical znodes. */
const MAX_READ_BATCH = 64;
/** Bytes per multi: the server closes the connection on a request above jute.maxbuffer (1 MB by default). */
const MAX_WRITE_BATCH_BYTES = 256 * 1024;
const MAX_WRITE_BATCH_OPS = 256;

const MESSAGES: Record<number, string> = {
  [-2]: 'runtime inconsistency',
  [-4]: 'connection loss',
  [-6]: 'not implemented by this server (persistent watches and multiRead need ZooKeeper 3.6 or later)',
  [-101]: 'no node',
  [-102]: 'not authenticated',
  [-103]: 'bad version',
  [-108]: 'no children for ephemerals',
  [-110]: 'node exists',
  [-112]: 'session expired',
  [-114]: 'invalid ACL',
  [-115]: 'authentication failed',
};

export interface WireNode {
  data: Buffer;
  stat: ZkStat;
  children: string[];
}

export interface WireData {
  data: Buffer;
  stat: ZkStat;
}

/** A change under a watched tree. ZooKeeper's recursive watches report no child-list events: each node its own. */
export interface TreeEvent {
  type: 'created' | 'deleted' | 'changed';
  path: string;
}

const EVENT_TYPES: Record<number, TreeEvent['type']> = { 1: 'created', 2: 'deleted', 3: 'changed' };

interface Pending {
  resolve: (reply: { err: number; body: Buffer }) => void;
  reject: (err: Error) => void;
  op: string;
  path: string;
}

interface QueuedRead {
  path: string;
  withChildren: boolean;
  resolve: (node: WireNode | null) => void;
  reject: (err: Error) => void;
}

/** A create, setData or delete waiting for the turn's multi; resolves with the Stat it produced (none for delete). */
interface QueuedWrite {
  type: number;
  op: string;
  path: string;
  encoded: Buffer;
  resolve: (stat: ZkStat | undefined) => void;
  reject: (err: Error) => void;
}

export class WireSession extends EventEmitter {
  private socket?: Socket;
  private connecting?: Promise<void>;
  private buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private everConnected = false;
  private nextXid = 1;
  private lastZxid = 0n;
  private readonly pending = new Map<number, Pending>();
  private authWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private pingTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private lastReceived = 0;
  private closed = false;
  private corked = false;
  private hostIndex = Math.floor(Math.random() * 1000);
  private readonly auths: { scheme: string; auth: string }[] = [];
  private readonly watches = new Map<string, (event: TreeEvent) => void>();
  private reads: QueuedRead[] = [];
  private writes: QueuedWrite[] = [];
  private writeBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly hosts: string,
    private readonly sessionTimeoutMs: number,
    private readonly connectTimeoutMs: number,
  ) {
    super();
  }

  async addAuth(scheme: string, auth: string): Promise<void> {
    this.auths.push({ scheme, auth });
    if (this.handshakeDone) await this.sendAuth(scheme, auth);
  }

  /**
   * Watches every node under `path` (and `path` itself) for creation, deletion and data changes, on this session
   * and every session that replaces it; resolves once the server has registered the watch. After a reconnect the
   * session emits `reset`, because changes made while no session watched fired no event.
   */
  async watchTree(path: string, listener: (event: TreeEvent) => void): Promise<void> {
    this.watches.set(path, listener);
    await this.addWatch(path);
  }

  unwatchTree(path: string): void {
    // The server-side watch lives until the session ends; events for a path nobody listens to are dropped.
    this.watches.delete(path);
  }

  /** The node's ACL and Stat, or null if it does not exist (after a sync, so a lagging server is not believed). */
  async getAcl(path: string): Promise<{ acl: ZkAcl[]; stat: ZkStat } | null> {
    const read = async (): Promise<{ acl: ZkAcl[]; stat: ZkStat } | null> => {
      const reply = await this.request(OP_GET_ACL, 'getAcl', path, encodeString(path));
      if (reply.err === ZkCode.NONODE) return null;
      if (reply.err !== 0) throw zkError(reply.err, 'getAcl', path);
      return parseAclResponse(reply.body);
    };
    const first = await read();
    if (first) return first;
    await this.sync(path);
    return read();
  }

  /**
   * The node's data, Stat and children, or null if it does not exist. Batched: every read issued in the same turn
   * of the event loop (up to MAX_READ_BATCH) shares one multiRead.
   */
  read(path: string): Promise<WireNode | null> {
    return this.enqueueRead(path, true);
  }

  /** The node's data and Stat without the child listing (its `children` is empty), batched like `read`. */
  readData(path: string): Promise<WireData | null> {
    return this.enqueueRead(path, false);
  }

  /**
   * Creates a persistent node with exactly this name. Writes issued in the same turn share one multi transaction;
   * a transaction that fails is retried op by op, so each write gets its own answer (NODEEXISTS, NONODE, NOAUTH,
   * BADVERSION… as a ZkError). No Stat comes back: inside a multi ZooKeeper (3.8) answers even a create2 with
   * the path alone.
   */
  async create(path: string, data: Buffer, acl: ZkAcl[]): Promise<void> {
    await this.enqueueWrite(OP_CREATE, 'create', path, encodeCreate(path, data, acl));
  }

  /** Sets the node's data if it is at `version` (-1: any) and returns the new Stat; batched like `create`. */
  setData(path: string, data: Buffer, version = -1): Promise<ZkStat> {
    const body = Buffer.allocUnsafe(4 + Buffer.byteLength(path) + 4 + data.length + 4);
    let o = writeString(body, 0, path);
    o = body.writeInt32BE(data.length, o);
    o += data.copy(body, o);
    body.writeInt32BE(version, o);
    return this.enqueueWrite(OP_SET_DATA, 'setData', path, body) as Promise<ZkStat>;
  }

  /** Deletes the node if it is at `version` (-1: any); batched like `create`. */
  async delete(path: string, version = -1): Promise<void> {
    const body = Buffer.allocUnsafe(4 + Buffer.byteLength(path) + 4);
    body.writeInt32BE(version, writeString(body, 0, path));
    await this.enqueueWrite(OP_DELETE, 'delete', path, body);
  }

  /** Sets the node's ACL (pipelined, not batched: ZooKeeper's multi has no setACL). NONODE is a ZkError. */
  async setAcl(path: string, acl: ZkAcl[], version = -1): Promise<void> {
    const versionBytes = Buffer.alloc(4);
    versionBytes.writeInt32BE(version, 0);
    const reply = await this.request(OP_SET_ACL, 'setAcl', path, Buffer.concat([encodeString(path), encodeAcl(acl), versionBytes]));
    if (reply.err !== 0) throw zkError(reply.err, 'setAcl', path);
  }

  /** Brings the server this session is on up to date with the leader. */
  async sync(path: string): Promise<void> {
    const reply = await this.request(OP_SYNC, 'sync', path, encodeString(path));
    if (reply.err !== 0) throw zkError(reply.err, 'sync', path);
  }

  close(): void {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.watches.clear();
    this.drop(new ZkError(ZkCode.CLOSING, 'request', '', 'closing'));
    for (const r of this.reads) r.reject(new ZkError(ZkCode.CLOSING, 'read', r.path, 'closing'));
    for (const w of this.writes) w.reject(new ZkError(ZkCode.CLOSING, w.op, w.path, 'closing'));
    this.reads = [];
    this.writes = [];
  }

  private async addWatch(path: string): Promise<void> {
    const body = Buffer.allocUnsafe(4 + Buffer.byteLength(path) + 4);
    body.writeInt32BE(WATCH_MODE_PERSISTENT_RECURSIVE, writeString(body, 0, path));
    const reply = await this.request(OP_ADD_WATCH, 'addWatch', path, body);
    if (reply.err !== 0) throw zkError(reply.err, 'addWatch', path);
  }

  private enqueueRead(path: string, withChildren: boolean): Promise<WireNode | null> {
    return new Promise((resolve, reject) => {
      this.reads.push({ path, withChildren, resolve, reject });
      if (this.reads.length >= MAX_READ_BATCH) this.flushReads();
      else this.scheduleFlush();
    });
  }

  private enqueueWrite(type: number, op: string, path: string, encoded: Buffer): Promise<ZkStat | undefined> {
    return new Promise((resolve, reject) => {
      if (this.writes.length > 0 && (this.writeBytes + encoded.length > MAX_WRITE_BATCH_BYTES || this.writes.length >= MAX_WRITE_BATCH_OPS)) this.flushWrites();
      this.writes.push({ type, op, path, encoded, resolve, reject });
      this.writeBytes += encoded.length;
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushReads();
      this.flushWrites();
    });
  }

  private flushReads(): void {
    const batch = this.reads;
    if (batch.length === 0) return;
    this.reads = [];
    this.request(OP_MULTI_READ, 'multiRead', batch[0].path, encodeMultiRead(batch))
      .then((reply) => {
        if (reply.err !== 0 && reply.body.length === 0) throw zkError(reply.err, 'multiRead', batch[0].path);
        const results = parseMultiResults(reply.body, (type, r) => (type === OP_GET_DATA ? { data: r.buffer(), stat: r.stat() } : r.strings()));
        let next = 0;
        for (const entry of batch) {
          const data = results[next++];
          const children = entry.withChildren ? results[next++] : NO_CHILDREN;
          if (data === undefined || children === undefined) {
            entry.reject(zkError(ZkCode.CONNECTIONLOSS, 'multiRead', entry.path));
          } else if (typeof data === 'number' || typeof children === 'number') {
            const err = typeof data === 'number' ? data : (children as number);
            // Deleted between the two reads counts as deleted.
            if (err === ZkCode.NONODE) entry.resolve(null);
            else entry.reject(zkError(err, 'read', entry.path));
          } else {
            const { data: bytes, stat } = data as WireData;
            entry.resolve({ data: bytes, stat, children: children as string[] });
          }
        }
      })
      .catch((err: Error) => batch.forEach((entry) => entry.reject(err)));
  }

  private flushWrites(): void {
    const batch = this.writes;
    if (batch.length === 0) return;
    this.writes = [];
    this.writeBytes = 0;
    this.sendWrites(batch);
  }

  private sendWrites(batch: QueuedWrite[]): void {
    if (batch.length === 1) return this.sendWrite(batch[0]);
    const parts: Buffer[] = [];
    for (const w of batch) parts.push(multiHeader(w.type), w.encoded);
    parts.push(MULTI_END);
    this.request(OP_MULTI, 'multi', batch[0].path, Buffer.concat(parts))
      .then((reply) => {
        if (reply.err !== 0 && reply.body.length === 0) throw zkError(reply.err, 'multi', batch[0].path);
        const results = parseMultiResults(reply.body, (type, r) => {
          if (type === OP_CREATE) r.string();
          return type === OP_SET_DATA ? r.stat() : undefined;
        });
        const failed = results.some((r) => typeof r === 'number');
        batch.forEach((entry, i) => {
          if (i >= results.length) return entry.reject(zkError(ZkCode.CONNECTIONLOSS, entry.op, entry.path));
          const result = results[i];
          if (typeof result !== 'number') return entry.resolve(result);
          if (result !== 0 && result !== RUNTIME_INCONSISTENCY) return entry.reject(zkError(result, entry.op, entry.path));
          // Rolled back or never run because another op in the transaction failed: alone, it gets its own answer.
          if (failed && batch.length > 1) this.sendWrites([entry]);
          else entry.reject(zkError(result || RUNTIME_INCONSISTENCY, entry.op, entry.path));
        });
      })
      .catch((err: Error) => batch.forEach((entry) => entry.reject(err)));
  }

  /**
   * A write alone in its turn goes as its own request: a multi of one op costs the server about a third more CPU
   * than the op itself (measured: 82 vs 60 ms per 1,000 setData), and live replication often has one per turn.
   */
  private sendWrite(entry: QueuedWrite): void {
    this.request(entry.type, entry.op, entry.path, entry.encoded).then(
      (reply) => {
        if (reply.err !== 0) return entry.reject(zkError(reply.err, entry.op, entry.path));
        entry.resolve(entry.type === OP_SET_DATA ? new JuteReader(reply.body).stat() : undefined);
      },
      (err: Error) => entry.reject(err),
    );
  }

  private request(type: number, op: string, path: string, body: Buffer): Promise<{ err: number; body: Buffer }> {
    if (this.closed) return Promise.reject(new ZkError(ZkCode.CLOSING, op, path, 'closing'));
    // Connected (the common case): no extra turn through an awaited promise for every request.
    if (!this.handshakeDone || !this.socket) return this.ensureConnected().then(() => this.request(type, op, path, body));
    const xid = this.nextXid++;
    if (this.nextXid > 0x7ffffff0) this.nextXid = 1;
    return new Promise((resolve, reject) => {
      this.pending.set(xid, { resolve, reject, op, path });
      this.send(xid, type, body);
    });
  }

  private ensureConnected(): Promise<void> {
    if (this.handshakeDone && this.socket) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const hosts = this.hosts.split(',');
    const deadline = Date.now() + this.connectTimeoutMs;
    let lastError: Error = new Error('no hosts');
    while (Date.now() < deadline && !this.closed) {
      const hostPort = hosts[this.hostIndex++ % hosts.length];
      const i = hostPort.lastIndexOf(':');
      try {
        await this.handshake(hostPort.slice(0, i).replace(/^\[|\]$/g, ''), Number(hostPort.slice(i + 1)), Math.max(100, deadline - Date.now()));
        for (const a of this.auths) await this.sendAuth(a.scheme, a.auth);
        for (const path of this.watches.keys()) await this.addWatch(path);
        if (this.everConnected) this.emit('reset');
        this.everConnected = true;
        return;
      } catch (err) {
        // A connection that failed after its handshake (credentials or watch refused, or lost meanwhile) is let
        // go before the next attempt. A refusal is the answer, not something a retry changes: it is thrown as is.
        if (this.handshakeDone) this.drop(new ZkError(ZkCode.CONNECTIONLOSS, 'connect', this.hosts, (err as Error).message));
        if (err instanceof ZkError && !err.isConnectionProblem) throw err;
        lastError = err as Error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new ZkError(ZkCode.CONNECTIONLOSS, 'connect', this.hosts, lastError.message);
  }

  private handshake(host: string, port: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no handshake from ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.buffer = Buffer.alloc(0);
      this.handshakeDone = false;
      socket.on('connect', () => {
        // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly. A server that has
        // not yet seen lastZxidSeen closes the connection, and the loop in connect() tries the next host.
        const req = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16 + 1);
        req.writeBigInt64BE(this.lastZxid, 4);
        req.writeInt32BE(this.sessionTimeoutMs, 12);
        req.writeInt32BE(16, 28);
        socket.write(frame(req));
      });
      socket.on('data', (chunk) => {
        this.lastReceived = Date.now();
        this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        if (!this.handshakeDone) {
          if (this.buffer.length < 4 || this.buffer.length < 4 + this.buffer.readInt32BE(0)) return;
          const len = this.buffer.readInt32BE(0);
          const negotiated = this.buffer.readInt32BE(8);
          this.buffer = this.buffer.subarray(4 + len);
          clearTimeout(timer);
          if (negotiated <= 0 || this.closed) {
            // Refused — or closed while the handshake was under way, which must not leave a live connection.
            socket.destroy();
            return reject(new Error(this.closed ? 'closing' : 'session refused'));
          }
          this.handshakeDone = true;
          this.socket = socket;
          this.lastReceived = Date.now();
          // As ZooKeeper's own clients do: ping at a third of the session timeout, and give up on a connection that
          // has been silent for two thirds of it. A server that stopped answering then costs a reconnect, not a
          // request that waits forever. So does a socket whose readiness events went astray: after a server restart
          // the native addon can leave its poll watcher on a closed descriptor, and a new socket that reuses the
          // number sees a spurious end or no events at all. Silence while this process itself was stalled (a
          // late tick) does not count against the server.
          const interval = Math.max(200, negotiated / 3);
          let lastTick = Date.now();
          this.pingTimer = setInterval(() => {
            const now = Date.now();
            if (now - lastTick > 2 * interval) this.lastReceived = now;
            lastTick = now;
            if (now - this.lastReceived > (2 * negotiated) / 3) return this.drop(new ZkError(ZkCode.CONNECTIONLOSS, 'request', '', `no reply from ${host}:${port} within ${Math.round((2 * negotiated) / 3)} ms`));
            this.send(XID_PING, OP_PING, Buffer.alloc(0));
          }, interval);
          resolve();
        }
        this.readReplies();
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (this.socket === socket) this.drop(new ZkError(ZkCode.CONNECTIONLOSS, 'request', '', 'connection lost'));
        reject(new Error('connection closed'));
      });
    });
  }

  private readReplies(): void {
    while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readInt32BE(0)) {
      const len = this.buffer.readInt32BE(0);
      const reply = this.buffer.subarray(4, 4 + len);
      this.buffer = this.buffer.subarray(4 + len);
      const xid = reply.readInt32BE(0);
      const zxid = reply.readBigInt64BE(4);
      if (zxid > this.lastZxid) this.lastZxid = zxid;
      const err = reply.readInt32BE(12);
      if (xid === XID_PING) continue;
      if (xid === XID_NOTIFICATION) {
        this.notify(new JuteReader(reply.subarray(16)));
        continue;
      }
      if (xid === XID_AUTH) {
        const waiter = this.authWaiters.shift();
        if (err === 0) waiter?.resolve();
        else waiter?.reject(new ZkError(err, 'addAuth', '', 'authentication failed'));
        continue;
      }
      const p = this.pending.get(xid);
      if (!p) continue;
      this.pending.delete(xid);
      p.resolve({ err, body: reply.subarray(16) });
    }
  }

  /** WatcherEvent{type, state, path}: handed to the listener of the watched tree that contains the path. */
  private notify(reader: JuteReader): void {
    const type = EVENT_TYPES[reader.int()];
    reader.int();
    const path = reader.string();
    if (!type) return;
    for (const [root, listener] of this.watches) {
      if (path === root || root === '/' || path.startsWith(root + '/')) listener({ type, path });
    }
  }

  /** A watched tree must not go unwatched until the next request happens to reconnect: reconnect now. */
  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.watches.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.handshakeDone || this.closed) return;
      this.ensureConnected().catch(() => this.scheduleReconnect(Math.min(2 * delayMs, 2000)));
    }, delayMs);
  }

  private sendAuth(scheme: string, auth: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.authWaiters.push({ resolve, reject });
      const credentials = Buffer.from(auth, 'utf8');
      const lenPrefixed = Buffer.alloc(4 + credentials.length);
      lenPrefixed.writeInt32BE(credentials.length, 0);
      credentials.copy(lenPrefixed, 4);
      this.send(XID_AUTH, OP_AUTH, Buffer.concat([Buffer.alloc(4), encodeString(scheme), lenPrefixed]));
    });
  }

  /**
   * Frames and writes one request. Requests issued in the same turn of the event loop go out in one `writev`:
   * the socket is corked on the first and uncorked once the turn's callbacks have run.
   */
  private send(xid: number, type: number, body: Buffer): void {
    const socket = this.socket;
    if (!socket) return;
    const packet = Buffer.allocUnsafe(12 + body.length);
    packet.writeInt32BE(8 + body.length, 0);
    packet.writeInt32BE(xid, 4);
    packet.writeInt32BE(type, 8);
    body.copy(packet, 12);
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(packet);
  }

  private drop(err: ZkError): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.handshakeDone = false;
    socket?.destroy();
    for (const p of this.pending.values()) p.reject(new ZkError(err.code, p.op, p.path, err.message));
    this.pending.clear();
    for (const w of this.authWaiters) w.reject(err);
    this.authWaiters = [];
    if (socket) this.emit('disconnected');
    this.scheduleReconnect(50);
  }
}

function zkError(code: number, op: string, path: string): ZkError {
  return new ZkError(code, op, path, MESSAGES[code] ?? 'error');
}

/** MultiRead of getData (and getChildren where wanted), no watch, per path, in one buffer built for every batch. */
function encodeMultiRead(reads: { path: string; withChildren: boolean }[]): Buffer {
  let size = MULTI_END.length;
  for (const r of reads) size += (r.withChildren ? 2 : 1) * (9 + 4 + Buffer.byteLength(r.path) + 1);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const r of reads) {
    for (const type of r.withChildren ? DATA_AND_CHILDREN : DATA_ONLY) {
      o = out.writeInt32BE(type, o);
      o = out.writeUInt8(0, o);
      o = out.writeInt32BE(-1, o);
      o = writeString(out, o, r.path);
      o = out.writeUInt8(0, o);
    }
  }
  MULTI_END.copy(out, o);
  return out;
}

const DATA_AND_CHILDREN = [OP_GET_DATA, OP_GET_CHILDREN];
const DATA_ONLY = [OP_GET_DATA];
const NO_CHILDREN: string[] = [];

/** MultiHeader{type, done, err} opening one op of a multi or multiRead. */
function multiHeader(type: number): Buffer {
  const h = Buffer.alloc(9);
  h.writeInt32BE(type, 0);
  h.writeInt32BE(-1, 5);
  return h;
}

const MULTI_END = (() => {
  const h = Buffer.alloc(9);
  h.writeInt32BE(-1, 0);
  h[4] = 1;
  h.writeInt32BE(-1, 5);
  return h;
})();

function frame(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(payload.length, 0);
  return Buffer.concat([len, payload]);
}

/** Writes a jute ustring at `offset` and returns the offset after it. */
function writeString(out: Buffer, offset: number, s: string): number {
  const length = out.write(s, offset + 4, 'utf8');
  out.writeInt32BE(length, offset);
  return offset + 4 + length;
}

function encodeString(s: string): Buffer {
  const out = Buffer.allocUnsafe(4 + Buffer.byteLength(s));
  writeString(out, 0, s);
  return out;
}

/** CreateRequest{path, data, acl: vector<ACL{perms, Id{scheme, id}}>, flags = persistent}. */
function encodeCreate(path: string, data: Buffer, acl: ZkAcl[]): Buffer {
  const parts: Buffer[] = [encodeString(path)];
  const dataLength = Buffer.alloc(4);
  dataLength.writeInt32BE(data.length, 0);
  parts.push(dataLength, data);
  parts.push(encodeAcl(acl), Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** vector<ACL{perms, Id{scheme, id}}>. */
function encodeAcl(acl: ZkAcl[]): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeInt32BE(acl.length, 0);
  parts.push(count);
  for (const entry of acl) {
    const perms = Buffer.alloc(4);
    perms.writeInt32BE(entry.perms, 0);
    parts.push(perms, encodeString(entry.scheme), encodeString(entry.auth));
  }
  return Buffer.concat(parts);
}

/** Reads jute records (big-endian ints and longs, length-prefixed buffers and strings) from a reply body. */
class JuteReader {
  private o = 0;
  constructor(private readonly body: Buffer) {}

  int(): number {
    const v = this.body.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  bool(): boolean {
    return this.body[this.o++] !== 0;
  }
  buffer(): Buffer {
    const n = this.int();
    if (n < 0) return Buffer.alloc(0);
    // A view, not a copy: the bulk paths hash or forward the data at once, so the reply is not kept alive long.
    const v = this.body.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  string(): string {
    const n = this.int();
    const v = n < 0 ? '' : this.body.toString('utf8', this.o, this.o + n);
    this.o += Math.max(0, n);
    return v;
  }
  strings(): string[] {
    const out: string[] = [];
    for (let i = this.int(); i > 0; i--) out.push(this.string());
    return out;
  }
  /** A long as a number: exact for zxids and times (far below 2^53), and without a BigInt per field. */
  longNumber(): number {
    const v = this.body.readInt32BE(this.o) * 0x1_0000_0000 + this.body.readUInt32BE(this.o + 4);
    this.o += 8;
    return v;
  }
  stat(): ZkStat {
    const czxid = this.longNumber();
    const mzxid = this.longNumber();
    const ctime = this.longNumber();
    const mtime = this.longNumber();
    const version = this.int();
    const cversion = this.int();
    const aversion = this.int();
    const ownerHigh = this.body.readUInt32BE(this.o);
    const ownerLow = this.body.readUInt32BE(this.o + 4);
    this.o += 8;
    const dataLength = this.int();
    const numChildren = this.int();
    const pzxid = this.longNumber();
    const ephemeralOwner = ownerHigh === 0 && ownerLow === 0 ? '0' : ownerHigh === 0 ? ownerLow.toString(16) : ownerHigh.toString(16) + ownerLow.toString(16).padStart(8, '0');
    return { czxid, mzxid, pzxid, ctime: new Date(ctime), mtime: new Date(mtime), version, cversion, aversion, ephemeralOwner, dataLength, numChildren };
  }
}

/**
 * A MultiResponse: per op a MultiHeader{type, done, err} and its result, up to a header with done set. A failed
 * op (header type -1) carries ErrorResponse{err} and is returned as that number; `result` decodes the others.
 */
function parseMultiResults<T>(body: Buffer, result: (type: number, reader: JuteReader) => T): (T | number)[] {
  const reader = new JuteReader(body);
  const out: (T | number)[] = [];
  for (;;) {
    const type = reader.int();
    const done = reader.bool();
    const err = reader.int();
    if (done) return out;
    out.push(type === OP_ERROR ? (reader.int(), err) : result(type, reader));
  }
}

/** GetACLResponse: vector<ACL{perms, Id{scheme, id}}>, then Stat. */
function parseAclResponse(body: Buffer): { acl: ZkAcl[]; stat: ZkStat } {
  const reader = new JuteReader(body);
  const acl: ZkAcl[] = [];
  for (let i = reader.int(); i > 0; i--) {
    const perms = reader.int();
    const scheme = reader.string();
    acl.push({ perms, scheme, auth: reader.string() });
  }
  return { acl, stat: reader.stat() };
}
