import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { failureTypes } from '../../../src/activities/failure-types';
import { ConnectionNeedsReauthError } from '../../../src/oauth/connection-tokens';
import { outcomeOf, toActivityFailure, willRetry } from '../../../src/observability/activity-failure';
import { QboApiError } from '../../../src/qbo';

describe('activity failures: what Temporal should do with what an activity hit', () => {
  it('stops retrying a dead grant and names it for the workflow', () => {
    const failure = toActivityFailure(new ConnectionNeedsReauthError('refresh token revoked'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: failureTypes.needsReauth, nonRetryable: true });
    expect(outcomeOf(failure)).toBe('ConnectionNeedsReauth');
    expect(willRetry(failure)).toBe(false);
  });

  it('does not retry what QBO refused, and keeps the Fault for the workflow', () => {
    const refusal = new QboApiError('Duplicate Name Exists Error', {
      kind: 'duplicate-name',
      status: 400,
      code: '6240',
      element: 'DisplayName',
    });
    const failure = toActivityFailure(refusal) as ApplicationFailure;
    expect(failure).toMatchObject({ type: failureTypes.qboRejected, nonRetryable: true });
    expect(failure.details).toEqual([{ kind: 'duplicate-name', code: '6240', element: 'DisplayName' }]);
    expect(willRetry(failure)).toBe(false);
  });

  it('retries throttling after the Retry-After QBO sent, and a SyncToken that keeps going stale', () => {
    const throttled = toActivityFailure(
      new QboApiError('Too many requests', { kind: 'throttled', status: 429, retryAfterMs: 7_000 }),
    );
    expect(throttled).toMatchObject({
      type: failureTypes.qboUnavailable,
      nonRetryable: false,
      nextRetryDelay: 7_000,
    });
    expect(willRetry(throttled)).toBe(true);
    const stale = toActivityFailure(
      new QboApiError('Stale Object Error', { kind: 'stale-object', status: 400 }),
    );
    expect(stale).toMatchObject({ type: failureTypes.qboUnavailable, nonRetryable: false });
    expect((stale as ApplicationFailure).nextRetryDelay).toBeUndefined();
  });

  it('leaves anything else to the retry policy, labelled as an error', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(toActivityFailure(bug)).toBe(bug);
    expect(outcomeOf(bug)).toBe('error');
    expect(willRetry(bug)).toBe(true);
  });

  it('labels a cancelled run as such, and never as one to retry', () => {
    const cancelled = new CancelledFailure('activity cancelled');
    expect(outcomeOf(cancelled)).toBe('cancelled');
    expect(willRetry(cancelled)).toBe(false);
  });
});
