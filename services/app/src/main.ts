/**
 * Monitoring app entry point: validate the environment, build the one logger, serve. Exits 2 on bad configuration,
 * 0 after a SIGTERM drain (in-flight reports answered, WebSockets closed).
 */
import { EnvError } from '../../lib/env';
import { createLogger } from '../../lib/logger';
import { exitOnSignal } from '../../lib/service-http';
import { createApp } from './app-server';
import { AppConfig, loadConfig } from './config';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`app: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('app', config.logLevel);
  const app = await createApp({ ...config, logger });
  await app.http.listen({ host: config.httpHost, port: config.httpPort });
  logger.info({ windowSeconds: config.windowSeconds, uiDir: config.uiDir, readAuth: config.apiToken !== undefined }, 'app serving');
  exitOnSignal(app.http, logger, async () => app.stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`app: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
