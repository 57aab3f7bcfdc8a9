/**
 * The allocator's HTTP API under /api/v1. Every route declares its JSON schema: Fastify validates with it (a bad body
 * is a 400 naming the field) and @fastify/swagger turns the same declarations into /openapi.json.
 *
 * Followers do not serve the API: a hook answers 307 with the leader's URL, so clients (and Mesos-style operator
 * scripts) just follow the redirect.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { HttpError } from '../../lib/service-http';
import { agentView, frameworkView, groupView, offerView, roleView, stateView, taskView } from './api-views';
import type { StreamSink } from './framework-streams';
import type { FrameworkMode, TaskState } from './model';
import { run } from './http-commit';
import type { Replica } from './replica';
import { parseBounds, parseResources, parseTaskRequest, resourcesSchema, ResourcesBody, scalarsSchema, taskRequestSchema } from './request-parsing';
import type { ScalarBounds } from './resources';
import { registerMesosOperatorApi } from './mesos-operator-api';

/** Paths served only by the leader. */
const LEADER_ONLY = /^\/(api\/|weights|quota|master\/)/;

const idParam = (name: string) => ({ type: 'object', required: [name], properties: { [name]: { type: 'string', minLength: 1, maxLength: 256 } } }) as const;
const errorResponse = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } as const;
const filtersSchema = {
  type: 'object',
  description: 'Hide declined (or accepted but unused) resources from this framework for refuseSeconds (default 5; 0 = no filter)',
  properties: { refuseSeconds: { type: 'number', minimum: 0, maximum: 31536000 } },
} as const;

export async function registerHttpApi(app: FastifyInstance, replica: Replica): Promise<void> {
  await app.register(websocket);

  app.addHook('onRequest', async (req, reply) => {
    if (!LEADER_ONLY.test(req.url) || replica.isLeader) return;
    const state = await replica.availability();
    if (state.serve === 'nowhere') {
      reply.header('retry-after', '1');
      throw new HttpError(503, state.reason);
    }
    if (state.serve === 'here') return;
    const leader = state.leaderUrl;
    // 307 keeps the method and body, so a PUT or POST is replayed against the leader as sent.
    return reply.code(307).header('location', `${leader.replace(/\/$/, '')}${req.url}`).send({ error: 'Temporary Redirect', message: `this replica follows; the leader is ${leader}` });
  });

  await app.register(async (api) => {
    registerAgentRoutes(api, replica);
    registerRoleRoutes(api, replica);
    registerFrameworkRoutes(api, replica);
    registerTaskRoutes(api, replica);
    api.get('/api/v1/state', { schema: { tags: ['state'], summary: 'Everything the leader knows: agents, frameworks, roles, offers, tasks, pending tasks' } }, async () =>
      stateView(replica.requireLeader()),
    );
    for (const action of ['pause', 'resume'] as const) {
      api.post(
        `/api/v1/allocator/${action}`,
        { schema: { tags: ['state'], summary: action === 'pause' ? 'Hold allocation cycles (changes are still accepted)' : 'Resume allocation with a full cycle now' } },
        async () => {
          replica.requireLeader();
          if (action === 'pause') replica.pause();
          else replica.resume();
          return { paused: replica.isPaused };
        },
      );
    }
    registerMesosOperatorApi(api, replica);
  });
}

