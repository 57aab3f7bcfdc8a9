/**
 * A small real HTTP + WebSocket server that answers the app's public API from fixture views and serves the built UI,
 * so the UI can be driven in Chromium before (and independently of) the real backend. It speaks the same routes and
 * shapes as services/app: the page cannot tell the difference, which is the point.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { NodeDetails, ProbeList, TopologyDiff, TopologyList, TopologyQuery, TopologySnapshot, ViewNode } from '../../../../../services/app/src/api-shapes';
import { FixtureTopology, parseQuery, queryView } from './fixture-views';

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.png': 'image/png' };

interface Subscriber {
  socket: WebSocket;
  topology: string;
  query: TopologyQuery;
  seq: number;
}

export interface FixtureApp {
  url: string;
  /** Sends a diff to every socket open on the topology (seq filled in per socket). */
  push(topology: string, diff: Omit<TopologyDiff, 'seq' | 'type'>): void;
  /** Sockets open now, by topology. */
  subscribers(topology: string): number;
  /** Waits until `n` sockets are open on the topology. */
  waitForSubscribers(topology: string, n: number, timeoutMs?: number): Promise<void>;
  /** The query of every socket opened so far, oldest first. */
  socketQueries: Array<{ topology: string; query: TopologyQuery }>;
  /** Closes every open socket, as an app restart would. */
  dropSockets(): void;
  /** Answers 503 to the API and refuses sockets while set, as an app that is down behind the proxy serving the page. */
  setUnavailable(down: boolean): void;
  stop(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function serveStatic(uiDir: string, pathname: string, res: ServerResponse): void {
  const rel = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^(\.\.[/\\])+/, '');
  const file = join(uiDir, rel);
  if (!file.startsWith(uiDir) || !existsSync(file) || !statSync(file).isFile()) {
    sendJson(res, 404, { error: `no file ${pathname}` });
    return;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

/** A short history that ends at the node's latest value, so the details panel has a line to draw. */
function fakeSeries(node: ViewNode, now: number): NodeDetails['series'] {
  const series: NodeDetails['series'] = {};
  for (const [name, value] of Object.entries(node.metrics)) {
    series[name] = Array.from({ length: 40 }, (_, i) => [now - (39 - i) * 15_000, i === 39 ? value : value * (0.6 + 0.4 * Math.abs(Math.sin(i * 0.7 + name.length)))]);
  }
  return series;
}

function nodeDetails(topology: FixtureTopology, id: string): NodeDetails | undefined {
  const node = topology.nodes.find((n) => n.id === id);
  if (!node) return undefined;
  const label = (other: string) => topology.nodes.find((n) => n.id === other)?.label ?? other;
  const outbound = topology.edges.filter((e) => e.source === id).map((e) => ({ node: e.target, label: label(e.target), port: 8080, count: e.weight }));
  const inbound = topology.edges.filter((e) => e.target === id).map((e) => ({ node: e.source, label: label(e.source), count: e.weight }));
  const host = node.group.host;
  return {
    topology: topology.descriptor.name,
    node,
    series: fakeSeries(node, Date.now()),
    parents: host ? [{ id: `host:${host}`, label: host, kind: 'host' }] : [],
    children: [],
    connections: { inbound, outbound },
  };
}

/** As the app with APP_API_TOKEN: the read API and sockets want `Authorization: Bearer` or `?access_token=`. */
function authorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (!token) return true;
  return req.headers.authorization === `Bearer ${token}` || url.searchParams.get('access_token') === token;
}

export async function startFixtureApp(uiDir: string, topologies: FixtureTopology[], options: { apiToken?: string } = {}): Promise<FixtureApp> {
  const byName = new Map(topologies.map((t) => [t.descriptor.name, t]));
  const subscribers = new Set<Subscriber>();
  const socketQueries: Array<{ topology: string; query: TopologyQuery }> = [];
  let unavailable = false;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    if (!url.pathname.startsWith('/api/')) return serveStatic(uiDir, url.pathname, res);
    if (unavailable) return sendJson(res, 503, { error: 'unavailable' });
    if (!authorized(req, url, options.apiToken)) return sendJson(res, 401, { error: 'Unauthorized' });
    const parts = url.pathname.split('/').slice(3).map(decodeURIComponent);
    if (url.pathname === '/api/probes') {
      const probes: ProbeList = { probes: [{ id: 'node-0000', host: 'node-0000', version: 'fixture', lastSeen: Date.now(), intervalSeconds: 15, droppedReports: 0, refusedReports: 0, collectionErrors: {}, status: 'ok' }] };
      return sendJson(res, 200, probes);
    }
    if (url.pathname === '/api/topology') {
      const list: TopologyList = { topologies: topologies.map((t) => ({ ...t.descriptor, nodeCount: t.nodes.length })) };
      return sendJson(res, 200, list);
    }
    const topology = byName.get(parts[0]);
    if (!topology) return sendJson(res, 404, { error: `no topology ${parts[0]}` });
    if (parts.length === 1) return sendJson(res, 200, queryView(topology, parseQuery(url.searchParams)));
    const details = nodeDetails(topology, parts[1]);
    return details ? sendJson(res, 200, details) : sendJson(res, 404, { error: `no node ${parts[1]}` });
  };

  const server: Server = createServer(handle);
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const m = /^\/api\/topology\/([^/]+)\/ws$/.exec(url.pathname);
    const topology = m ? byName.get(decodeURIComponent(m[1])) : undefined;
    if (!topology || unavailable || !authorized(req, url, options.apiToken)) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sub: Subscriber = { socket: ws, topology: topology.descriptor.name, query: parseQuery(url.searchParams), seq: 1 };
      subscribers.add(sub);
      socketQueries.push({ topology: sub.topology, query: sub.query });
      ws.on('close', () => subscribers.delete(sub));
      const snapshot: TopologySnapshot = { type: 'snapshot', seq: sub.seq, view: queryView(topology, sub.query) };
      ws.send(JSON.stringify(snapshot));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const count = (topology: string) => [...subscribers].filter((s) => s.topology === topology && s.socket.readyState === WebSocket.OPEN).length;
  return {
    url: `http://127.0.0.1:${port}`,
    push(topology, diff) {
      for (const sub of subscribers) {
        if (sub.topology !== topology) continue;
        sub.seq++;
        sub.socket.send(JSON.stringify({ type: 'diff', seq: sub.seq, ...diff } satisfies TopologyDiff));
      }
    },
    subscribers: count,
    socketQueries,
    async waitForSubscribers(topology, n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (count(topology) < n) {
        if (Date.now() > deadline) throw new Error(`${count(topology)} sockets open on ${topology}, waited for ${n}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    dropSockets() {
      for (const sub of subscribers) sub.socket.terminate();
    },
    setUnavailable(down) {
      unavailable = down;
    },
    async stop() {
      for (const sub of subscribers) sub.socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
