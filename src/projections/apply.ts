import type { Connection, Model } from 'mongoose';
import { billingProfile, customerToFields, type QboCustomer } from '../sync/customer-mapping';
import {
  deletedView,
  transactionTypes,
  transactionView,
  type Environment,
  type LiveTransactionView,
  type QboTransactionRecord as QboTransactionJson,
  type TransactionType,
} from '../sync/transactions';
import { duplicateKeyIndices } from '../db/bulk';
import {
  customerKey,
  qboCustomerModel,
  qboTransactionModel,
  storeFields,
  transactionKey,
  type QboCustomerRecord,
  type QboTransactionRecord,
} from './models';

export interface ProjectionContext {
  db: Connection;
  connectionId: string;
  environment: Environment;
  homeCurrency: string;
  /** Company-local date, for statuses such as overdue. */
  today: string;
  now: Date;
}

export interface ApplyCounts {
  applied: number;
  unchanged: number;
}

export interface ApplyResult<R> extends ApplyCounts {
  /**
   * The records that were newer than what was held, whether each was new to the projection, and the CRM contact a
   * held customer is linked to (a new one cannot be linked yet).
   */
  changed: { record: R; created: boolean; crmContactId?: string }[];
}

export type ProjectedEntity = 'Customer' | TransactionType;

export function isTransactionType(entity: string): entity is TransactionType {
  return (transactionTypes as readonly string[]).includes(entity);
}

function syncTokenOf(record: object): number {
  const token = Number((record as { SyncToken?: unknown }).SyncToken);
  return Number.isFinite(token) ? token : 0;
}

/** A tombstone outranks every version: a deleted transaction never comes back to life. */
const tombstoneToken = Number.MAX_SAFE_INTEGER;

/**
 * Stores QBO records as QBO reports them, a page at a time: one unordered insert of the page, then, for the records
 * already held, a read of the version held and an update when the record is newer. An older version arriving late
 * (a slow CDC page after a webhook fetch) never overwrites a newer one. One connection's changes are applied by
 * one workflow at a time, so nothing races the compare.
 */
/** Below the database pool (10 a process), so a page leaves room for the other work of the worker. */
const heldReadConcurrency = 8;

/** `work` over `items`, at most `limit` at once, with the results in the order of `items`. */
async function mapInBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += limit)
    results.push(...(await Promise.all(items.slice(start, start + limit).map(work))));
  return results;
}

