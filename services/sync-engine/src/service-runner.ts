/**
 * Long-running modes — `sync`, `cutover` with --http-port, and service mode — share this: the HTTP frame with
 * /healthz /readyz /metrics /status /conflicts, the checked sides, the sync or cutover itself, and a clean stop on
 * SIGTERM/SIGINT (the ledger is saved; a cutover resumes from its persisted phase next time).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/logger';
import { createServiceHttp } from '../../lib/service-http';
import type { CliOutput } from './cli-output';
import type { EngineConfig } from './config';
import { Cutover, isTerminal, requestRollback } from './cutover';
import { SyncMetrics } from './metrics';
import { openCheckedSides } from './preflight';
import { registerStatusRoutes } from './status-routes';
import { StateStore } from './state-store';
import { SyncSession } from './sync-session';

export async function runService(config: EngineConfig, logger: Logger, out?: CliOutput): Promise<number> {
  const kind = config.mode === 'serve' ? config.serveMode : config.mode === 'cutover' ? 'cutover' : 'sync';
  const metrics = new SyncMetrics();
  const store = config.stateDir ? new StateStore(config.stateDir) : undefined;
  let session: SyncSession | undefined;
  let cutover: Cutover | undefined;

  let stopRequested!: () => void;
  const stopped = new Promise<'signal'>((resolve) => (stopRequested = () => resolve('signal')));
  const onSignal = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    stopRequested();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  let app: FastifyInstance | undefined;
  const currentSession = (): SyncSession | undefined => cutover?.session ?? session;
  if (config.httpPort > 0) {
    app = await createServiceHttp({
      logger,
      registry: metrics.registry,
      ready: () => (currentSession()?.initialCompareDone ? { ready: true } : { ready: false, reason: 'initial compare running' }),
      openapi: { title: 'sync-engine', version: '0.1.0', description: 'ZooKeeper migration: copy, sync, verify, cutover' },
    });
    registerStatusRoutes(app, {
      status: () => ({
        mode: kind,
        job: config.job,
        source: config.source.connect,
        target: config.target.connect,
        phase: cutover ? cutover.phase : session?.initialCompareDone ? 'sync' : 'copy',
        ...(cutover ? { history: cutover.state.history } : {}),
        ...(currentSession()?.status() ?? {}),
      }),
      conflicts: () => currentSession()?.conflicts,
      rollback:
        kind === 'cutover'
          ? async () => {
              const phase = cutover?.phase ?? 'copy';
              if (phase === 'done' || phase === 'rolled-back') return { accepted: false, phase };
              requestRollback(store!);
              return { accepted: true, phase };
            }
          : undefined,
    });
    await app.listen({ host: config.httpHost, port: config.httpPort });
    out?.line(`http listening on ${config.httpHost}:${(app.server.address() as { port: number }).port}`);
  }

  const closeApp = async (): Promise<void> => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await app?.close();
  };
  let sides;
  try {
    sides = await openCheckedSides(config, logger, { exitOnExpiry: process.env.SYNC_ENGINE_SUPERVISED === '1' || config.mode === 'serve' });
  } catch (err) {
    await closeApp();
    throw err;
  }
  const { source, target } = sides;
  try {
    if (kind === 'sync') {
      session = new SyncSession({ config, source, target, store, metrics, logger });
      metrics.setPhase('copy');
      const started = await Promise.race([session.start().then(() => 'started' as const), stopped]);
      if (started === 'started') {
        metrics.setPhase('sync');
        out?.line(`replicating ${config.twoWay ? 'both ways' : 'source to target'}; initial compare done (${session.ledger.size} nodes)`);
        await stopped;
      }
      await session.stop();
      return 0;
    }
    cutover = new Cutover({ config, store: store!, source, target, metrics, logger });
    const result = await Promise.race([cutover.run(), stopped]);
    if (result === 'signal') {
      await cutover.session?.stop();
      return 0;
    }
    out?.result(result, [`cutover ${result.phase}`, ...result.history.map((h) => `  ${h.phase.padEnd(13)} ${(h.durationMs / 1000).toFixed(2)} s`)]);
    // In service mode the process stays up after the cutover so its status and metrics remain readable.
    if (config.mode === 'serve' && isTerminal(result.phase)) await stopped;
    return result.phase === 'done' || result.phase === 'rolled-back' ? 0 : 1;
  } finally {
    source.close();
    target.close();
    await closeApp();
  }
}
