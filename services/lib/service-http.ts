/**
 * The HTTP frame every long-running service shares: Fastify with pino, `/healthz`, `/readyz`, `/metrics`, route
 * schemas that double as OpenAPI, JSON 400s that name the field, and a SIGTERM drain.
 */
import Fastify, { FastifyBaseLogger, FastifyError, FastifyInstance, LogController } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from './logger';

export interface ServiceHttpOptions {
  logger: Logger;
  /** The service's metrics registry; default process metrics are added to it. */
  registry: Registry;
  /** Readiness: false makes `/readyz` answer 503 with the reason. May ask elsewhere (a promise), e.g. who leads. */
  ready: () => Readiness | Promise<Readiness>;
  /** Title and version for the OpenAPI document served at `/openapi.json`. */
  openapi?: { title: string; version: string; description?: string };
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** An HTTP error with a status code that the error handler passes through as `{ error, message }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export async function createServiceHttp(options: ServiceHttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines would drown the log at the request rates these services take; metrics count requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
    ajv: { customOptions: { allErrors: false, coerceTypes: false } },
  });
  collectDefaultMetrics({ register: options.registry });

  if (options.openapi) {
    const swagger = (await import('@fastify/swagger')).default;
    await app.register(swagger, { openapi: { info: options.openapi } });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: statusText(err.statusCode), message: err.message });
    if ((err as FastifyError).validation) {
      // Ajv says `body/resources/cpus must be >= 0`; turn the instance path into the field name a client sent.
      const message = err.message.replace(/^(body|querystring|params|headers)\/?/, '').replace(/\//g, '.');
      return reply.code(400).send({ error: 'Bad Request', message });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: statusText(status), message: err.message });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const state = await options.ready();
    return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', reason: state.reason });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
  return app;
}

/** On SIGTERM or SIGINT: stop accepting, run `drain`, close, exit 0 (or 1 if draining failed). */
export function exitOnSignal(app: FastifyInstance, logger: Logger, drain: () => Promise<void> = async () => {}): void {
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.close();
      await drain();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

function statusText(code: number): string {
  const texts: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 410: 'Gone', 421: 'Misdirected Request', 422: 'Unprocessable Entity', 503: 'Service Unavailable' };
  return texts[code] ?? (code >= 500 ? 'Internal Server Error' : 'Error');
}
