/**
 * A TCP link to a real ZooKeeper server that a test can close like a gate: once a client request naming a given
 * path passes through, that request and everything the client sends after it are held until `open()`. The server
 * and the client stay real; only the moment is chosen. Used to keep a replica inside a step (loading its state)
 * for as long as a test looks at it, without a hook in the service.
 */
import { createConnection, createServer, Server, Socket } from 'node:net';

export class ZooKeeperGate {
  /** The connect string clients use instead of the server's. */
  connect = '';
  private readonly server: Server;
  private held: Array<() => void> | null = null;
  private heldOnce = false;
  private readonly waiting: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    target: string,
    private readonly holdOn: Buffer,
  ) {
    const [host, port] = target.split(':');
    this.server = createServer((client) => this.link(client, createConnection({ host, port: Number(port) })));
  }

  /** Listens on a free loopback port and forwards to `target` (`host:port`), holding from the first request naming `path`. */
  static async start(target: string, path: string): Promise<ZooKeeperGate> {
    const gate = new ZooKeeperGate(target, Buffer.from(path));
    await new Promise<void>((resolve) => gate.server.listen(0, '127.0.0.1', resolve));
    const address = gate.server.address();
    if (!address || typeof address !== 'object') throw new Error('gate has no port');
    gate.connect = `127.0.0.1:${address.port}`;
    return gate;
  }

  /** Resolves once a request naming the path has been held. */
  closed(): Promise<void> {
    if (this.held) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Lets everything held through, in order, and everything after it. */
  open(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const send of held) send();
  }

  async stop(): Promise<void> {
    this.open();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private link(client: Socket, upstream: Socket): void {
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => {
      // Holds only once: after `open()` the link is a plain pipe again.
      if (!this.held && !this.heldOnce && chunk.includes(this.holdOn)) {
        this.heldOnce = true;
        this.held = [];
        for (const resolve of this.waiting.splice(0)) resolve();
      }
      if (this.held) this.held.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
  }
}
