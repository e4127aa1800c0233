/**
 * The product's API as the benchmark runs it: api/main.ts's wiring (`buildApi` from the same
 * configuration variables), but bound to 127.0.0.1 only (api/main.ts listens on every interface)
 * and in a process of its own, so that its memory and CPU are measured apart from the load
 * generator's. SIGTERM ends it cleanly, which lets `--cpu-prof` write its profile.
 */
import { loadConfig } from '../config';
import { openOrm } from '../db/orm';
import { buildApi, connectTemporal } from '../api/server';
import { API_READY_LINE } from './ready-lines';

async function main(): Promise<void> {
  const config = loadConfig();
  const orm = await openOrm(config.databaseUrl);
  const temporal = await connectTemporal(config);
  const { app } = buildApi({ config, orm, temporal });
  const server = app.listen(config.port, '127.0.0.1', () => console.log(`${API_READY_LINE} on 127.0.0.1:${config.port}`));
  const stop = () => {
    server.closeAllConnections();
    server.close(async () => {
      await temporal.connection.close();
      await orm.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
