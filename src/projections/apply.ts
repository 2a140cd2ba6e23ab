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
  /** The records that were newer than what was held, and whether each was new to the projection. */
  changed: { record: R; created: boolean }[];
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
 * Stores QBO records as QBO reports them, a page at a time: one read of the versions held, one insert of the new
 * records, and an update for each that is newer than the version held. An older version arriving late (a slow CDC page after a webhook fetch) never overwrites
 * a newer one. One connection's changes are applied by one workflow at a time, so nothing races the compare.
 */
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
  const withIds = records.filter(
    (record): record is typeof record & { Id: string } => typeof record.Id === 'string',
  );
  const held = new Map(
    (
      await model.find({ _id: { $in: withIds.map((record) => keyOf(record.Id)) } }, { syncToken: 1 }).lean()
    ).map((doc) => [doc._id, doc.syncToken]),
  );
  // FerretDB inserts a page quickly but upserts it slowly, so new records are inserted and changed ones updated.
  const inserts: Record<string, unknown>[] = [];
  const updates: { _id: string; document: Record<string, unknown> }[] = [];
  const changed: ApplyResult<R>['changed'] = [];
  for (const record of withIds) {
    const _id = keyOf(record.Id);
    const syncToken = syncTokenOf(record);
    const current = held.get(_id);
    if (current !== undefined && current >= syncToken) continue;
    const document = isCustomer
      ? {
          ...customerDocument(context, record, syncToken),
          ...(origin === 'qbo' ? { qboChangedAt: context.now } : {}),
        }
      : transactionDocument(context, entity, record, syncToken);
    if (current === undefined) inserts.push({ _id, ...document });
    else updates.push({ _id, document });
    changed.push({ record, created: current === undefined });
    held.set(_id, syncToken);
  }
  if (inserts.length > 0) await model.collection.insertMany(inserts, { ordered: false });
  for (const { _id, document } of updates) await model.updateOne({ _id }, { $set: document });
  const applied = inserts.length + updates.length;
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
