/**
 * ACL reads over a small session of our own, speaking ZooKeeper's wire protocol directly.
 *
 * Why: the native `zookeeper` addon (7.x) crashes the whole process when a getAcl completes with any error — its
 * completion frees an ACL vector it was never given (deallocate_ACL_vector(NULL)). NONODE from a concurrent
 * delete, NOAUTH, and above all connection loss (every pending request completes with an error when a server
 * restarts) would each kill the engine. Reading ACLs here, where an error is just an error, keeps the engine up
 * through exactly the faults it exists to survive. The session holds no watches or ephemerals, so on any
 * disconnect it simply opens a new one (re-adding credentials) and fails the requests in flight, which callers
 * retry like any connection loss.
 */
import { Socket, createConnection } from 'node:net';
import { ZkAcl, ZkCode, ZkError, ZkStat } from '../../lib/zk-client';

const OP_SYNC = 9;
const OP_GET_ACL = 6;
const OP_PING = 11;
const OP_AUTH = 100;
const XID_PING = -2;
const XID_AUTH = -4;

const MESSAGES: Record<number, string> = { [-4]: 'connection loss', [-101]: 'no node', [-102]: 'not authenticated', [-112]: 'session expired' };

interface Pending {
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  op: string;
  path: string;
}

export class AclReader {
  private socket?: Socket;
  private connecting?: Promise<void>;
  private buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private nextXid = 1;
  private readonly pending = new Map<number, Pending>();
  private authWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private pingTimer?: NodeJS.Timeout;
  private closed = false;
  private corked = false;
  private hostIndex = Math.floor(Math.random() * 1000);
  private readonly auths: { scheme: string; auth: string }[] = [];

  constructor(
    private readonly hosts: string,
    private readonly sessionTimeoutMs: number,
    private readonly connectTimeoutMs: number,
  ) {}

  async addAuth(scheme: string, auth: string): Promise<void> {
    this.auths.push({ scheme, auth });
    if (this.handshakeDone) await this.sendAuth(scheme, auth);
  }

  /** The node's ACL and Stat, or null if it does not exist (after a sync, so a lagging server is not believed). */
  async getAcl(path: string): Promise<{ acl: ZkAcl[]; stat: ZkStat } | null> {
    try {
      return parseAclResponse(await this.request(OP_GET_ACL, 'getAcl', path, encodeString(path)));
    } catch (err) {
      if (!(err instanceof ZkError) || err.code !== ZkCode.NONODE) throw err;
      await this.request(OP_SYNC, 'sync', path, encodeString(path));
      try {
        return parseAclResponse(await this.request(OP_GET_ACL, 'getAcl', path, encodeString(path)));
      } catch (again) {
        if (again instanceof ZkError && again.code === ZkCode.NONODE) return null;
        throw again;
      }
    }
  }

  close(): void {
    this.closed = true;
    this.drop(new ZkError(ZkCode.CLOSING, 'getAcl', '', 'closing'));
  }

  private async request(type: number, op: string, path: string, body: Buffer): Promise<Buffer> {
    if (this.closed) throw new ZkError(ZkCode.CLOSING, op, path, 'closing');
    await this.ensureConnected();
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
        return;
      } catch (err) {
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
        // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly.
        const req = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16 + 1);
        req.writeInt32BE(this.sessionTimeoutMs, 12);
        req.writeInt32BE(16, 28);
        socket.write(frame(req));
      });
      socket.on('data', (chunk) => {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        if (!this.handshakeDone) {
          if (this.buffer.length < 4 || this.buffer.length < 4 + this.buffer.readInt32BE(0)) return;
          const len = this.buffer.readInt32BE(0);
          const negotiated = this.buffer.readInt32BE(8);
          this.buffer = this.buffer.subarray(4 + len);
          clearTimeout(timer);
          if (negotiated <= 0) {
            socket.destroy();
            return reject(new Error('session refused'));
          }
          this.handshakeDone = true;
          this.socket = socket;
          this.pingTimer = setInterval(() => this.send(XID_PING, OP_PING, Buffer.alloc(0)), Math.max(200, negotiated / 3));
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
        if (this.socket === socket) this.drop(new ZkError(ZkCode.CONNECTIONLOSS, 'getAcl', '', 'connection lost'));
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
      const err = reply.readInt32BE(12);
      if (xid === XID_PING) continue;
      if (xid === XID_AUTH) {
        const waiter = this.authWaiters.shift();
        if (err === 0) waiter?.resolve();
        else waiter?.reject(new ZkError(err, 'addAuth', '', 'authentication failed'));
        continue;
      }
      const p = this.pending.get(xid);
      if (!p) continue;
      this.pending.delete(xid);
      if (err === 0) p.resolve(reply.subarray(16));
      else p.reject(new ZkError(err, p.op, p.path, MESSAGES[err] ?? 'error'));
    }
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
   * Frames and writes one request. Requests issued in the same turn of the event loop (a walk issues hundreds) go
   * out in one `writev`: the socket is corked on the first and uncorked once the turn's callbacks have run.
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
  }
}

function frame(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(payload.length, 0);
  return Buffer.concat([len, payload]);
}

function encodeString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(4 + bytes.length);
  out.writeInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

/** GetACLResponse: vector<ACL{perms, Id{scheme, id}}>, then Stat. */
export function parseAclResponse(body: Buffer): { acl: ZkAcl[]; stat: ZkStat } {
  let o = 0;
  const int = (): number => {
    const v = body.readInt32BE(o);
    o += 4;
    return v;
  };
  const long = (): number => {
    const v = Number(body.readBigInt64BE(o));
    o += 8;
    return v;
  };
  const str = (): string => {
    const n = int();
    const v = n < 0 ? '' : body.toString('utf8', o, o + n);
    o += Math.max(0, n);
    return v;
  };
  const acl: ZkAcl[] = [];
  for (let i = int(); i > 0; i--) {
    const perms = int();
    const scheme = str();
    acl.push({ perms, scheme, auth: str() });
  }
  const czxid = long();
  const mzxid = long();
  const ctime = long();
  const mtime = long();
  const version = int();
  const cversion = int();
  const aversion = int();
  const owner = body.readBigInt64BE(o);
  o += 8;
  const dataLength = int();
  const numChildren = int();
  const pzxid = long();
  return { acl, stat: { czxid, mzxid, pzxid, ctime: new Date(ctime), mtime: new Date(mtime), version, cversion, aversion, ephemeralOwner: owner === 0n ? '0' : owner.toString(16), dataLength, numChildren } };
}