function registerAgentRoutes(api: FastifyInstance, replica: Replica): void {
  api.put<{ Params: { id: string }; Body: { resources: ResourcesBody; attributes?: Record<string, string | number>; reservations?: Record<string, ResourcesBody> } }>(
    '/api/v1/agents/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Register an agent or change its resources (outstanding offers on it are rescinded)',
        params: idParam('id'),
        body: {
          type: 'object',
          required: ['resources'],
          properties: {
            resources: resourcesSchema,
            attributes: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
            reservations: { type: 'object', description: 'Per role: resources of this agent only that role is offered', additionalProperties: resourcesSchema },
          },
        },
        response: { 400: errorResponse, 409: errorResponse },
      },
    },
    async (req) => {
      const res = parseResources('resources', req.body.resources);
      const reservations: Record<string, ReturnType<typeof parseResources>> = {};
      for (const [role, r] of Object.entries(req.body.reservations ?? {})) reservations[role] = parseResources(`reservations.${role}`, r);
      return run(replica, (a) => {
        const op = a.putAgent(req.params.id, { resources: res, attributes: req.body.attributes ?? {}, reservations });
        return { ops: [op], result: agentView(a.agents.get(req.params.id)!) };
      });
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/api/v1/agents/:id',
    { schema: { tags: ['agents'], summary: 'Remove an agent: its tasks are lost and reported to their frameworks', params: idParam('id'), response: { 404: errorResponse } } },
    async (req) => {
      const lost = await run(replica, (a) => {
        const { op, lost } = a.removeAgent(req.params.id);
        return { ops: [op], result: lost };
      });
      // Reported only now that the removal is durable: a new leader must agree these tasks are gone.
      for (const t of lost) replica.streams.publish(t.frameworkId, 'lost', { task: taskView(t), reason: `agent '${req.params.id}' was removed` });
      replica.options.metrics.tasksLost.inc(lost.length);
      return { id: req.params.id, lostTasks: lost.map(taskView) };
    },
  );
}

function registerRoleRoutes(api: FastifyInstance, replica: Replica): void {
  api.put<{ Params: { role: string }; Body: { weight?: number; quota?: { guarantees?: ScalarBounds; limits?: ScalarBounds } } }>(
    '/api/v1/roles/:role',
    {
      schema: {
        tags: ['roles'],
        summary: "Set a role's weight and quota (URL-encode '/' in nested role names: eng%2Fml)",
        params: idParam('role'),
        body: {
          type: 'object',
          properties: {
            weight: { type: 'number', exclusiveMinimum: 0 },
            quota: { type: 'object', properties: { guarantees: scalarsSchema, limits: scalarsSchema } },
          },
        },
        response: { 400: errorResponse },
      },
    },
    async (req) => {
      const quota = req.body.quota ? { guarantees: parseBounds('quota.guarantees', req.body.quota.guarantees), limits: parseBounds('quota.limits', req.body.quota.limits) } : undefined;
      return run(replica, (a) => {
        const op = a.setRole(req.params.role, { weight: req.body.weight, quota });
        return { ops: [op], result: roleView(a, req.params.role) };
      });
    },
  );

  api.get('/api/v1/roles', { schema: { tags: ['roles'], summary: 'Every known role: weight, quota, allocated, consumed and dominant share' } }, async () => {
    const a = replica.requireLeader();
    return { roles: a.roleNames().map((r) => roleView(a, r)) };
  });
}

