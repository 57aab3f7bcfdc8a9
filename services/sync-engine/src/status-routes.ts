/**
 * The engine's own HTTP routes on the shared service frame: what it is doing (/status), the conflict record
 * (/conflicts), and — when a cutover runs — a rollback request. Schemas validate queries and feed /openapi.json.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../../lib/service-http';
import type { ConflictLog } from './conflict-log';
import { CONFLICT_KINDS } from './conflict-policy';

export interface StatusRoutesOptions {
  status: () => Record<string, unknown>;
  conflicts: () => ConflictLog | undefined;
  /** Present when a cutover runs: asks it to roll back. */
  rollback?: () => Promise<{ accepted: boolean; phase: string }>;
}

const conflictSchema = {
  type: 'object',
  properties: {
    at: { type: 'string' },
    path: { type: 'string' },
    kind: { type: 'string', enum: CONFLICT_KINDS },
    policy: { type: 'string' },
    winner: { type: 'string', enum: ['source', 'target'] },
    source: { type: 'object', additionalProperties: true },
    target: { type: 'object', additionalProperties: true },
  },
} as const;

export function registerStatusRoutes(app: FastifyInstance, options: StatusRoutesOptions): void {
  app.get('/status', { schema: { description: 'Phase, direction, queue, lag and counters', response: { 200: { type: 'object', additionalProperties: true } } } }, async () => options.status());

  app.get<{ Querystring: { path?: string; since?: string; limit?: string } }>(
    '/conflicts',
    {
      schema: {
        description: 'Resolved conflicts, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            path: { type: 'string', pattern: '^/', description: 'only conflicts at or under this path' },
            since: { type: 'string', format: 'date-time', description: 'only conflicts at or after this time' },
            // A string checked by pattern: the shared frame does not coerce query strings to numbers.
            limit: { type: 'string', pattern: '^([1-9][0-9]{0,3}|10000)$', description: 'at most this many (1-10000, default 100)' },
          },
        },
        response: { 200: { type: 'object', properties: { total: { type: 'integer' }, conflicts: { type: 'array', items: conflictSchema } } } },
      },
    },
    async (request) => {
      const log = options.conflicts();
      if (!log) throw new HttpError(503, 'replication has not started yet');
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      return { total: log.count, conflicts: log.query({ path: request.query.path, since: request.query.since, limit }) };
    },
  );

  app.post('/cutover/rollback', { schema: { description: 'Roll the cutover back (any phase before done)', response: { 202: { type: 'object', properties: { accepted: { type: 'boolean' }, phase: { type: 'string' } } } } } }, async (_request, reply) => {
    if (!options.rollback) throw new HttpError(404, 'no cutover is running in this process');
    const result = await options.rollback();
    if (!result.accepted) throw new HttpError(409, `cannot roll back in phase ${result.phase}`);
    return reply.code(202).send(result);
  });
}
