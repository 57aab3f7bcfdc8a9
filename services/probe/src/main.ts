/**
 * Probe entry point: validate the environment, collect every interval, deliver to the app, serve health and
 * metrics. Exits 2 on bad configuration, 0 after a SIGTERM drain (the buffered reports get one delivery attempt).
 */
import { createLogger } from '../../lib/logger';
import { ConfigError, loadConfig, ProbeConfig } from './config';
import { createProbeHttp } from './probe-http';
import { createProbeMetrics } from './probe-metrics';
import { ProbeService } from './probe-service';

/** Kubernetes waits 30 s by default before SIGKILL; leave room for the HTTP server to close. */
const DRAIN_MS = 10_000;

async function main(): Promise<void> {
  let config: ProbeConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`probe: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('probe', config.logLevel);
  const metrics = createProbeMetrics();
  const service = new ProbeService({
    collector: { procRoot: config.procRoot, sysRoot: config.sysRoot, dockerSocket: config.dockerSocket, host: config.hostname, intervalSeconds: config.intervalSeconds },
    transport: { appUrl: config.appUrl, token: config.token, bufferReports: config.bufferReports },
    logger,
    metrics,
  });
  const server = createProbeHttp({ registry: metrics.registry, ready: () => service.readiness(), latestReport: () => service.latest });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.httpHost, resolve);
  });
  logger.info({ host: config.hostname, appUrl: config.appUrl, intervalSeconds: config.intervalSeconds, procRoot: config.procRoot, sysRoot: config.sysRoot, dockerSocket: config.dockerSocket, http: `${config.httpHost}:${config.httpPort}` }, 'probe started');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeAllConnections();
    service
      .stop(DRAIN_MS)
      .then((undelivered) => {
        logger.info({ undelivered, delivered: service.transport.deliveredReports }, 'stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  service.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`probe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
