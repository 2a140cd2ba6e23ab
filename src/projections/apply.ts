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

export interface ApplyOptions {
  ours?: OurWrite;
  /**
   * Nearly all the records are new to the projection (a backfill's pages): they are inserted without a read first,
   * and only those found held (a page's overlap with the one before) are read and written behind their guard.
   */
  expectNew?: boolean;
}

/** A page's records by key, each at the newest version the page names. */
type Versions<R> = Map<string, { record: R & { Id: string }; syncToken: number }>;

/**
 * Stores QBO records as QBO reports them, a page at a time: one read of the versions held, then one unordered bulk
 * write, each applied only if its SyncToken is newer than what is stored by then. An older version arriving late (a
 * slow CDC page after a webhook fetch), or a writer that got there first, never loses a newer one: its guard fails,
 * and it counts as unchanged.
 *
 * `ours` is QBO's answer to a write of ours: not a change made in QBO, and its fields carry the times of the CRM
 * changes we wrote rather than QBO's time of the write. Its webhook is then expected (`echoExpectedAt`).
 */
export async function applyRecords<R extends QboCustomer | QboTransactionJson | QboItem>(
  context: ProjectionContext,
  entity: ProjectedEntity,
  records: readonly R[],
  { ours, expectNew = false }: ApplyOptions = {},
): Promise<ApplyResult<R>> {
  const projection = projectionOf(context, entity);
  // The newest version of each record in the page, should a page name a record twice.
  const candidates: Versions<R> = new Map();
  for (const record of records) {
    if (typeof record.Id !== 'string') continue;
    const _id = projection.keyOf(record.Id);
    const syncToken = syncTokenOf(record);
    if ((candidates.get(_id)?.syncToken ?? -1) < syncToken)
      candidates.set(_id, { record: record as R & { Id: string }, syncToken });
  }
  const write = (versions: Versions<R>, held: Map<string, Held>) =>
    writeVersions(context, entity, projection.model, versions, held, ours);
  const first = await write(
    candidates,
    expectNew ? new Map<string, Held>() : await readHeld(projection, candidates.keys()),
  );
  // Inserted by another writer since the read (or, expecting new records, held already): read, then written behind
  // the guard. One that collides again lost to a newer version.
  const collided: Versions<R> = new Map([...first.collided].map((_id) => [_id, candidates.get(_id)!]));
  const second = await write(collided, await readHeld(projection, collided.keys()));
  const changed = [...first.changed, ...second.changed];
  return { applied: changed.length, unchanged: records.length - changed.length, changed };
}

async function readHeld(
  projection: ReturnType<typeof projectionOf>,
  keys: Iterable<string>,
): Promise<Map<string, Held>> {
  const ids = [...keys];
  if (ids.length === 0) return new Map();
  const docs = await projection.model.find({ _id: { $in: ids } }, projection.held).lean<Held[]>();
  return new Map(docs.map((doc) => [doc._id, doc]));
}

/**
 * One unordered bulk write of the versions newer than those held: an insert for a record held nowhere (half the
 * database's work of an upsert, which looks the _id up first), a guarded upsert for one held. Answers what changed,
 * and the inserts that found the record there after all.
 */
async function writeVersions<R extends QboCustomer | QboTransactionJson | QboItem>(
  context: ProjectionContext,
  entity: ProjectedEntity,
  model: Model<Held>,
  versions: Versions<R>,
  held: Map<string, Held>,
  ours: OurWrite | undefined,
): Promise<{ changed: ApplyResult<R>['changed']; collided: Set<string> }> {
  const newer = [...versions.entries()].filter(
    ([_id, { syncToken }]) => (held.get(_id)?.syncToken ?? -1) < syncToken,
  );
  const writes = newer.map(([_id, { record, syncToken }]) => {
    const document = recordDocument(context, entity, record, syncToken, held.get(_id), ours);
    return held.has(_id)
      ? {
          updateOne: {
            filter: { _id, syncToken: { $lt: syncToken } },
            update: { $set: document },
            upsert: true,
          },
        }
      : { insertOne: { document: { _id, ...document } } };
  });
  // A failed guard turns an upsert into a duplicate insert: that write lost to a newer version.
  const duplicates = await writeAll(model, writes);
  const collided = new Set([...duplicates].map((index) => newer[index]![0]).filter((_id) => !held.has(_id)));
  const changed = newer
    .filter((_entry, index) => !duplicates.has(index))
    .map(([_id, { record }]) => ({ record, created: !held.has(_id) }));
  return { changed, collided };
}

/** The document a version of a record is stored as. */
function recordDocument(
  context: ProjectionContext,
  entity: ProjectedEntity,
  record: (QboCustomer | QboTransactionJson | QboItem) & { Id: string },
  syncToken: number,
  held: Held | undefined,
  ours: OurWrite | undefined,
): object {
  if (entity === 'Customer')
    return {
      ...customerDocument(context, record, syncToken, held, ours),
      ...(ours ? {} : { qboChangedAt: context.now }),
      ...(ours?.echo && (record as QboCustomer).MetaData?.LastUpdatedTime
        ? { echoExpectedAt: (record as QboCustomer).MetaData!.LastUpdatedTime }
        : {}),
    };
  if (entity === 'Item')
    return {
      ...itemDocument(context, record, syncToken),
      ...(ours ? {} : { qboChangedAt: context.now }),
    };
  return transactionDocument(context, entity, record, syncToken, held?.view);
}

/**
 * One unordered bulk write; the indices of the writes that hit a duplicate key (any other error is thrown). It goes
 * to the driver as it is: the documents are built typed here, and mongoose's bulkWrite would cast each one through
 * the schema again (as much time as the database's insert, measured on a backfill).
 */
async function writeAll(model: Model<Held>, writes: readonly object[]): Promise<Set<number>> {
  if (writes.length === 0) return new Set();
  try {
    await model.collection.bulkWrite(writes as never, { ordered: false, ignoreUndefined: true });
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
