import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../db/claims';
import { baseWithUnconfirmedWrites } from '../sync/merge';
import type { SyncFields } from '../sync/fields';
import { loadFields, type StoredFields } from './models';

/**
 * The CRM's side: contacts as the CRM last sent them, the link between a contact and its QBO customer with the
 * snapshot both sides agreed on (the base of the three-way merge), and the sync events (changes and conflicts)
 * that the API shows.
 */
export interface CrmContactRecord {
  _id: string;
  connectionId: string;
  crmContactId: string;
  fields: StoredFields;
  /** The CRM's own `updatedAt` for the contact. */
  updatedAt: string;
  receivedAt: Date;
  /** When a QBO change was last merged into the contact (GET /v1/contacts/:id shows the merged contact). */
  qboChangedAt?: Date;
  /** Where the contact's last PUT stands: waiting for QBO, written, or refused by QBO's rules. */
  syncState?: 'pending' | 'synced' | 'rejected';
  /** The CRM deleted the contact: a tombstone, so that no sync brings it back. */
  deletedAt?: Date;
}

/** How a contact came to be linked: we created the customer, matched it by email or name, or the CRM named it. */
export const linkMethods = ['created', 'email', 'name', 'crm'] as const;
export type LinkMethod = (typeof linkMethods)[number];

export interface ContactLinkRecord {
  _id: string;
  connectionId: string;
  crmContactId: string;
  qboCustomerId: string;
  /** The fields both sides held after the last successful sync. */
  snapshot: StoredFields;
  /** QBO's SyncToken after our last write: CDC and webhooks bringing back this version are our own echo. */
  qboSyncToken: string;
  /** The writes sent to QBO since the last confirmed sync, oldest first, whose answers were not seen (see `mergeBaseOf`). */
  unconfirmedWrites?: StoredFields[];
  linkedBy: LinkMethod;
  syncedAt: Date;
  /** The contact was deleted in the CRM; the QBO customer is left as it is (QBO cannot delete customers). */
  deletedAt?: Date;
}

export interface SyncEventRecord {
  connectionId: string;
  crmContactId?: string;
  qboCustomerId?: string;
  kind:
    | 'linked'
    | 'relinked'
    | 'unlinked'
    | 'created'
    | 'updated_qbo'
    | 'updated_crm'
    | 'conflict'
    | 'rejected'
    | 'contact_deleted';
  fields?: string[];
  detail?: Record<string, unknown>;
  /** For applied changes: from the change on its source side to it landing on the other (freshness). */
  lagMs?: number;
  /** For conflicts: the CRM chose to keep its own value after all. */
  resolution?: { choice: 'qbo' | 'crm'; at: Date };
  at: Date;
}

const contactSchema = new Schema<CrmContactRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    crmContactId: { type: String, required: true },
    fields: { type: Schema.Types.Mixed, required: true },
    updatedAt: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    qboChangedAt: Date,
    syncState: { type: String, enum: ['pending', 'synced', 'rejected'] },
    deletedAt: Date,
  },
  { collection: 'crm_contacts', versionKey: false, minimize: false },
);

const linkSchema = new Schema<ContactLinkRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    crmContactId: { type: String, required: true },
    qboCustomerId: { type: String, required: true },
    snapshot: { type: Schema.Types.Mixed, required: true },
    qboSyncToken: { type: String, default: '' },
    unconfirmedWrites: [Schema.Types.Mixed],
    linkedBy: { type: String, enum: linkMethods, required: true },
    syncedAt: { type: Date, required: true },
    deletedAt: Date,
  },
  { collection: 'contact_links', versionKey: false, minimize: false },
);
// A QBO customer is linked to at most one contact per connection.
linkSchema.index({ connectionId: 1, qboCustomerId: 1 }, { unique: true });

const syncEventSchema = new Schema<SyncEventRecord>(
  {
    connectionId: { type: String, required: true },
    crmContactId: String,
    qboCustomerId: String,
    kind: { type: String, required: true },
    fields: [String],
    detail: Schema.Types.Mixed,
    lagMs: Number,
    resolution: { type: new Schema({ choice: String, at: Date }, { _id: false }), required: false },
    at: { type: Date, required: true },
  },
  { collection: 'sync_events', versionKey: false },
);
syncEventSchema.index({ connectionId: 1, at: -1 });
syncEventSchema.index({ connectionId: 1, crmContactId: 1, at: -1 });

/**
 * What a linked contact merges against: the snapshot both sides last agreed on, where QBO holding a value one of our
 * unconfirmed writes sent counts as agreed; null for a link that never synced (the more recent side wins each field).
 */
export function mergeBaseOf(link: ContactLinkRecord, qbo: SyncFields): SyncFields | null {
  if (link.syncedAt.getTime() === 0) return null;
  return baseWithUnconfirmedWrites(
    loadFields(link.snapshot),
    (link.unconfirmedWrites ?? []).map(loadFields),
    qbo,
  );
}

export function crmContactModel(db: Connection): Model<CrmContactRecord> {
  return (
    (db.models.CrmContact as Model<CrmContactRecord> | undefined) ?? db.model('CrmContact', contactSchema)
  );
}

export function contactLinkModel(db: Connection): Model<ContactLinkRecord> {
  return (
    (db.models.ContactLink as Model<ContactLinkRecord> | undefined) ?? db.model('ContactLink', linkSchema)
  );
}

export function syncEventModel(db: Connection): Model<SyncEventRecord> {
  return (
    (db.models.SyncEvent as Model<SyncEventRecord> | undefined) ?? db.model('SyncEvent', syncEventSchema)
  );
}

/** A contact's latest sync event, kept by contact key so the contact view reads it by `_id`. */
export type LastSyncEventRecord = Pick<SyncEventRecord, 'kind' | 'at' | 'fields' | 'detail'> & {
  _id: string;
};

const lastSyncEventSchema = new Schema<LastSyncEventRecord>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
    fields: [String],
    detail: Schema.Types.Mixed,
  },
  { collection: 'contact_last_events', versionKey: false },
);

export function lastSyncEventModel(db: Connection): Model<LastSyncEventRecord> {
  return (
    (db.models.LastSyncEvent as Model<LastSyncEventRecord> | undefined) ??
    db.model('LastSyncEvent', lastSyncEventSchema)
  );
}

/**
 * Appends sync events, and keeps each contact's latest beside them: on FerretDB, finding a contact's latest event
 * in `sync_events` (which grows with every change) would read all of it.
 */
export async function recordSyncEvents(db: Connection, events: SyncEventRecord[]): Promise<void> {
  if (events.length === 0) return;
  await syncEventModel(db).insertMany(events);
  const latest = new Map<string, SyncEventRecord>();
  for (const event of events)
    if (event.crmContactId) latest.set(contactKey(event.connectionId, event.crmContactId), event);
  for (const [_id, { kind, at, fields, detail }] of latest) {
    const record = { _id, kind, at, ...(fields ? { fields } : {}), ...(detail ? { detail } : {}) };
    try {
      await lastSyncEventModel(db).replaceOne({ _id }, record, { upsert: true });
    } catch (error) {
      // Two first events of one contact at once: either is the latest.
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

export const contactKey = (connectionId: string, crmContactId: string): string =>
  `${connectionId}:${crmContactId}`;
