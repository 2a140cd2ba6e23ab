/**
 * Deterministic `requestid`s. QBO stores the first response to a requestid and replays it for every later request
 * with the same id (facts §1.5), so a create retried after a lost response never makes a second customer — but
 * only if the retry sends the same id. Deriving the id from what the write is for (connection, entity, CRM id,
 * operation, source version — and, for updates, the SyncToken written against) makes every retry, by any worker,
 * after any crash, send the same id, while a genuinely new write gets a new one.
 *
 * Note that failures are replayed too: after a 5010 stale-object, the re-merged write must carry the new
 * SyncToken in its parts, or it would just get the old 5010 back.
 */
import { createHash } from 'node:crypto';
import { QboUsageError } from './errors';

/** QBO's limit for a requestid on a single write. */
export const maxRequestIdLength = 50;
/** QBO's limit for a requestid on /batch; ids from requestIdFor fit both. */
export const maxBatchRequestIdLength = 36;

/**
 * SHA-256 over the parts, base64url, cut to 36 characters (216 bits: collisions are out of the question).
 * 36 rather than 50 so that the same helper also fits /batch's 36-character limit. Each part is length-prefixed
 * before hashing, so `('a:b')` and `('a', 'b')` can never collide. Same parts → same id; different → different.
 */
export function requestIdFor(...parts: string[]): string {
  if (parts.length === 0) throw new QboUsageError('requestIdFor needs at least one part.');
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${Buffer.byteLength(part, 'utf8')}:`);
    hash.update(part, 'utf8');
  }
  return hash.digest('base64url').slice(0, maxBatchRequestIdLength);
}

export function checkRequestId(requestId: string, max: number): void {
  if (requestId.length === 0 || requestId.length > max) {
    throw new QboUsageError(`A QBO requestid must have 1 to ${max} characters; got ${requestId.length}.`);
  }
}