export async function applyRecords<R extends QboCustomer | QboTransactionJson>(
  context: ProjectionContext,
  entity: ProjectedEntity,
  records: readonly R[],
  /** `crm` for QBO's answer to our own write: it is not a change made in QBO. */
  origin: 'qbo' | 'crm' = 'qbo',
): Promise<ApplyResult<R>> {
  const isCustomer = entity === 'Customer';
  // Both collections are keyed the same way and versioned by syncToken; that is all this function touches.
  const model = (isCustomer
    ? qboCustomerModel(context.db)
    : qboTransactionModel(context.db)) as unknown as Model<{
    _id: string;
    syncToken: number;
  }>;
  const keyOf = (id: string): string =>
    isCustomer ? customerKey(context.connectionId, id) : transactionKey(context.connectionId, entity, id);
  // The newest version of each record in the page, should a page name a record twice.
  const candidates = new Map<string, { record: R & { Id: string }; syncToken: number }>();
  for (const record of records) {
    if (typeof record.Id !== 'string') continue;
    const _id = keyOf(record.Id);
    const syncToken = syncTokenOf(record);
    if ((candidates.get(_id)?.syncToken ?? -1) < syncToken)
      candidates.set(_id, { record: record as R & { Id: string }, syncToken });
  }
  const entries = [...candidates.entries()].map(([_id, { record, syncToken }]) => ({
    _id,
    record,
    syncToken,
    document: isCustomer
      ? {
          ...customerDocument(context, record, syncToken),
          ...(origin === 'qbo' ? { qboChangedAt: context.now } : {}),
        }
      : transactionDocument(context, entity, record, syncToken),
  }));
  // Insert first, read only what is already held. A backfill's pages are new records, and FerretDB inserts a page
  // quickly where reading the held versions with `$in` scans the whole collection (an `_id` lookup does not).
  let held = new Set<number>();
  if (entries.length > 0) {
    try {
      const rows: Record<string, unknown>[] = entries.map(({ _id, document }) => ({ _id, ...document }));
      await model.collection.insertMany(rows, { ordered: false });
    } catch (error) {
      held = duplicateKeyIndices(error) ?? new Set<number>();
      if (held.size === 0) throw error;
    }
  }
  const changed: ApplyResult<R>['changed'] = entries
    .filter((_entry, index) => !held.has(index))
    .map(({ record }) => ({ record, created: true }));
  // The rows already held (a page's overlap with the one before, or a re-read) are checked by _id, a few at a
  // time: one read each, and a write only when newer.
  const resolved = await mapInBatches([...held], heldReadConcurrency, async (index) => {
    const { _id, record, syncToken, document } = entries[index]!;
    const current = await model
      .findById(_id, { syncToken: 1, crmContactId: 1 })
      .lean<{ syncToken: number; crmContactId?: string }>();
    // An older version arriving late (or the tombstone of a deleted transaction) is never overwritten.
    if (current && current.syncToken >= syncToken) return null;
    await model.updateOne({ _id }, { $set: document });
    return {
      record,
      created: false,
      ...(current?.crmContactId ? { crmContactId: current.crmContactId } : {}),
    };
  });
  for (const entry of resolved) if (entry) changed.push(entry);
  const applied = changed.length;
  return { applied, unchanged: records.length - applied, changed };
}

function customerDocument(
  context: ProjectionContext,
  customer: QboCustomer & { Id: string },
  syncToken: number,
): Omit<QboCustomerRecord, '_id'> {
  return {
    connectionId: context.connectionId,
    qboId: customer.Id,
    syncToken,
    lastUpdatedTime: customer.MetaData?.LastUpdatedTime ?? context.now.toISOString(),
    active: customer.Active !== false,
    fields: storeFields(customerToFields(customer)),
    profile: billingProfile(customer, {
      environment: context.environment,
      homeCurrency: context.homeCurrency,
    }),
    appliedAt: context.now,
  };
}

function transactionDocument(
  context: ProjectionContext,
  entity: TransactionType,
  record: QboTransactionJson,
  syncToken: number,
): Omit<QboTransactionRecord, '_id'> {
  return {
    connectionId: context.connectionId,
    entity,
    qboId: record.Id,
    ...(record.CustomerRef?.value !== undefined ? { customerQboId: record.CustomerRef.value } : {}),
    syncToken,
    view: transactionView(entity, record, {
      today: context.today,
      homeCurrency: context.homeCurrency,
      environment: context.environment,
    }),
    appliedAt: context.now,
  };
}

/** A hard-deleted transaction becomes a tombstone that keeps its last known view. */
export async function applyTransactionDeleted(
  context: ProjectionContext,
  entity: TransactionType,
  qboId: string,
  deletedAt: string,
): Promise<ApplyCounts> {
  const transactions = qboTransactionModel(context.db);
  const _id = transactionKey(context.connectionId, entity, qboId);
  const existing = await transactions.findById(_id).lean();
  if (existing?.syncToken === tombstoneToken) return { applied: 0, unchanged: 1 };
  await transactions.updateOne(
    { _id },
    {
      $set: {
        connectionId: context.connectionId,
        entity,
        qboId,
        ...(existing?.customerQboId !== undefined ? { customerQboId: existing.customerQboId } : {}),
        syncToken: tombstoneToken,
        view: deletedView(entity, qboId, deletedAt, existing?.view as LiveTransactionView | undefined),
        appliedAt: context.now,
      },
    },
    { upsert: true },
  );
  return { applied: 1, unchanged: 0 };
}
