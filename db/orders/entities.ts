/** Orders as the shop pushes them: what a payout is checked against. */
import type { InferEntity } from '@mikro-orm/core';
import type { OrderStatus, PaymentType } from '../../domain/rules';
import { fen, id, p, table, time } from '../columns';

export const Order = table('Order', 'orders', {
  orderId: id().primary(),
  sellerId: id(),
  buyerId: id(),
  status: p.string().$type<OrderStatus>(),
  paymentType: p.string().$type<PaymentType>(),
  totalAmountFen: fen(),
  cashPaidFen: fen(),
  nonCashPaidFen: fen(),
  updatedAt: time(),
});
export type Order = InferEntity<typeof Order>;

/** What a push of the order sets. */
export type OrderFields = Pick<Order, 'sellerId' | 'buyerId' | 'status' | 'paymentType' | 'totalAmountFen' | 'cashPaidFen' | 'nonCashPaidFen'>;

export const ORDER_ENTITIES = [Order];