function registerFrameworkRoutes(api: FastifyInstance, replica: Replica): void {
  api.post<{ Body: { name: string; roles: string[]; mode?: FrameworkMode; maxOffers?: number } }>(
    '/api/v1/frameworks',
    {
      schema: {
        tags: ['frameworks'],
        summary: 'Subscribe a framework; returns its id',
        body: {
          type: 'object',
          required: ['name', 'roles'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 256 },
            roles: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 64 },
            mode: { type: 'string', enum: ['offers', 'queue'], description: 'offers (Mesos semantics) or queue (the allocator places submitted tasks)' },
            maxOffers: { type: 'integer', minimum: 1, maximum: 100000 },
          },
        },
        response: { 201: { type: 'object', properties: { id: { type: 'string' } } }, 400: errorResponse },
      },
    },
    async (req, reply) => {
      const id = randomUUID();
      await run(replica, (a) => ({
        ops: [a.addFramework({ id, name: req.body.name, roles: req.body.roles, mode: req.body.mode ?? 'offers', maxOffers: req.body.maxOffers ?? a.maxOffersPerFramework })],
        result: id,
      }));
      return reply.code(201).send({ id });
    },
  );

  api.get<{ Params: { id: string } }>('/api/v1/frameworks/:id', { schema: { tags: ['frameworks'], summary: "A framework with its offers, tasks and pending task groups", params: idParam('id') } }, async (req) => {
    const a = replica.requireLeader();
    const fw = a.frameworks.get(req.params.id);
    if (!fw) throw new HttpError(404, `framework '${req.params.id}' is not subscribed`);
    return { ...frameworkView(fw), offerList: [...fw.offers].map((o) => offerView(o, a.agents.get(o.agentId))), taskList: [...fw.tasks].map(taskView), groups: fw.groups.map(groupView) };
  });

  api.delete<{ Params: { id: string } }>('/api/v1/frameworks/:id', { schema: { tags: ['frameworks'], summary: 'Tear a framework down: its offers are rescinded and its tasks end', params: idParam('id') } }, async (req) => {
    const ended = await run(replica, (a) => {
      const { op, ended } = a.removeFramework(req.params.id);
      return { ops: [op], result: ended };
    });
    replica.streams.close(req.params.id);
    return { id: req.params.id, endedTasks: ended.length };
  });

  api.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/api/v1/frameworks/:id/offers',
    schema: {
      tags: ['frameworks'],
      summary: 'Stream of offers and events: Server-Sent Events, or a WebSocket with the same events as {"type", ...} messages',
      description: 'Events: offer, rescind, tasks (queue-mode placements), lost. Outstanding offers are sent first on connect.',
      params: idParam('id'),
    },
    handler: (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const a = replica.requireLeader();
      const fw = a.frameworks.get(req.params.id);
      if (!fw) throw new HttpError(404, `framework '${req.params.id}' is not subscribed`);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': subscribed\n\n');
      const sink: StreamSink = {
        send: (event, data) => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
        close: () => res.end(),
      };
      const unsubscribe = replica.streams.subscribe(fw.id, sink);
      for (const o of fw.offers) sink.send('offer', offerView(o, a.agents.get(o.agentId)));
      // Comments keep idle proxies from cutting the stream.
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000);
      req.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
    wsHandler: (socket, req) => {
      const { id } = req.params as { id: string };
      const a = replica.allocator;
      const fw = replica.isLeader ? a?.frameworks.get(id) : undefined;
      if (!a || !fw) {
        socket.close(4404, `framework '${id}' is not subscribed`);
        return;
      }
      const sink: StreamSink = { send: (type, data) => socket.send(JSON.stringify({ type, ...(data as object) })), close: () => socket.close(1001, 'leader stopped') };
      const unsubscribe = replica.streams.subscribe(fw.id, sink);
      for (const o of fw.offers) sink.send('offer', offerView(o, a.agents.get(o.agentId)));
      socket.on('close', unsubscribe);
    },
  });

  api.post<{ Params: { id: string }; Body: { offerIds: string[]; tasks: Array<{ id?: string; name: string; resources: ResourcesBody }>; filters?: { refuseSeconds?: number } } }>(
    '/api/v1/frameworks/:id/accept',
    {
      schema: {
        tags: ['frameworks'],
        summary: 'Accept offers of one agent and launch tasks in them; unused resources are declined with the filters',
        params: idParam('id'),
        body: {
          type: 'object',
          required: ['offerIds', 'tasks'],
          properties: {
            offerIds: { type: 'array', items: { type: 'string' }, minItems: 1 },
            tasks: {
              type: 'array',
              items: { type: 'object', required: ['name', 'resources'], properties: { id: { type: 'string', minLength: 1, maxLength: 256 }, name: { type: 'string', maxLength: 256 }, resources: resourcesSchema } },
            },
            filters: filtersSchema,
          },
        },
        response: { 400: errorResponse, 404: errorResponse, 409: errorResponse, 410: errorResponse },
      },
    },
    async (req) => {
      const tasks = req.body.tasks.map((t, i) => ({ id: t.id, name: t.name, resources: parseResources(`tasks[${i}].resources`, t.resources) }));
      const launched = await run(replica, (a) => {
        const { op, tasks: records } = a.accept(req.params.id, { offerIds: req.body.offerIds, tasks, refuseSeconds: req.body.filters?.refuseSeconds });
        return { ops: [op], result: records };
      });
      replica.options.metrics.launches.inc(launched.length);
      return { tasks: launched.map((t) => taskView(t)) };
    },
  );

  api.post<{ Params: { id: string }; Body: { offerIds: string[]; filters?: { refuseSeconds?: number } } }>(
    '/api/v1/frameworks/:id/decline',
    {
      schema: {
        tags: ['frameworks'],
        summary: 'Decline offers, optionally hiding them from this framework for refuseSeconds',
        params: idParam('id'),
        body: { type: 'object', required: ['offerIds'], properties: { offerIds: { type: 'array', items: { type: 'string' }, minItems: 1 }, filters: filtersSchema } },
        response: { 400: errorResponse, 404: errorResponse, 410: errorResponse },
      },
    },
    async (req) => {
      // Offers and filters are transient (a new leader starts without them), so a decline needs no journal entry. As
      // in Mesos, declined resources wait for the next periodic cycle: re-offering at once would let a framework that
      // declines everything with refuseSeconds 0 spin the allocator.
      await run(
        replica,
        (a) => {
          a.decline(req.params.id, req.body.offerIds, req.body.filters?.refuseSeconds);
          return { ops: [], result: null };
        },
        { cycleNow: false },
      );
      return { declined: req.body.offerIds.length };
    },
  );

  for (const action of ['suppress', 'revive'] as const) {
    api.post<{ Params: { id: string }; Body: { roles?: string[] } | undefined }>(
      `/api/v1/frameworks/:id/${action}`,
      {
        schema: {
          tags: ['frameworks'],
          summary: action === 'suppress' ? 'Stop offers and placements for some (default all) of the framework’s roles' : 'Resume offers for some (default all) roles and clear their filters',
          params: idParam('id'),
          body: { type: 'object', properties: { roles: { type: 'array', items: { type: 'string' }, minItems: 1 } } },
          response: { 400: errorResponse, 404: errorResponse },
        },
      },
      async (req) =>
        run(replica, (a) => {
          const op = a.setSuppressed(req.params.id, req.body?.roles, action === 'suppress');
          return { ops: [op], result: frameworkView(a.frameworks.get(req.params.id)!) };
        }),
    );
  }

  api.post<{ Params: { id: string }; Body: { name: string; resources: Record<string, number>; count: number; role?: string } }>(
    '/api/v1/frameworks/:id/tasks',
    {
      schema: {
        tags: ['queue'],
        summary: 'Queue mode: submit count identical tasks; the allocator places them in DRF order and streams "tasks" events',
        params: idParam('id'),
        body: {
          type: 'object',
          required: ['name', 'resources', 'count'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 256 }, resources: taskRequestSchema, count: { type: 'integer', minimum: 1, maximum: 1000000 }, role: { type: 'string' } },
        },
        response: { 202: { type: 'object', properties: { groupId: { type: 'string' }, count: { type: 'integer' } } }, 400: errorResponse, 404: errorResponse },
      },
    },
    async (req, reply) => {
      const request = parseTaskRequest('resources', req.body.resources);
      const groupId = randomUUID().slice(0, 13);
      await run(replica, (a) => ({ ops: [a.submitTasks(req.params.id, groupId, { name: req.body.name, role: req.body.role, request, count: req.body.count })], result: null }));
      return reply.code(202).send({ groupId, count: req.body.count });
    },
  );
}

function registerTaskRoutes(api: FastifyInstance, replica: Replica): void {
  api.post<{ Params: { id: string }; Body: { state: TaskState } }>(
    '/api/v1/tasks/:id/status',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Report a task finished or failed: its resources return to the pool',
        params: idParam('id'),
        body: { type: 'object', required: ['state'], properties: { state: { type: 'string', enum: ['finished', 'failed'] } } },
        response: { 400: errorResponse, 404: errorResponse },
      },
    },
    async (req) => {
      const task = await run(replica, (a) => {
        const { op, task } = a.endTask(req.params.id, req.body.state);
        return { ops: [op], result: task };
      });
      replica.options.metrics.taskEnds.inc({ state: req.body.state });
      return { id: task.id, state: req.body.state };
    },
  );
}
