/**
 * `npm start`: the whole service in one process for development. Starts a Temporal dev server
 * (persisted under .data/, web UI on TEMPORAL_UI_PORT) unless TEMPORAL_ADDRESS points at a
 * cluster, creates and migrates the database, runs the worker and the API, seeds demo data and
 * prints tokens and the curl lines of the happy path. What is quick to check (ports, a given
 * Temporal, the database) is checked before the dev server starts, so a failure comes at once.
 */
import '../startup/node-version';
import { NativeConnection } from '@temporalio/worker';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { issueToken, type JwtKey } from '../api/auth';
import { buildApi, connectTemporal } from '../api/server';
import { DEVELOPMENT_PAYLOAD_KEY, DEVELOPMENT_PAYLOAD_KEY_ID } from '../codec/keyring';
import { loadConfig, type Config } from '../config';
import { openBeginlessOrm, openMigratedOrm } from '../db/orm';
import { installRuntimeLogging } from '../worker/logging';
import { createWorker, runWorker, workerSettings } from '../worker/worker';
import { ensureArchiveSchedule } from '../worker/archive-schedule';
import { ensureReconciliationSchedule } from '../worker/reconciliation-schedule';
import { startDevServer, type DevServer } from '../worker/temporal-dev-server';
import { exitOnStartupError } from '../startup/errors';
import { assertPortFree, listenHttp } from '../startup/ports';
import { checkTemporal } from '../startup/temporal-check';
import { devSignInRoutes } from './dev-sign-in';
import { DEMO, seedDemo } from './seed-demo';

const DATA_DIR = path.join(__dirname, '..', '.data');
/** `npm start` is for one developer's machine: everything listens on loopback only. */
const LOOPBACK = '127.0.0.1';
/**
 * How long the dev server keeps closed workflows (its own default is a day): long enough to read a
 * month's payouts in the Temporal UI. The archive keeps every seller workflow's history beyond it.
 */
