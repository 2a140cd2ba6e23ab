import { Schema, type Connection, type Model } from 'mongoose';
import type { StoredFields } from '../db/field-maps';

/**
 * A contact: one document holding the CRM's side (what the CRM sent), the link to its QBO customer with the base of
 * the three-way merge, and the sync engine's outcome. QBO's side is the customer's projection (`qbo_customers`),
 * read through the link.
 *
 * Two writers share it, each writing only its own fields, atomically:
 * - the API writes `crm` (a PUT or a delete, ordered by the CRM's `updatedAt`; each bumps `crm.version` and sets
 *   `state` to pending or deleted), and may link a contact the CRM adopts (`linkKey` and `link`, only while the
 *   contact has no link or it names another customer);
 * - the connection's workflow writes `sync` and `state` (guarded by the `crm.version` it merged, so an outcome
 *   never lands on a version it did not see) and `link` (guarded by the customer it merged with, so a re-link is
 *   never undone).
 * Nothing is read, changed in memory and written back whole. The engine's push and pull of one contact take turns
 * (`turn`), so two merges never decide the same field at once.
 */
export const linkMethods = ['created', 'email', 'name', 'crm'] as const;
export type LinkMethod = (typeof linkMethods)[number];

/** When the CRM set a field's value: its (clamped) `updatedAt`, and when we received that version. */
export interface StoredFieldChange {
  at: Date;
  receivedAt: Date;
}

export interface CrmSide {
  fields: StoredFields;
  /** The CRM's `updatedAt`, clamped to when we received it if the CRM's clock ran ahead of ours. */
  updatedAt: string;
  /** The `updatedAt` the CRM sent, when it was clamped. */
  sentUpdatedAt?: string;
  receivedAt: Date;
  /** Bumped by every PUT and delete: what the engine's writes are guarded by. */
  version: number;
  /** Per field (stored field names): the version that last changed its value. */
  fieldChanges: Record<string, StoredFieldChange>;
  /** The CRM deleted the contact: a tombstone, so that no sync brings it back. */
  deletedAt?: Date;
}

/** One field's agreed value (the merge base), as stored: see `BaseEntry` in src/sync/merge.ts. */
export interface StoredBaseEntry {
  value: string | null;
  at: Date;
  from: 'qbo' | 'crm' | 'both';
  agreedAt: Date;
  crmSeenAt?: Date;
  cleared?: boolean;
}

/** A write sent to QBO whose answer was not seen: it may have committed (see `baseWithUnconfirmedWrites`). */
export interface StoredUnconfirmedWrite {
  fields: StoredFields;
  at: Date;
  sentAt: Date;
  crmSeenAt?: Date;
}

export interface ContactLink {
  qboCustomerId: string;
  linkedBy: LinkMethod;
  linkedAt: Date;
  /** Per field (stored field names): the value both sides last agreed on. A field without one has no base. */
  base: Record<string, StoredBaseEntry>;
  /** QBO's SyncToken after our last write or sync: the version we hold. */
  qboSyncToken?: string;
  syncedAt?: Date;
  unconfirmedWrites?: StoredUnconfirmedWrite[];
  /** Fields held for a person (`manual` policy): the two values and the conflict waiting in the inbox. */
  held?: Record<string, { qboValue: string | null; crmValue: string | null; eventId: string }>;
  /** Fields a person decided: the value the next merge applies to both sides, and whose it was. */
  decisions?: Record<string, { side: 'qbo' | 'crm'; value: string | null }>;
  /** The contact was deleted in the CRM; the QBO customer is left as it is (QBO cannot delete customers). */
  deletedAt?: Date;
  /**
   * An undo of its creation made the customer inactive (QBO's soft delete): the contact stays linked, so no sync
   * creates it again, and nothing is pushed to it until that undo is undone.
   */
  deactivated?: { at: Date; eventId: string };
}

export type ContactSyncState = 'pending' | 'synced' | 'rejected';
/** What the contact's `state` says: its sync state, or that the CRM deleted it. */
export type ContactState = ContactSyncState | 'deleted';

export interface SyncOutcome {
  /** The `crm.version` this outcome is about; a newer version is pending until its own outcome. */
  version: number;
  state?: Exclude<ContactSyncState, 'pending'>;
  /** QBO's changes merged into that version, which the CRM reads as part of the contact. */
  fromQbo: StoredFields;
  at?: Date;
}

export interface ContactRecord {
  /** `<connectionId>:<crmContactId>` */
  _id: string;
  connectionId: string;
  crmContactId: string;
  /** `<connectionId>:<qboCustomerId>` of the linked customer: unique, so a customer is linked to one contact. */
  linkKey?: string;
  crm: CrmSide;
  link?: ContactLink;
  sync: SyncOutcome;
  /** Kept current by both writers, so counts per state are index lookups. */
  state: ContactState;
  /** Whose turn it is to merge the contact (a push or a pull), until when: see `inContactTurn`. */
  turn?: { holder: string; until: Date };
  /**
   * A create sent to QBO whose answer was not seen: it may have committed. Whatever link the contact gets next
   * starts with it as an unconfirmed write, so the values QBO holds from it are not taken for QBO edits.
   */
  unconfirmedCreate?: StoredUnconfirmedWrite;
  createdAt: Date;
}

const contactSchema = new Schema<ContactRecord>(
  {
    _id: { type: String, required: true },
    connectionId: { type: String, required: true },
    crmContactId: { type: String, required: true },
    linkKey: String,
    crm: { type: Schema.Types.Mixed, required: true },
    link: Schema.Types.Mixed,
    sync: { type: Schema.Types.Mixed, required: true },
    state: { type: String, enum: ['pending', 'synced', 'rejected', 'deleted'], required: true },
    turn: { type: new Schema({ holder: String, until: Date }, { _id: false }), required: false },
    unconfirmedCreate: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
  },
  { collection: 'contacts', versionKey: false, minimize: false },
);
contactSchema.index({ linkKey: 1 }, { unique: true, sparse: true });
contactSchema.index({ connectionId: 1, state: 1 });
contactSchema.index({ state: 1 });

export function contactModel(db: Connection): Model<ContactRecord> {
  return (db.models.Contact as Model<ContactRecord> | undefined) ?? db.model('Contact', contactSchema);
}

export const contactKey = (connectionId: string, crmContactId: string): string =>
  `${connectionId}:${crmContactId}`;
export const linkKeyOf = (connectionId: string, qboCustomerId: string): string =>
  `${connectionId}:${qboCustomerId}`;

/** Whether the engine's outcome is about the version the CRM sent last (else that version is still pending). */
export function outcomeIsCurrent(contact: Pick<ContactRecord, 'crm' | 'sync'>): boolean {
  return contact.sync.version === contact.crm.version;
}
