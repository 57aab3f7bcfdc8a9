/**
 * A minimal ZooKeeper session over ZooKeeper's wire protocol, for the test writer only (independent of the
 * engine's own WireSession, so a bug there cannot hide from the tests that check it). The native client wedges
 * (spins on a dead socket) when its session expires, which a server restart can cause; a test process that must
 * keep writing through restarts uses this instead: any failure closes the socket and the next write opens a fresh
 * session.
 */
import { createConnection, Socket } from 'node:net';

export class TestWireClient {
  closed = false;
  private buffer = Buffer.alloc(0);
  private xid = 1;
  private readonly pending = new Map<number, { resolve: (body: Buffer) => void; reject: (err: Error) => void }>();
  private handshake?: () => void;

  private constructor(
    readonly connect: string,
    private readonly socket: Socket,
  ) {
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('error', (err) => this.fail(err));
  }

  static open(connect: string, timeoutMs = 3000): Promise<TestWireClient> {
    const hosts = connect.split('/')[0].split(',');
    const [host, port] = hosts[Math.floor(Math.random() * hosts.length)].split(':');
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port: Number(port) });
      const session = new TestWireClient(connect, socket);
      const timer = setTimeout(() => {
        session.close();
        reject(new Error('no session'));
      }, timeoutMs);
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      session.handshake = () => {
        clearTimeout(timer);
        resolve(session);
      };
      socket.on('connect', () => {
        const req = Buffer.alloc(4 + 8 + 4 + 8 + 4 + 16 + 1);
        req.writeInt32BE(10_000, 12);
        req.writeInt32BE(16, 28);
        socket.write(frame(req));
      });
    });
  }

  /** Creates a persistent, world-open node; rejects with `code` set to ZooKeeper's error code. */
  async create(path: string, data: string): Promise<void> {
    const acl = Buffer.concat([int(1), int(31), str('world'), str('anyone')]);
    await this.call(1, Buffer.concat([str(path), str(data), acl, int(0)]));
  }

  /** Creates the node, treating "already exists" as done. */
  async ensure(path: string, data = ''): Promise<void> {
    await this.create(path, data).catch((err: { code?: number }) => {
      if (err.code !== -110) throw err;
    });
  }

  async children(path: string): Promise<string[]> {
    const reply = await this.call(8, Buffer.concat([str(path), Buffer.from([0])]));
    const names: string[] = [];
    let o = 4;
    for (let n = reply.readInt32BE(0); n > 0; n--) {
      const len = reply.readInt32BE(o);
      names.push(reply.toString('utf8', o + 4, o + 4 + len));
      o += 4 + len;
    }
    return names;
  }

  private call(type: number, payload: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('closed'));
    const xid = this.xid++;
    const body = Buffer.concat([int(xid), int(type), payload]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), 5000);
      this.pending.set(xid, {
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.socket.write(frame(body));
    });
  }

  close(): void {
    this.fail(new Error('closed'));
  }

  private fail(err: Error): void {
    this.closed = true;
    this.socket.destroy();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readInt32BE(0)) {
      const len = this.buffer.readInt32BE(0);
      const msg = this.buffer.subarray(4, 4 + len);
      this.buffer = this.buffer.subarray(4 + len);
      if (this.handshake) {
        const h = this.handshake;
        this.handshake = undefined;
        if (msg.readInt32BE(4) <= 0) return this.fail(new Error('session refused'));
        h();
        continue;
      }
      const xid = msg.readInt32BE(0);
      const code = msg.readInt32BE(12);
      const p = this.pending.get(xid);
      if (!p) continue;
      this.pending.delete(xid);
      if (code === 0) p.resolve(msg.subarray(16));
      else p.reject(Object.assign(new Error(`zookeeper error ${code}`), { code }));
    }
  }
}

function frame(payload: Buffer): Buffer {
  return Buffer.concat([int(payload.length), payload]);
}

function int(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([int(bytes.length), bytes]);
}
