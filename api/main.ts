/** The API process: `HOST`, `PORT`, `DATABASE_URL`, `TEMPORAL_ADDRESS` (SPEC §8b). */
import { loadConfig } from '../config';
import { openMigratedOrm } from '../db/orm';
import { buildApi, connectTemporal } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await openMigratedOrm(config.databaseUrl);
  const temporal = await connectTemporal(config);
  const { app } = buildApi({ config, orm, temporal });
  const server = app.listen(config.port, config.host, () => console.log(`api: listening on http://${config.host}:${config.port}`));
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