const DEV_RETENTION = '30 days';

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(DATA_DIR, { recursive: true });
  await checkQuickly(config);
  const orm = await openMigratedOrm(config.databaseUrl);
  console.log(`database: ${new URL(config.databaseUrl).pathname.slice(1)} migrated`);
  let devServer: DevServer | undefined;
  let temporalAddress = config.temporalAddress;
  if (!temporalAddress) {
    const { temporalDevPort: port, temporalUiPort: uiPort } = config;
    console.log(`temporal: starting the dev server on ${LOOPBACK}:${port} (UI http://${LOOPBACK}:${uiPort}), data in .data/temporal.db`);
    // The UI decrypts payloads through the API's codec endpoint (an auditor signed in to the console).
    const uiCodecEndpoint = `http://${LOOPBACK}:${config.port}/codec`;
    devServer = await startDevServer({
      port, uiPort, uiCodecEndpoint, dbFile: path.join(DATA_DIR, 'temporal.db'), logFile: path.join(DATA_DIR, 'temporal.log'), retention: DEV_RETENTION,
    });
    temporalAddress = devServer.address;
  }
  const settings = workerSettings(config);
  // The SDK's and the core's lines in the worker's JSON format, as worker/main.ts has them.
  installRuntimeLogging(settings.logger);
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const writes = await openBeginlessOrm(config.databaseUrl);
  const worker = await createWorker({ connection, orm, writes, ...settings });
  const running = runWorker(worker, { connection, orm, namespace: config.temporalNamespace, payloadKeys: config.payloadKeys, logger: settings.logger });
  const temporal = await connectTemporal(config, temporalAddress);
  // The dev sign-in mints tokens for anyone who asks: only with the development secret.
  const devRoutes = config.jwtSecretIsDevelopment ? devSignInRoutes(config) : undefined;
  const { app, deps } = buildApi({ config, orm, temporal, devRoutes });
  console.log(`temporal: daily reconciliation schedule ${await ensureReconciliationSchedule(temporal, config.taskQueue)}`);
  console.log(`temporal: archive sweep schedule ${await ensureArchiveSchedule(temporal, config.taskQueue)}`);
  await seedDemo(orm, deps.provider);
  const server = await listenHttp(app.callback(), config.port, LOOPBACK);
  await printWelcome(config.port, deps.jwtSecret, config.jwtSecretIsDevelopment ? config.jwtSecret : undefined);
  if (config.payloadKeys.isDevelopment) {
    console.log(`PAYLOAD_KEYS is unset: workflow payloads are encrypted with the development key ${DEVELOPMENT_PAYLOAD_KEY_ID}:${DEVELOPMENT_PAYLOAD_KEY}\n`);
  }

  const shutdown = async () => {
    console.log('shutting down...');
    server.close();
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch((err) => console.error(err));
    await temporal.connection.close();
    await connection.close();
    await writes.close();
    await orm.close();
    await devServer?.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** What is quick to check goes before the dev server's start, which takes seconds. */
async function checkQuickly(config: Config): Promise<void> {
  await assertPortFree(config.port, LOOPBACK, 'PORT');
  if (config.temporalAddress) {
    await checkTemporal(config.temporalAddress, config.temporalNamespace, true);
  } else {
    await assertPortFree(config.temporalDevPort, LOOPBACK, 'TEMPORAL_DEV_PORT');
    await assertPortFree(config.temporalUiPort, LOOPBACK, 'TEMPORAL_UI_PORT');
  }
}

async function printWelcome(port: number, secret: JwtKey, devSecret: string | undefined): Promise<void> {
  const [seller, sub, buyer, system, auditor] = await Promise.all([
    issueToken(secret, { sub: DEMO.sellerId, role: 'seller' }),
    issueToken(secret, { sub: DEMO.subAccountId, role: 'sub_account', seller_id: DEMO.sellerId }),
    issueToken(secret, { sub: DEMO.buyerId, role: 'buyer' }),
    issueToken(secret, { sub: 'trade-system', role: 'system' }),
    issueToken(secret, { sub: 'auditor-demo', role: 'auditor' }),
  ]);
  const api = `http://127.0.0.1:${port}`;
  console.log(`
api: ${api} (openapi.yaml describes it; the reference: ${api}/docs)
pages: ${api}/console/ (seller console), ${api}/pay/<payout id> (the buyer's confirm page)
${devSecret ? `AUTH_JWT_SECRET is unset: using the development secret "${devSecret}"\nsign in as a demo account: ${api}/dev/\n` : ''}
Tokens (12 h):
  export SELLER='${seller}'
  export SUB='${sub}'
  export BUYER='${buyer}'
  export SYSTEM='${system}'
  export AUDITOR='${auditor}'

The happy path (ORD-DEMO-PAID: ¥100.00, of which ¥90.00 cash, so at most ¥45.00):
  curl -s ${api}/v1/payout-account -H "Authorization: Bearer $SELLER"
  curl -s ${api}/v1/orders/ORD-DEMO-PAID/payout-eligibility -H "Authorization: Bearer $SELLER"
  curl -s -X POST ${api}/v1/payouts -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \\
       -H "Idempotency-Key: demo-$(date +%s)" -d '{"orderId":"ORD-DEMO-PAID","amount":1500,"reason":"PRICE_DIFFERENCE","note":"降价补差"}'
  curl -s -X POST ${api}/v1/payouts/<id>/confirm -H "Authorization: Bearer $BUYER"
  curl -s ${api}/v1/payouts/<id> -H "Authorization: Bearer $SELLER"
  curl -s ${api}/v1/buyer/notifications -H "Authorization: Bearer $BUYER"
  curl -s "${api}/v1/seller/notifications?unread=true" -H "Authorization: Bearer $SELLER"
  curl -s "${api}/v1/payout-account/statement.csv?kind=PAYOUT" -H "Authorization: Bearer $SELLER"

Maker-checker: the sub-account's payouts from ¥20.00 wait for the seller's approval (the buyer sees nothing until then):
  curl -s -X PUT ${api}/v1/payout-account/approval-policy -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
       -d '{"subAccountThreshold":2000}'
  curl -s -X POST ${api}/v1/payouts -H "Authorization: Bearer $SUB" -H 'Content-Type: application/json' \
       -H "Idempotency-Key: demo-sub-$(date +%s)" -d '{"orderId":"ORD-DEMO-SHIPPED","amount":3000,"reason":"COMPENSATION"}'
  curl -s "${api}/v1/payouts?status=PENDING_APPROVAL" -H "Authorization: Bearer $SELLER"
  curl -s -X POST ${api}/v1/payouts/<id>/approve -H "Authorization: Bearer $SELLER"     # or /reject: REJECTED, the money back
  curl -s ${api}/v1/buyer/payouts -H "Authorization: Bearer $BUYER"                     # the buyer sees it from the approval on
Automatic top-up: a hold that takes available below ¥600.00 withholds ¥300.00 (memo 自动充值), at most ¥900.00 a China day:
  curl -s -X PUT ${api}/v1/payout-account/auto-top-up -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
       -d '{"threshold":60000,"amount":30000,"dailyMax":90000}'
  curl -s -X POST ${api}/v1/payouts -H "Authorization: Bearer $SELLER" -H 'Content-Type: application/json' \
       -H "Idempotency-Key: demo-top-up-$(date +%s)" -d '{"orderId":"ORD-DEMO-BULK","amount":50000,"reason":"COMPENSATION"}'
  curl -s "${api}/v1/payout-account/statement?kind=RECHARGE" -H "Authorization: Bearer $SELLER"   # 自动充值 ¥300.00
  curl -s "${api}/v1/seller/notifications?unread=true" -H "Authorization: Bearer $SELLER"       # AUTO_TOP_UP_DONE
Ineligible orders to try: ORD-DEMO-COMPLETED, ORD-DEMO-CREDIT-TERM. Ctrl-C stops everything.
`);
}

main().catch(exitOnStartupError);
