import type { Connection, Model } from 'mongoose';
import { billingProfile, customerToFields, type QboCustomer } from '../sync/customer-mapping';
import { itemToProduct, productMatchKeys, type QboItem } from '../sync/product-mapping';
import {
  deletedView,
  transactionTypes,
  transactionView,
  type Environment,
  type LiveTransactionView,
  type PreviousView,
  type QboTransactionRecord as QboTransactionJson,
  type TransactionType,
} from '../sync/transactions';
import { duplicateKeyIndices } from '../db/errors';
import { loadFieldMap, loadFields, storeFieldMap, storeFields, type StoredFields } from '../db/field-maps';
import { customFieldsIn, sameValue, syncFieldNames, type FieldName } from '../sync/fields';
import { matchKeys } from '../sync/matching';
import {
  customerKey,
  itemKey,
  qboCustomerModel,
  qboItemModel,
  qboTransactionModel,
  transactionKey,
  type QboCustomerRecord,
  type QboItemRecord,
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

export type ProjectedEntity = 'Customer' | 'Item' | TransactionType;

export function isTransactionType(entity: string): entity is TransactionType {
  return (transactionTypes as readonly string[]).includes(entity);
}

function syncTokenOf(record: object): number {
  const token = Number((record as { SyncToken?: unknown }).SyncToken);
  return Number.isFinite(token) ? token : 0;
}

/** A tombstone outranks every version: a deleted transaction never comes back to life. */
const tombstoneToken = Number.MAX_SAFE_INTEGER;

/** QBO's answer to a write of ours: when the CRM set each field we wrote. */
export interface OurWrite {
  fieldTimes: Partial<Record<FieldName, number>>;
  /** The write's webhook will come back: `drainInbox` skips it once. */
  echo?: boolean;
}

/**
 * What we held of a record: its version, for a customer its fields and when each was set, and for a transaction
 * the few facts of its view that outlive QBO's record of it (the total before a void, an invoice's payment link).
 */
interface Held {
  _id: string;
  syncToken: number;
  fields?: StoredFields;
  fieldTimes?: Record<string, number>;
  view?: PreviousView;
}

/** The collection each entity is projected into, how its records are keyed, and what of them a write compares. */
function projectionOf(
  context: ProjectionContext,
  entity: ProjectedEntity,
): { model: Model<Held>; keyOf: (id: string) => string; held: Record<string, 1> } {
  // The collections are keyed the same way and versioned by syncToken; that is all applyRecords touches.
  if (entity === 'Customer')
    return {
      model: qboCustomerModel(context.db) as unknown as Model<Held>,
      keyOf: (id) => customerKey(context.connectionId, id),
      held: { syncToken: 1, fields: 1, fieldTimes: 1 },
    };
  if (entity === 'Item')
    return {
      model: qboItemModel(context.db) as unknown as Model<Held>,
      keyOf: (id) => itemKey(context.connectionId, id),
      held: { syncToken: 1 },
    };
  return {
    model: qboTransactionModel(context.db) as unknown as Model<Held>,
    keyOf: (id) => transactionKey(context.connectionId, entity, id),
    held: {
      syncToken: 1,
      'view.status': 1,
      'view.total': 1,
      'view.originalTotal': 1,
      ...(entity === 'Invoice' ? { 'view.paymentLink': 1 } : {}),
    },
  };
}

/**
 * Stores QBO records as QBO reports them, a page at a time: one read of the versions held, then one unordered bulk
 * write of guarded upserts, each applied only if its SyncToken is newer than what is stored by then. An older
 * version arriving late (a slow CDC page after a webhook fetch), or a writer that got there first, never loses a
 * newer one: its guard fails, and it counts as unchanged.
 *
 * `ours` is QBO's answer to a write of ours: not a change made in QBO, and its fields carry the times of the CRM
 * changes we wrote rather than QBO's time of the write. Its webhook is then expected (`echoExpectedAt`).
 */
export async function applyRecords<R extends QboCustomer | QboTransactionJson | QboItem>(
  context: ProjectionContext,
  entity: ProjectedEntity,
  records: readonly R[],
  ours?: OurWrite,
): Promise<ApplyResult<R>> {
  const { model, keyOf, held: heldFields } = projectionOf(context, entity);
  // The newest version of each record in the page, should a page name a record twice.
  const candidates = new Map<string, { record: R & { Id: string }; syncToken: number }>();
  for (const record of records) {
    if (typeof record.Id !== 'string') continue;
    const _id = keyOf(record.Id);
    const syncToken = syncTokenOf(record);
    if ((candidates.get(_id)?.syncToken ?? -1) < syncToken)
      candidates.set(_id, { record: record as R & { Id: string }, syncToken });
  }
  if (candidates.size === 0) return { applied: 0, unchanged: records.length, changed: [] };
  const held = new Map(
    (await model.find({ _id: { $in: [...candidates.keys()] } }, heldFields).lean<Held[]>()).map((doc) => [
      doc._id,
      doc,
    ]),
  );
  const newer = [...candidates.entries()].filter(
    ([_id, { syncToken }]) => (held.get(_id)?.syncToken ?? -1) < syncToken,
  );
  const writes = newer.map(([_id, { record, syncToken }]) => {
    const document =
      entity === 'Customer'
        ? {
            ...customerDocument(context, record, syncToken, held.get(_id), ours),
            ...(ours ? {} : { qboChangedAt: context.now }),
            ...(ours?.echo && (record as QboCustomer).MetaData?.LastUpdatedTime
              ? { echoExpectedAt: (record as QboCustomer).MetaData!.LastUpdatedTime }
              : {}),
          }
        : entity === 'Item'
          ? {
              ...itemDocument(context, record, syncToken),
              ...(ours ? {} : { qboChangedAt: context.now }),
            }
          : transactionDocument(context, entity, record, syncToken, held.get(_id)?.view);
    return { _id, syncToken, document };
  });
  // A record held nowhere is inserted (half the database's work of an upsert, which looks the _id up first: a
  // backfill's pages are nearly all new); one held, or inserted by another writer since the read, is upserted
  // behind its guard.
  const guarded = (write: (typeof writes)[number]) => ({
    updateOne: {
      filter: { _id: write._id, syncToken: { $lt: write.syncToken } },
      update: { $set: write.document },
      upsert: true,
    },
  });
  const raced = await writeAll(
    model,
    writes.map((write) =>
      held.has(write._id)
        ? guarded(write)
        : { insertOne: { document: { _id: write._id, ...write.document } } },
    ),
  );
  const retried = [...raced].filter((index) => !held.has(writes[index]!._id));
  // A guard that failed on a newer stored version turns its upsert into a duplicate insert: that write lost.
  const lostAgain = await writeAll(
    model,
    retried.map((index) => guarded(writes[index]!)),
  );
  const lost = new Set([
    ...[...raced].filter((index) => held.has(writes[index]!._id)),
    ...[...lostAgain].map((index) => retried[index]!),
  ]);
  // A record another writer inserted first was updated here, not created.
  const createdElsewhere = new Set(retried.map((index) => writes[index]!._id));
  const changed = newer
    .filter((_entry, index) => !lost.has(index))
    .map(([_id, { record }]) => ({ record, created: !held.has(_id) && !createdElsewhere.has(_id) }));
  return { applied: changed.length, unchanged: records.length - changed.length, changed };
}

/** One unordered bulk write; the indices of the writes that hit a duplicate key (any other error is thrown). */
async function writeAll(model: Model<Held>, writes: readonly object[]): Promise<Set<number>> {
  if (writes.length === 0) return new Set();
  try {
    await model.bulkWrite(writes as never, { ordered: false });
    return new Set();
  } catch (error) {
    const duplicates = duplicateKeyIndices(error);
    if (!duplicates || duplicates.size === 0) throw error;
    return duplicates;
  }
}

function customerDocument(
  context: ProjectionContext,
  customer: QboCustomer & { Id: string },
  syncToken: number,
  held: Held | undefined,
  ours: OurWrite | undefined,
): Omit<QboCustomerRecord, '_id' | 'qboChangedAt'> {
  const lastUpdatedTime = customer.MetaData?.LastUpdatedTime ?? context.now.toISOString();
  const fields = customerToFields(customer);
  const heldFields = loadFields(held?.fields);
  const heldTimes = loadFieldMap(held?.fieldTimes);
  const seenAt = Date.parse(lastUpdatedTime);
  // A value QBO held already keeps its time; a new one is as old as this version (or as the CRM change we wrote).
  const fieldTimes = Object.fromEntries(
    [...syncFieldNames, ...customFieldsIn(fields)].map((field) => {
      const kept = held && sameValue(field, heldFields[field], fields[field]) ? heldTimes[field] : undefined;
      return [
        field,
        kept ?? ours?.fieldTimes[field] ?? (Number.isFinite(seenAt) ? seenAt : context.now.getTime()),
      ];
    }),
  );
  return {
    connectionId: context.connectionId,
    qboId: customer.Id,
    syncToken,
    lastUpdatedTime,
    active: customer.Active !== false,
    fields: storeFields(fields),
    fieldTimes: storeFieldMap(fieldTimes),
    match: matchKeys(fields),
    profile: billingProfile(customer, {
      environment: context.environment,
      homeCurrency: context.homeCurrency,
    }),
    appliedAt: context.now,
  };
}

function itemDocument(
  context: ProjectionContext,
  item: QboItem,
  syncToken: number,
): Omit<QboItemRecord, '_id' | 'qboChangedAt'> {
  const product = itemToProduct(item);
  return {
    connectionId: context.connectionId,
    qboId: item.Id,
    syncToken,
    lastUpdatedTime: item.MetaData?.LastUpdatedTime ?? context.now.toISOString(),
    product,
    match: productMatchKeys(product),
    appliedAt: context.now,
  };
}

function transactionDocument(
  context: ProjectionContext,
  entity: TransactionType,
  record: QboTransactionJson,
  syncToken: number,
  previous: PreviousView | undefined,
): Omit<QboTransactionRecord, '_id'> {
  return {
    connectionId: context.connectionId,
    entity,
    qboId: record.Id,
    ...(record.CustomerRef?.value !== undefined ? { customerQboId: record.CustomerRef.value } : {}),
    syncToken,
    view: transactionView(
      entity,
      record,
      { today: context.today, homeCurrency: context.homeCurrency, environment: context.environment },
      previous,
    ),
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
