/** The API process: `HOST`, `PORT`, `DATABASE_URL`, `TEMPORAL_ADDRESS` (SPEC §8b). */
import '../startup/node-version';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig } from '../config';
import { openMigratedOrm } from '../db/orm';
import { createLogger } from '../logger';
import { exitOnStartupError } from '../startup/errors';
import { assertPortFree, listenHttp } from '../startup/ports';
import { checkTemporal } from '../startup/temporal-check';
import { buildApi, connectTemporal } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  // A taken port is named before the slower steps rather than after them.
  await assertPortFree(config.port, config.host, 'PORT');
  await checkTemporal(config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS, config.temporalNamespace, config.temporalAddress !== undefined);
  const orm = await openMigratedOrm(config.databaseUrl);
  const temporal = await connectTemporal(config);
  const logger = createLogger(config.logLevel, 'api');
  const { app } = buildApi({ config, orm, temporal, logger });
  const server = await listenHttp(app.callback(), config.port, config.host);
  logger.info({ host: config.host, port: config.port }, `api: listening on http://${config.host}:${config.port}`);
  // Requests under way finish; idle keep-alive connections would otherwise hold the close open.
  const stop = () => {
    server.close(async () => {
      await temporal.connection.close();
      await orm.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch(exitOnStartupError);
