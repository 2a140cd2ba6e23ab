import { Schema, type Connection, type Model } from 'mongoose';
import type { BillingProfile } from '../sync/customer-mapping';
import type { SyncFields } from '../sync/fields';
import type { TransactionView } from '../sync/transactions';

/**
 * QBO's side of a connection as we last saw it, one document per customer and per transaction. Activities write
 * these; the API and the reminders read them. Each keeps QBO's SyncToken so that an older version arriving late
 * (a slow CDC page after a webhook fetch) never overwrites a newer one.
 */
export interface QboCustomerRecord {
  _id: string;
  connectionId: string;
  qboId: string;
  syncToken: number;
  lastUpdatedTime: string;
  active: boolean;
  /** The synced fields, nested (`billingAddress.line1` → `{ billingAddress: { line1 } }`): keys cannot hold dots. */
  fields: StoredFields;
  profile: BillingProfile;
  /** The CRM contact linked to this customer, once linked. */
  crmContactId?: string;
  /** `LastUpdatedTime` of our own write whose webhook has not come back yet (see `drainInbox`). */
  echoExpectedAt?: string;
  /** Set when QBO merged this customer into another. */
  mergedInto?: string;
  appliedAt: Date;
  /** When a change made in QBO (not our own write echoing back) last landed: the contacts feed pages on it. */
  qboChangedAt?: Date;
}

export interface QboTransactionRecord {
  _id: string;
  connectionId: string;
  entity: string;
  qboId: string;
  customerQboId?: string;
  syncToken: number;
  view: TransactionView;
  appliedAt: Date;
}

const customerSchema = new Schema<QboCustomerRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    qboId: { type: String, required: true },
    syncToken: { type: Number, required: true },
    lastUpdatedTime: { type: String, required: true },
    active: { type: Boolean, required: true },
    fields: { type: Schema.Types.Mixed, required: true },
    profile: { type: Schema.Types.Mixed, required: true },
    crmContactId: String,
    echoExpectedAt: String,
    mergedInto: String,
    appliedAt: { type: Date, required: true },
    qboChangedAt: Date,
  },
  { collection: 'qbo_customers', versionKey: false, minimize: false },
);
customerSchema.index({ connectionId: 1, crmContactId: 1 });
customerSchema.index({ connectionId: 1, qboChangedAt: 1, _id: 1 });

const transactionSchema = new Schema<QboTransactionRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    entity: { type: String, required: true },
    qboId: { type: String, required: true },
    customerQboId: String,
    syncToken: { type: Number, required: true },
    view: { type: Schema.Types.Mixed, required: true },
    appliedAt: { type: Date, required: true },
  },
  { collection: 'qbo_transactions', versionKey: false, minimize: false },
);
transactionSchema.index({ connectionId: 1, customerQboId: 1 });

export function qboCustomerModel(db: Connection): Model<QboCustomerRecord> {
  return (
    (db.models.QboCustomer as Model<QboCustomerRecord> | undefined) ?? db.model('QboCustomer', customerSchema)
  );
}

export function qboTransactionModel(db: Connection): Model<QboTransactionRecord> {
  return (
    (db.models.QboTransaction as Model<QboTransactionRecord> | undefined) ??
    db.model('QboTransaction', transactionSchema)
  );
}

export type StoredFields = Record<string, string | null | Record<string, string | null>>;

/** SyncFields as MongoDB can hold them: dotted names become nested objects. */
export function storeFields(fields: SyncFields): StoredFields {
  const stored: StoredFields = {};
  for (const [name, value] of Object.entries(fields)) {
    const [head, part] = name.split('.') as [string, string | undefined];
    if (part === undefined) stored[head] = value;
    else
      stored[head] = {
        ...((stored[head] as Record<string, string | null> | undefined) ?? {}),
        [part]: value,
      };
  }
  return stored;
}

export function loadFields(stored: StoredFields): SyncFields {
  const fields: Record<string, string | null> = {};
  for (const [head, value] of Object.entries(stored)) {
    if (value !== null && typeof value === 'object') {
      for (const [part, partValue] of Object.entries(value)) fields[`${head}.${part}`] = partValue;
    } else fields[head] = value;
  }
  return fields as SyncFields;
}

export const customerKey = (connectionId: string, qboId: string): string =>
  `${connectionId}:Customer:${qboId}`;

/**
 * Names the contact a projected customer is linked to, which is how QBO changes find their contact by `_id`; and,
 * after a write of ours, the time of the version QBO will announce back to us.
 */
export async function markCustomerLinked(
  db: Connection,
  connectionId: string,
  qboId: string,
  crmContactId: string,
  echoExpectedAt?: string,
): Promise<void> {
  await qboCustomerModel(db).updateOne(
    { _id: customerKey(connectionId, qboId) },
    { $set: { crmContactId, ...(echoExpectedAt ? { echoExpectedAt } : {}) } },
  );
}
export const transactionKey = (connectionId: string, entity: string, qboId: string): string =>
  `${connectionId}:${entity}:${qboId}`;
