/** The workflow bundle's entry: every workflow type the worker runs. */
export { payoutWorkflow } from './payout';
export { reconciliationWorkflow } from './reconciliation';
export { ceilingWorkflow } from './ceiling';
export { archiveSweepWorkflow } from './archive-sweep';
export { cardDeliveryWorkflow } from './cards';
