/**
 * The words the pages show for the API's codes (zh-CN). A code the pages do not know yet is shown
 * as it is, so a new status or error is never hidden behind a blank.
 */
import type { components } from '../../../api/generated/openapi';

type Schemas = components['schemas'];
export type PayoutStatus = Schemas['PayoutStatus'];
export type PayoutReason = Schemas['PayoutReason'];

export const STATUS_WORDS: Record<string, string> = {
  PENDING_APPROVAL: '待主账号审批',
  AWAITING_CONFIRMATION: '待买家确认',
  CONFIRMED: '买家已确认，打款中',
  PAID: '已打款',
  FAILED: '打款失败',
  EXPIRED: '超期自动关闭',
  DECLINED: '买家已拒收',
  CANCELLED: '卖家已撤销',
  REJECTED: '审批未通过',
};

export const REASON_WORDS: Record<PayoutReason, string> = {
  PRICE_DIFFERENCE: '退差价',
  SHIPPING_FEE: '补运费',
  COMPENSATION: '体验补偿',
  OTHER: '其他',
};

export const MOVEMENT_WORDS: Record<string, string> = {
  RECHARGE: '充值',
  HOLD: '冻结',
  RELEASE: '解冻',
  PAYOUT: '打款',
  WITHDRAWAL: '提现',
  WITHDRAWAL_VOID: '提现退回',
};

export const TIMELINE_WORDS: Record<string, string> = {
  INITIATED: '发起打款',
  NOTIFIED: '已通知买家',
  REMINDED: '已提醒买家',
  CONFIRMED: '买家确认收款',
  DECLINED: '买家拒收',
  CANCELLED: '卖家撤销',
  EXPIRED: '超期关闭',
  PAID: '打款成功',
  FAILED: '打款失败',
  APPROVED: '主账号审批通过',
  REJECTED: '审批未通过，款项已退回',
};

export const INELIGIBLE_WORDS: Record<string, string> = {
  NOT_PAID: '订单未付款',
  TRADE_FINISHED: '交易已结束',
  UNSUPPORTED_PAYMENT_TYPE: '该支付方式（代销分账、账期、诚e赊）不支持小额打款',
  NOT_FOUND: '找不到该订单',
  ORDER_ALREADY_PAID_OUT: '该订单已有打款',
  FEATURE_DISABLED: '小额打款未开通',
  AGREEMENT_REQUIRED: '尚未签署代扣协议',
};

/** Why a payout ended (Payout.closeReason). */
export const CLOSE_REASON_WORDS: Record<string, string> = {
  CONFIRM_WINDOW_EXPIRED: '买家未在期限内确认',
  BUYER_DECLINED: '买家拒收',
  SELLER_CANCELLED: '卖家撤销',
  ORDER_CLOSED: '订单已关闭',
  ORDER_REFUNDED: '订单已退款',
  TRANSFER_REFUSED: '支付机构拒绝转账',
  APPROVAL_REJECTED: '主账号驳回',
  APPROVAL_EXPIRED: '主账号未在期限内审批',
};

/** The seller's cards (Notification.kind). */
export const CARD_WORDS: Record<string, string> = {
  PAYOUT_SENT: '已向买家发出打款',
  PAYOUT_REMINDER: '提醒买家确认',
  PAYOUT_OUTCOME: '打款结果',
  LOW_BALANCE: '准备金余额不足',
  RECONCILIATION_MISMATCH: '对账发现差异',
  APPROVAL_REQUESTED: '子账号打款待审批',
  AUTO_TOP_UP_DONE: '已自动充值',
  AUTO_TOP_UP_DAILY_MAX_REACHED: '自动充值已达每日上限',
  AUTO_TOP_UP_REFUSED: '自动充值被拒，已关闭',
};

/** The SPEC's error codes in words; `details` fill in the numbers where the code has them. */
export function errorWords(code: string, details: Record<string, unknown> = {}): string {
  switch (code) {
    case 'VALIDATION_ERROR': return `填写有误：${String(details.field ?? '')}`.replace(/：$/, '');
    case 'UNAUTHENTICATED': return '登录已失效，请重新登录';
    case 'FORBIDDEN': return '当前账号无权进行此操作（子账号需主账号授予打款权限）';
    case 'NOT_FOUND': return '找不到该记录';
    case 'ORDER_ALREADY_PAID_OUT': return '该订单已有一笔打款，不能重复打款';
    case 'PAYOUT_NOT_AWAITING_CONFIRMATION': return '该打款已不在待确认状态';
    case 'PAYOUT_NOT_PENDING_APPROVAL': return '该打款已不在待审批状态';
    case 'FEATURE_DISABLED': return '小额打款未开通或已关闭';
    case 'IDEMPOTENCY_KEY_REUSED': return '重复提交的内容不一致，请刷新后重试';
    case 'ORDER_NOT_ELIGIBLE': return `该订单不能打款：${INELIGIBLE_WORDS[String(details.reason)] ?? String(details.reason ?? '')}`;
    case 'AMOUNT_EXCEEDS_CASH_SHARE': return '金额超过订单实付现金的50%（红包、优惠券等不计入）';
    case 'AMOUNT_EXCEEDS_ORDER_LIMIT': return '金额超过单笔打款上限';
    case 'DAILY_COUNT_LIMIT_REACHED': return '今日打款笔数已达上限';
    case 'DAILY_AMOUNT_LIMIT_REACHED': return '今日打款金额已达上限';
    case 'INSUFFICIENT_RESERVE': return '准备金可用余额不足，请先充值';
    case 'LIMIT_ABOVE_SYSTEM_CAP': return '限额不能高于系统上限';
    case 'AGREEMENT_REQUIRED': return '请先签署代扣协议';
    case 'AGREEMENT_REFUSED': return '支付机构拒绝了代扣协议，请核对授权码';
    case 'PROVIDER_REFUSED': return '支付机构拒绝了本次操作';
    case 'EXPORT_TOO_LARGE': return '导出记录过多，请缩小日期范围';
    case 'ORDER_PARTIES_LOCKED': return '该订单已有打款，不能再更改买家或卖家';
    case 'PAYLOAD_TOO_LARGE': return '提交的内容过大';
    case 'HEADERS_TOO_LARGE': return '请求头过大，请重新登录后再试';
    case 'REQUEST_TIMEOUT': return '请求超时，请用同一操作重试';
    case 'METHOD_NOT_ALLOWED': return '不支持此操作';
    case 'RATE_LIMITED': return '操作太频繁，请稍后再试';
    case 'SERVICE_UNAVAILABLE': return '服务暂时不可用，请稍后用同一操作重试';
    default: return `操作失败（${code}）`;
  }
}
