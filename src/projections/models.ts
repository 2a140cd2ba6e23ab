import { Schema, type Connection, type Model } from 'mongoose';
import type { BillingProfile } from '../sync/customer-mapping';
import type { Product } from '../sync/product-mapping';
import type { StoredFields } from '../db/field-maps';
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
  /** The synced fields, nested (`billingAddress.line1` → `{ billingAddress: { line1 } }`). */
  fields: StoredFields;
  /**
   * When each field's value was set in QBO (stored field names, ms): the `LastUpdatedTime` of the first version we
   * saw holding it, or, for a value we wrote, the CRM's time of the change we wrote (the merge compares these).
   */
  fieldTimes: Record<string, number>;
  /** What setup matching finds the customer by (indexed): its email, and its folded display and company names. */
  match: { email: string | null; names: string[] };
  profile: BillingProfile;
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

/** A product or service (QBO Item) as last seen, with what a document line finds it by. */
export interface QboItemRecord {
  _id: string;
  connectionId: string;
  qboId: string;
  syncToken: number;
  lastUpdatedTime: string;
  product: Product;
  /** Its SKU and folded name (indexed): a line naming a product finds it by these. */
  match: { sku: string | null; name: string | null };
  appliedAt: Date;
  /** When a change made in QBO (not our own write) last landed: the products feed pages on it. */
  qboChangedAt?: Date;
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
    fieldTimes: { type: Schema.Types.Mixed, default: {} },
    match: { type: Schema.Types.Mixed, required: true },
    profile: { type: Schema.Types.Mixed, required: true },
    echoExpectedAt: String,
    mergedInto: String,
    appliedAt: { type: Date, required: true },
    qboChangedAt: Date,
  },
  { collection: 'qbo_customers', versionKey: false, minimize: false },
);
customerSchema.index({ connectionId: 1, qboChangedAt: 1, _id: 1 });
customerSchema.index({ connectionId: 1, 'match.email': 1 });
customerSchema.index({ connectionId: 1, 'match.names': 1 });

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

const itemSchema = new Schema<QboItemRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    qboId: { type: String, required: true },
    syncToken: { type: Number, required: true },
    lastUpdatedTime: { type: String, required: true },
    product: { type: Schema.Types.Mixed, required: true },
    match: { type: Schema.Types.Mixed, required: true },
    appliedAt: { type: Date, required: true },
    qboChangedAt: Date,
  },
  { collection: 'qbo_items', versionKey: false, minimize: false },
);
itemSchema.index({ connectionId: 1, qboChangedAt: 1, _id: 1 });
itemSchema.index({ connectionId: 1, 'match.sku': 1 });
itemSchema.index({ connectionId: 1, 'match.name': 1 });

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

export const customerKey = (connectionId: string, qboId: string): string =>
  `${connectionId}:Customer:${qboId}`;

export const transactionKey = (connectionId: string, entity: string, qboId: string): string =>
  `${connectionId}:${entity}:${qboId}`;

export function qboItemModel(db: Connection): Model<QboItemRecord> {
  return (db.models.QboItem as Model<QboItemRecord> | undefined) ?? db.model('QboItem', itemSchema);
}

export const itemKey = (connectionId: string, qboId: string): string => `${connectionId}:Item:${qboId}`;
