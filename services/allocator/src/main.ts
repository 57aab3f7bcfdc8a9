/**
 * Allocator process entry point: validate the environment, build the one logger and the metrics, serve HTTP, join the
 * election. Exits 2 on bad configuration, 1 when the replica can no longer lead safely, 0 after a SIGTERM drain.
 */
import { EnvError } from '../../lib/env';
import { createLogger } from '../../lib/logger';
import { createServiceHttp, exitOnSignal } from '../../lib/service-http';
import { AllocatorConfig, loadConfig } from './config';
import { registerHttpApi } from './http-api';
import { createMetrics } from './metrics';
import { Replica } from './replica';

async function main(): Promise<void> {
  let config: AllocatorConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`allocator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('allocator', config.logLevel);
  const metrics = createMetrics();
  const replica = new Replica({
    zkConnect: config.zkConnect,
    zkRoot: config.zkRoot,
    zkSessionTimeoutMs: config.zkSessionTimeoutMs,
    advertiseUrl: config.advertiseUrl,
    intervalMs: config.intervalMs,
    allocator: {
      offerTimeoutMs: config.offerTimeoutMs,
      maxOffersPerFramework: config.maxOffersPerFramework,
      excludedResources: config.excludedResources,
      minAllocatable: config.minAllocatable,
    },
    logger,
    metrics,
  });
  const app = await createServiceHttp({
    logger,
    registry: metrics.registry,
    ready: () => replica.readiness(),
    openapi: { title: 'orchestrator allocator', version: '1.0.0', description: 'Hierarchical weighted DRF with quotas, Mesos-style offers and a task queue' },
  });
  await registerHttpApi(app, replica);
  // Streams are hijacked responses the server would wait on forever; end them before it closes.
  app.addHook('preClose', async () => replica.streams.close());
  replica.on('fatal', (err: Error) => {
    logger.fatal({ err }, 'exiting so a fresh process can rejoin the election');
    void app.close().finally(() => process.exit(1));
    setTimeout(() => process.exit(1), 2000).unref();
  });
  await app.listen({ host: config.httpHost, port: config.httpPort });
  exitOnSignal(app, logger, () => replica.stop());
  await replica.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`allocator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
