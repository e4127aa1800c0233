/**
 * The failure converter of every client and worker, and of the workflow bundle (it runs inside the
 * sandbox too, so it imports nothing but the SDK). Failure messages and stack traces are moved into
 * an encoded payload, which the payload codec then encrypts: a refusal's message may quote a note or
 * an order, and would otherwise sit in the history as plain text.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
