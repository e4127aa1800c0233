/**
 * The ceiling's HTTP door: the smallest Koa app that starts, confirms and reads a ceiling workflow
 * the way the product's API does a payout (update-with-start with the same start options, a confirm
 * update, a read), so that the benchmark drives both through the same HTTP path and the ratio
 * compares like with like. No auth, validation or database: those are the product's costs.
 *
 * The read answers from the workflow's `PayoutStatus` search attribute (DescribeWorkflowExecution,
 * served by the Temporal server alone), as the product's read answers from its database row.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { Connection, WithStartWorkflowOperation, type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import Koa from 'koa';
import { idFromKey } from '../api/idempotency';
import { payoutStartOptions } from '../api/payout-gateway';
import { asId } from '../domain/id';
import { temporalClient } from '../codec/data-converter';
import { loadConfig, type Config } from '../config';
import type { PayoutReason, PayoutRequest } from '../domain/payout';
import { isUnansweredInTime } from '../temporal/grpc-status';
import { PAYOUT_STATUS_KEY } from '../workflows/search-attributes';
import { ceilingConfirmUpdate, ceilingReserveUpdate, ceilingWorkflow, ceilingWorkflowId } from './ceiling-workflow';
import { CEILING_API_READY_LINE } from './ready-lines';

/** As long as the product's API waits for a workflow's answer (api/payout-gateway.ts) before its 503. */
const ANSWER_DEADLINE_MS = 15_000;

interface CreateBody {
  orderId: string;
  amount: number;
  reason: PayoutReason;
  note?: string;
}

/** The one principal the ceiling's creates are derived for. */
const CEILING_PRINCIPAL = { id: asId('ceiling-seller'), role: 'seller' as const, sellerId: asId('ceiling-seller') };

function createRouter(client: Client, config: Config): Router {
  const router = new Router();
  const answer = <T>(call: () => Promise<T>) => client.withDeadline(Date.now() + ANSWER_DEADLINE_MS, call);

  router.post('/ceiling/payouts', async (ctx) => {
    const body = ctx.request.body as CreateBody;
    const request: PayoutRequest = {
      // Derived from the order, as the product derives it from the Idempotency-Key: a retry joins the same workflow.
      payoutId: idFromKey('ceiling', CEILING_PRINCIPAL, body.orderId),
      sellerId: 'ceiling-seller',
      orderId: body.orderId,
      amountFen: body.amount,
      reason: body.reason,
      note: body.note ?? null,
      initiatedBy: 'ceiling-seller',
    };
    const operation = new WithStartWorkflowOperation(ceilingWorkflow, payoutStartOptions(request, ceilingWorkflowId(request.payoutId), config.taskQueue, config.confirmWindowMs));
    ctx.status = 201;
    ctx.body = await answer(() => client.workflow.executeUpdateWithStart(ceilingReserveUpdate, { startWorkflowOperation: operation }));
  });

  router.post('/ceiling/payouts/:id/confirm', async (ctx) => {
    const handle = client.workflow.getHandle(ceilingWorkflowId(ctx.params.id));
    ctx.body = await answer(() => handle.executeUpdate(ceilingConfirmUpdate, { args: [{ actor: 'ceiling-buyer' }] }));
  });

  router.get('/ceiling/payouts/:id', async (ctx) => {
    const description = await answer(() => client.workflow.getHandle(ceilingWorkflowId(ctx.params.id)).describe());
    ctx.body = { id: ctx.params.id, status: description.typedSearchAttributes.get(PAYOUT_STATUS_KEY) ?? 'RESERVING' };
  });
  return router;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporalAddress ?? '127.0.0.1:7233' });
  const client = temporalClient(connection, config.temporalNamespace, config.payloadKeys);
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      // As the product's gateway: a refused update is 409, a Temporal that does not answer in time
      // 503 (isUnansweredInTime, an update's call cut at the deadline included), so that the
      // benchmark's clients retry the ceiling's slow creates as they retry the product's.
      const code = err instanceof WorkflowUpdateFailedError ? 'PAYOUT_NOT_AWAITING_CONFIRMATION' : isUnansweredInTime(err) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL';
      ctx.status = { PAYOUT_NOT_AWAITING_CONFIRMATION: 409, SERVICE_UNAVAILABLE: 503, INTERNAL: 500 }[code];
      ctx.body = { error: { code, message: String(err) } };
    }
  });
  app.use(bodyParser({ enableTypes: ['json'] }));
  const router = createRouter(client, config);
  app.use(router.routes());
  const server = app.listen(config.port, '127.0.0.1', () => console.log(`${CEILING_API_READY_LINE} on 127.0.0.1:${config.port}`));
  const stop = () => {
    server.closeAllConnections();
    server.close(async () => {
      await connection.close();
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
