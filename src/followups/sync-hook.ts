import { recomputeContactAr } from './contact-ar';
import { cancelSettledFollowUps, type FollowUpRun } from './engine';

/**
 * For the sync engine, after it applied QBO transactions: cancels the pending follow-ups of documents that were
 * paid, voided or deleted (so none outlives the sync cycle that settled it) and recomputes the tags and AR figures
 * of their customers. Returns how many outbox events were stored, for the caller to announce.
 */
export async function onTransactionsApplied(
  run: FollowUpRun,
  transactions: readonly { qboId: string; customerQboId?: string }[],
): Promise<{ cancelled: number; eventsRecorded: number; accountId?: string }> {
  if (transactions.length === 0) return { cancelled: 0, eventsRecorded: 0 };
  const { cancelled } = await cancelSettledFollowUps(
    run,
    transactions.map((transaction) => transaction.qboId),
  );
  const ar = await recomputeContactAr(
    run,
    transactions.flatMap((transaction) => transaction.customerQboId ?? []),
  );
  return {
    cancelled,
    eventsRecorded: ar.eventsRecorded,
    ...(ar.accountId !== undefined && { accountId: ar.accountId }),
  };
}
