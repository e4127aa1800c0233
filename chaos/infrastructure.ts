/** The fault run's own MariaDB and Temporal dev server, which it restarts; or a running pair it leaves alone. */
import path from 'node:path';
import { freePort, startDevServer, type DevServer } from '../worker/temporal-dev-server';
import { PrivateMariaDb } from './mariadb';

export interface Infrastructure {
  databaseServerUrl: string;
  temporalAddress: string;
  restartTemporal(): Promise<void>;
  restartDatabase(): Promise<void>;
  stop(): Promise<void>;
}

export interface ExternalStack {
  databaseServerUrl: string;
  temporalAddress: string;
}

export async function startInfrastructure(dataDir: string, external?: ExternalStack): Promise<Infrastructure> {
  if (external) {
    const noRestart = async () => { throw new Error('an external stack is not restarted'); };
    return { ...external, restartTemporal: noRestart, restartDatabase: noRestart, stop: async () => undefined };
  }
  const db = new PrivateMariaDb(path.join(dataDir, 'mariadb'), await freePort());
  await db.create();
  const temporalPort = await freePort();
  const serverOptions = {
    port: temporalPort,
    dbFile: path.join(dataDir, 'temporal.db'),
    sqlitePragmas: ['journal_mode=WAL', 'synchronous=OFF'],
    logFile: path.join(dataDir, 'temporal.log'),
  };
  let temporal: DevServer = await startDevServer(serverOptions);
  return {
    databaseServerUrl: db.serverUrl,
    temporalAddress: temporal.address,
    async restartTemporal() {
      await temporal.stop();
      temporal = await startDevServer(serverOptions);
    },
    restartDatabase: () => db.restart(),
    async stop() {
      await temporal.stop();
      await db.destroy();
    },
  };
}
