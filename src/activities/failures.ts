import { ApplicationFailure } from '@temporalio/activity';
import { ConnectionNeedsReauthError } from '../oauth/connection-tokens';
import { QboApiError } from '../qbo';
import { failureTypes } from './failure-types';

/**
 * Turns what an activity hit into the failure Temporal should act on: a dead grant stops retrying and tells the
 * workflow to wait for a reconnect; QBO's refusals (validation, 610, 6240…) are not retried; throttling and outages
 * are, with Retry-After honoured when QBO sends one.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ConnectionNeedsReauthError) {
    return ApplicationFailure.nonRetryable(error.message, failureTypes.needsReauth);
  }
  if (error instanceof QboApiError) {
    // A SyncToken still stale after re-reading means someone keeps saving the record: try again later.
    if (!error.retryable && error.kind !== 'stale-object') {
      return ApplicationFailure.create({
        message: error.message,
        type: failureTypes.qboRejected,
        nonRetryable: true,
        details: [{ kind: error.kind, code: error.code, element: error.element }],
      });
    }
    return ApplicationFailure.create({
      message: error.message,
      type: failureTypes.qboUnavailable,
      ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
    });
  }
  return error;
}

/** Runs an activity body and converts its failure. */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
