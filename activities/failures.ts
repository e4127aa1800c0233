/** How an activity's business refusal crosses into Temporal (STYLE: refusals are never retried). */
import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { DomainError } from '../domain/errors';

/**
 * Business refusals cross into Temporal as non-retryable failures whose type is the SPEC code.
 * Benign: a refusal is the service answering, so the SDK logs it at debug, not as a warning.
 */
export async function asTemporalFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) {
      throw ApplicationFailure.create({ message: err.message, type: err.code, details: [err.details], nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
    }
    throw err;
  }
}
