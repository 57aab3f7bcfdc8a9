/**
 * Starting allocator replicas for tests and benchmarks: in-process (real HTTP on a loopback port, real ZooKeeper), or
 * as child processes running `main.ts` through tsx (for the leader-kill test). Plus a small HTTP client and an SSE
 * reader, so tests speak to the allocator exactly as a framework would.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../../services/lib/logger';
import { createServiceHttp } from '../../../../services/lib/service-http';
import type { AllocatorOptions } from '../../../../services/allocator/src/allocator';
import { registerHttpApi } from '../../../../services/allocator/src/http-api';
import { createMetrics } from '../../../../services/allocator/src/metrics';
import { Replica } from '../../../../services/allocator/src/replica';
import { freePort, sleep } from '../../../support/zookeeper-server';

export interface AllocatorUnderTest {
  url: string;
  replica: Replica;
  app: FastifyInstance;
  close(): Promise<void>;
}

let rootSeq = 0;
/** A fresh ZooKeeper root per allocator group, so tests sharing one ensemble never see each other's state. */
export function uniqueRoot(name: string): string {
  return `/test-${process.pid}-${Date.now().toString(36)}-${++rootSeq}-${name.replace(/[^a-z0-9]/gi, '')}`;
}

import { seeded } from '../../../../services/lib/seeded-random';

export { seeded };

const usedPorts = new Set<number>();
/**
 * A free port this process has not served on before: fetch keeps idle connections per origin, and a new server on a
 * recycled port would inherit a dead pooled socket (ECONNRESET on the first request).
 */
export async function unusedPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

export async function startAllocator(
  zkConnect: string,
  options: { root: string; intervalMs?: number; allocator?: AllocatorOptions; snapshotEveryEntries?: number; waitLeading?: boolean },
): Promise<AllocatorUnderTest> {
  const port = await unusedPort();
  const url = `http://127.0.0.1:${port}`;
  const logger = silentLogger();
  const metrics = createMetrics();
  const replica = new Replica({
    zkConnect,
    zkRoot: options.root,
    advertiseUrl: url,
    intervalMs: options.intervalMs ?? 3_600_000,
    snapshotEveryEntries: options.snapshotEveryEntries,
    allocator: { random: seeded(42), ...options.allocator },
    logger,
    metrics,
  });
  const app = await createServiceHttp({ logger, registry: metrics.registry, ready: () => replica.readiness(), openapi: { title: 'allocator', version: 'test' } });
  await registerHttpApi(app, replica);
  app.addHook('preClose', async () => replica.streams.close());
  await app.listen({ host: '127.0.0.1', port });
  await replica.start();
  if (options.waitLeading !== false) await waitFor(() => replica.isLeader, 10_000, 'replica to lead');
  return {
    url,
    replica,
    app,
    async close() {
      await replica.stop();
      await app.close();
    },
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** JSON over HTTP without following redirects (tests look at them). */
export class ApiClient {
  constructor(readonly base: string) {}

  async request<T = any>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  put<T = any>(path: string, body: unknown) {
    return this.request<T>('PUT', path, body);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body ?? {});
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Like `request`, but a non-2xx answer fails the test with the server's message. */
  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

export interface SseEvent {
  event: string;
  data: any;
  at: number;
}

/** Reads a Server-Sent Events stream into `events`; `onEvent` sees each as it arrives. */
export class SseReader {
  readonly events: SseEvent[] = [];
  private readonly controller = new AbortController();
  private listeners: Array<(e: SseEvent) => void> = [];
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.opened = this.run(url);
  }

  onEvent(fn: (e: SseEvent) => void): void {
    this.listeners.push(fn);
  }

  async waitFor(pred: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching SSE event within ${timeoutMs} ms; saw ${this.events.map((e) => e.event).join(',')}`);
      await sleep(10);
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async run(url: string): Promise<void> {
    const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: this.controller.signal });
    if (res.status !== 200 || !res.body) throw new Error(`SSE ${url} → ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    const pump = async (): Promise<void> => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += decoder.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (!data) continue;
            const e: SseEvent = { event, data: JSON.parse(data), at: performance.now() };
            this.events.push(e);
            for (const l of this.listeners) l(e);
          }
        }
      } catch {
        /* aborted */
      }
    };
    void pump();
  }
}

/** An allocator replica as its own process, the way it runs in production (`tsx services/allocator/src/main.ts`). */
export class AllocatorProcess {
  private child?: ChildProcess;
  readonly url: string;
  output = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  start(): void {
    const root = join(__dirname, '../../../..');
    // `--import tsx` rather than the tsx CLI: the CLI runs the program in a grandchild, which a SIGKILL would orphan.
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/allocator/src/main.ts')], {
      cwd: root,
      env: { ...process.env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(this.port), ALLOCATOR_ADVERTISE_URL: this.url, LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGKILL: the process dies without closing its ZooKeeper session, as in a crash. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
