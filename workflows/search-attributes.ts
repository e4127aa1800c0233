/**
 * The search attributes the product uses, so that auditors find payouts in the Temporal UI by
 * seller, order and status. They must be registered on the server (`npm start` and the tests do it
 * with `--search-attribute`; on a cluster, `temporal operator search-attribute create`).
 */
import { defineSearchAttributeKey } from '@temporalio/common';

export const SELLER_ID_KEY = defineSearchAttributeKey('SellerId', 'KEYWORD');
export const ORDER_ID_KEY = defineSearchAttributeKey('OrderId', 'KEYWORD');
export const PAYOUT_STATUS_KEY = defineSearchAttributeKey('PayoutStatus', 'KEYWORD');

/** `NAME=Type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS = ['SellerId=Keyword', 'OrderId=Keyword', 'PayoutStatus=Keyword'];
