import { auditTransaction } from '../audit/drift';
import type { AuditTally } from '../audit/tally';
import type { EngineContext } from '../contacts/engine';
import { settingsOf } from '../db/models/connection';
import { applyRecords, applyTransactionDeleted } from '../projections/apply';
import { qboTransactionModel, transactionKey, type QboTransactionRecord } from '../projections/models';
import { maxPageSize, patiently, qboQuery, QboApiError, type QboClient } from '../qbo';
import { historyStart } from '../sync/transaction-history';
import {
  transactionTypes,
  type QboTransactionRecord as QboTransactionJson,
  type TransactionType,
} from '../sync/transactions';
import { companyToday } from '../time/company-zone';
import { carryTransactionChanges } from './transaction-changes';

/**
 * A page the audit is refused for throttling is asked for again (about a minute in all) rather than the audit
 * starting over: the realm's live sync shares Intuit's limits with it.
 */
export const auditThrottledRetries = 5;

/**
 * The drift audit's half for transactions: every transaction of the connection's history window, read in query
 * pages, against our copy's SyncTokens. A missing or older copy is healed the way a poll heals it (applied, then
 * reminders, AR figures and the CRM's `transaction.upserted`); a copy QBO stopped listing is read once by id (a
 * page can skip a record when one before it is deleted mid-read) and, if QBO answers that it is gone, becomes the
 * tombstone a CDC delete makes. Returns the events recorded for the CRM.
 */
export async function auditTransactions(
  engine: EngineContext,
  client: QboClient,
  tally: AuditTally,
): Promise<number> {
  const since = historyStart(
    settingsOf(engine.connection).transactionHistory,
    companyToday(engine.now, engine.connection),
  );
  let eventsRecorded = 0;
  for (const entity of transactionTypes) {
    const listed = new Set<string>();
    const where = since ? qboQuery`TxnDate >= ${since}` : undefined;
    for await (const page of client.queryAll(entity, where, maxPageSize, auditThrottledRetries)) {
      tally.counts.qboRequests += 1;
      const rows = page.rows as QboTransactionJson[];
      for (const row of rows) listed.add(row.Id);
      eventsRecorded += await auditPage(engine, entity, rows, tally);
    }
    eventsRecorded += await auditUnlisted(engine, client, entity, listed, since, tally);
  }
  return eventsRecorded;
}

async function auditPage(
  engine: EngineContext,
  entity: TransactionType,
  rows: readonly QboTransactionJson[],
  tally: AuditTally,
): Promise<number> {
  tally.counts.transactions.read += rows.length;
  const held = await heldSyncTokens(engine, entity, rows);
  const drifted = rows.flatMap((row) => {
    const kind = auditTransaction(Number(row.SyncToken), held.get(row.Id));
    return kind ? [{ row, kind }] : [];
  });
  if (drifted.length === 0) return 0;
  const applied = await applyRecords(
    engine.projection,
    entity,
    drifted.map(({ row }) => row),
  );
  const eventsRecorded = await carryTransactionChanges(engine, entity, applied.changed);
  const after = await heldSyncTokens(
    engine,
    entity,
    drifted.map(({ row }) => row),
  );
  for (const { row, kind } of drifted)
    tally.addTransaction({
      kind,
      entity,
      qboId: row.Id,
      customerQboId: row.CustomerRef?.value ?? null,
      healed: (after.get(row.Id) ?? -1) >= Number(row.SyncToken),
    });
  return eventsRecorded;
}

/** Our live copies, within the window, of transactions QBO did not list. */
async function auditUnlisted(
  engine: EngineContext,
  client: QboClient,
  entity: TransactionType,
  listed: ReadonlySet<string>,
  since: string | null,
  tally: AuditTally,
): Promise<number> {
  const held = qboTransactionModel(engine.db)
    .find(
      {
        connectionId: engine.connection._id,
        entity,
        'view.status': { $ne: 'deleted' },
        ...(since ? { 'view.txnDate': { $gte: since } } : {}),
      },
      { qboId: 1, customerQboId: 1 },
    )
    .lean<Pick<QboTransactionRecord, 'qboId' | 'customerQboId'>[]>()
    .cursor();
  let eventsRecorded = 0;
  for await (const copy of held) {
    if (listed.has(copy.qboId)) continue;
    tally.counts.qboRequests += 1;
    try {
      const record = (await patiently(
        () => client.read(entity, copy.qboId),
        auditThrottledRetries,
      )) as QboTransactionJson;
      eventsRecorded += await auditPage(engine, entity, [record], tally);
    } catch (error) {
      if (!(error instanceof QboApiError && error.kind === 'not-found')) throw error;
      await applyTransactionDeleted(engine.projection, entity, copy.qboId, engine.now.toISOString());
      tally.addTransaction({
        kind: 'transaction_deleted',
        entity,
        qboId: copy.qboId,
        customerQboId: copy.customerQboId ?? null,
        healed: true,
      });
    }
  }
  return eventsRecorded;
}

async function heldSyncTokens(
  engine: EngineContext,
  entity: TransactionType,
  rows: readonly { Id: string }[],
): Promise<Map<string, number>> {
  const held = await qboTransactionModel(engine.db)
    .find(
      { _id: { $in: rows.map((row) => transactionKey(engine.connection._id, entity, row.Id)) } },
      { qboId: 1, syncToken: 1 },
    )
    .lean<Pick<QboTransactionRecord, 'qboId' | 'syncToken'>[]>();
  return new Map(held.map((copy) => [copy.qboId, copy.syncToken]));
}
