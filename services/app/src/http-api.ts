/**
 * The read API: topologies, views, node details, probes, the WebSocket per topology, and the web UI's static files
 * at `/`. With APP_API_TOKEN set, every /api/ read needs it (`Authorization: Bearer`, or `?access_token=` where a
 * browser's WebSocket cannot set a header); the UI's files stay open, the data behind them does not.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { HttpError } from '../../lib/service-http';
import { errorSchema, nodeDetailsSchema, nodeParamsSchema, probeListSchema, topologyListSchema, topologyParamsSchema, topologyQuerySchema, topologyViewSchema } from './api-schemas';
import type { BearerToken } from './bearer-auth';
import type { CachedView, TopologyService } from './topology-service';
import type { TopologyStreams } from './topology-streams';

export interface ReadApiOptions {
  service: TopologyService;
  streams: TopologyStreams;
  apiToken?: BearerToken;
  /** The built UI; absent, `/` says how to build it. */
  uiDir?: string;
}

type Params = { name: string; id?: string };
type Query = Record<string, unknown> & { access_token?: string };

const VIEWS = Symbol('view');
type ViewRequest = FastifyRequest & { [VIEWS]?: CachedView };

export async function registerReadApi(app: FastifyInstance, options: ReadApiOptions): Promise<void> {
  const { service, streams, apiToken } = options;
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  if (apiToken) {
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/api/') || request.url.startsWith('/api/report')) return;
      const query = request.query as Query;
      if (apiToken.accepts(request.headers.authorization) || apiToken.accepts(query.access_token, true)) return;
      reply.header('www-authenticate', 'Bearer realm="monitoring API"');
      throw new HttpError(401, 'the monitoring API needs Authorization: Bearer <token> (or ?access_token= on a WebSocket)');
    });
  }

  app.get('/api/topology', { schema: { tags: ['topologies'], summary: 'The topologies, with their node counts and grouping dimensions', response: { 200: topologyListSchema } } }, async () => service.listReady());

  app.get<{ Params: Params; Querystring: Query }>(
    '/api/topology/:name',
    {
      schema: {
        tags: ['topologies'],
        summary: 'One topology\'s nodes and edges, filtered, searched and clustered by the query; the same query on /api/topology/{name}/ws streams it (a snapshot, then diffs at most once a second)',
        params: topologyParamsSchema,
        querystring: topologyQuerySchema,
        response: { 200: topologyViewSchema, 400: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      // A view not yet built is built in steps that let other requests in (topology-service.ts `viewReady`).
      const cached = await service.viewReady(request.params.name, request.query);
      // The view's JSON bytes are made once per generation and query (mostly by the ticker); sent as a Buffer,
      // Fastify neither serialises nor encodes them again.
      return reply.type('application/json; charset=utf-8').send(service.json(cached));
    },
  );

  app.get<{ Params: Params; Querystring: Query }>(
    '/api/topology/:name/ws',
    {
      websocket: true,
      schema: { params: topologyParamsSchema, querystring: topologyQuerySchema },
      // Before the upgrade: an unknown topology or a bad query is an HTTP 404 or 400, not a socket that closes.
      preHandler: async (request) => {
        (request as ViewRequest)[VIEWS] = await service.viewReady(request.params.name, request.query);
      },
    },
    (socket, request) => {
      const handle = streams.subscribe(socket, (request as ViewRequest)[VIEWS] as CachedView);
      socket.on('close', () => streams.unsubscribe(handle));
    },
  );

  app.get<{ Params: Params }>(
    '/api/topology/:name/:id',
    {
      schema: {
        tags: ['topologies'],
        summary: 'One node (id URL-encoded; a cluster id too): its labels, metric series, parents, children and connections',
        params: nodeParamsSchema,
        response: { 200: nodeDetailsSchema, 404: errorSchema },
      },
    },
    async (request) => service.detailsReady(request.params.name, request.params.id as string),
  );

  app.get('/api/probes', { schema: { tags: ['probes'], summary: 'Every probe: last report, version, status, reports it dropped and reports refused from it', response: { 200: probeListSchema } } }, async () => service.probes());

  const uiDir = options.uiDir === undefined ? undefined : resolve(options.uiDir);
  if (uiDir !== undefined && existsSync(resolve(uiDir, 'index.html'))) {
    const serveStatic = (await import('@fastify/static')).default;
    await app.register(serveStatic, { root: uiDir, prefix: '/', index: ['index.html'] });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(404).type('text/plain; charset=utf-8').send(`The web UI is not built${uiDir ? ` in ${uiDir}` : ''}: run npm run build:ui. The API is at /api/topology.\n`),
    );
  }
}
