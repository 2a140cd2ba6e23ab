import type { EngineContext } from '../contacts/engine';
import { announceTransactions } from '../contacts/pull';
import { onTransactionsApplied } from '../followups/sync-hook';
import type { QboTransactionRecord, TransactionType } from '../sync/transactions';

/**
 * What follows QBO transactions newly applied to the projection, wherever they were seen (a poll, a webhook, the
 * drift audit): a payment, void or delete cancels pending reminders within the same cycle, the customers' tags and
 * AR figures follow, and each change becomes a `transaction.upserted` for the CRM. Returns the events recorded.
 */
export async function carryTransactionChanges(
  engine: EngineContext,
  entity: TransactionType,
  changed: readonly { record: QboTransactionRecord }[],
): Promise<number> {
  if (changed.length === 0) return 0;
  const followUps = await onTransactionsApplied(
    { db: engine.db, connectionId: engine.connection._id, asOf: engine.now, now: () => new Date() },
    changed.map(({ record }) => ({
      qboId: record.Id,
      ...(record.CustomerRef?.value ? { customerQboId: record.CustomerRef.value } : {}),
    })),
  );
  return followUps.eventsRecorded + (await announceTransactions(engine, entity, changed));
}
