import { ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import { failureTypes } from '../activities/failure-types';

/** The failure at the bottom of an activity or child-workflow failure chain. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof TemporalFailure && current.cause) current = current.cause;
  return current;
}

/** The connection's grant is dead: nothing will work until a person reconnects it. */
export function isNeedsReauth(error: unknown): boolean {
  const cause = rootCause(error);
  return cause instanceof ApplicationFailure && cause.type === failureTypes.needsReauth;
}
