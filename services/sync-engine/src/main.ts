/**
 * Service mode: configuration from SYNC_* environment variables (validated at start, one readable line on error),
 * then a sync or a cutover (SYNC_SERVE_MODE) with the HTTP status API on HTTP_PORT (default 8091).
 */
import { createLogger } from '../../lib/logger';
import { parseEnvConfig } from './config';
import { runService } from './service-runner';

async function main(): Promise<number> {
  let config;
  try {
    config = parseEnvConfig();
  } catch (err) {
    process.stderr.write(`sync-engine: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = createLogger('sync-engine');
  try {
    return await runService(config, logger);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'sync-engine failed');
    process.stderr.write(`sync-engine: ${(err as Error).message}\n`);
    return 2;
  }
}

void main().then((code) => process.exit(code));
