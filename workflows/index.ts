/** The workflow bundle's entry: every workflow type the worker runs (the benchmark's ceiling has its own, bench/). */
export { payoutWorkflow } from './payout';
export { reconciliationWorkflow } from './reconciliation';
export { archiveSweepWorkflow } from './archive-sweep';
export { cardDeliveryWorkflow } from './cards';
export { topUpWorkflow } from './reserve/top-up';
export { rechargeWorkflow } from './reserve/recharge';
export { withdrawalWorkflow } from './reserve/withdrawal';
