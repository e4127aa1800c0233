/** Every operation of openapi.yaml, by operationId; the type makes a missing handler a compile error. */
import type { Handlers } from '../types';
import * as account from './account';
import * as audit from './audit';
import * as auditing from './auditing';
import * as health from './health';
import * as notifications from './notifications';
import * as orders from './orders';
import * as payouts from './payouts';
import * as records from './records';
import * as codec from './codec';
import * as session from './session';

export const handlers: Handlers = {
  getHealth: health.getHealth,
  getReadiness: health.getReadiness,
  getMetrics: health.getMetrics,
  getPayoutAccount: account.getPayoutAccount,
  enablePayoutAccount: account.enablePayoutAccount,
  putPayoutLimits: account.putPayoutLimits,
  disablePayoutAccount: account.disablePayoutAccount,
  createRecharge: account.createRecharge,
  createWithdrawal: account.createWithdrawal,
  putLowBalanceAlert: account.putLowBalanceAlert,
  putApprovalPolicy: account.putApprovalPolicy,
  putAutoTopUp: account.putAutoTopUp,
  getStatement: account.getStatement,
  exportStatement: account.exportStatement,
  listSubAccounts: account.listSubAccounts,
  putSubAccountPermissions: account.putSubAccountPermissions,
  getOrder: orders.getOrder,
  putOrder: orders.putOrder,
  getPayoutEligibility: orders.getPayoutEligibility,
  batchPayoutEligibility: orders.batchPayoutEligibility,
  getOrderPayout: orders.getOrderPayout,
  createPayout: payouts.createPayout,
  listPayouts: payouts.listPayouts,
  getPayout: payouts.getPayout,
  confirmPayout: payouts.confirmPayout,
  declinePayout: payouts.declinePayout,
  cancelPayout: payouts.cancelPayout,
  approvePayout: payouts.approvePayout,
  rejectPayout: payouts.rejectPayout,
  listBuyerPayouts: payouts.listBuyerPayouts,
  listBuyerNotifications: notifications.listBuyerNotifications,
  markBuyerNotificationRead: notifications.markBuyerNotificationRead,
  listSellerNotifications: notifications.listSellerNotifications,
  markSellerNotificationRead: notifications.markSellerNotificationRead,
  getPayoutSummary: records.getPayoutSummary,
  exportPayouts: records.exportPayouts,
  getPayoutHistory: auditing.getPayoutHistory,
  listReconciliations: auditing.listReconciliations,
  startReconciliation: audit.startReconciliation,
  getAuditChain: audit.getAuditChain,
  listSettingsChanges: audit.listSettingsChanges,
  getAuditAccount: audit.getAuditAccount,
  listAuditorNotifications: notifications.listAuditorNotifications,
  createSession: session.createSession,
  deleteSession: session.deleteSession,
  decodePayloads: codec.decodePayloads,
  encodePayloads: codec.encodePayloads,
};
