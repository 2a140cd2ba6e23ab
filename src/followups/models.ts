import { Schema, type Connection, type Model } from 'mongoose';
import type { ContactTag } from '../sync/tags';
import type { TransactionType } from '../sync/transactions';
import type { ArFigures } from './ar';
import type { FollowUpPolicySettings } from './policy';
import type { FollowUpKind } from './stages';

/**
 * Follow-ups and what they sent. Every decision that must happen once is a unique `_id` insert, so a re-run or a
 * concurrent run finds it taken: a follow-up's `_id` is its dedupe key, and an email attempt's `_id` is
 * `<follow-up>#<attempt>`, inserted before the message is handed to SMTP.
 */

export interface FollowUpPolicyRecord {
  /** The connection id: one policy per connection. */
  _id: string;
  accountId: string;
  policy: FollowUpPolicySettings;
  createdAt: Date;
  updatedAt: Date;
}

export const followUpStatuses = ['pending', 'sent', 'completed', 'dismissed', 'cancelled'] as const;
export type FollowUpStatus = (typeof followUpStatuses)[number];

export type ChannelStatus = 'recorded' | 'sent' | 'bounced' | 'failed' | 'retrying' | 'skipped';
/** Why a channel was skipped, for a reader that acts on it rather than on the sentence in `detail`. */
export type SkipReason = 'opted_out';

export interface ChannelResult {
  status: ChannelStatus;
  at: Date;
  /** Email: the address written to. */
  to?: string;
  /** CRM: the outbound event. */
  eventId?: string;
  messageId?: string;
  /** Email: the digest the follow-up was listed in, with the customer's other overdue invoices. */
  digestId?: string;
  attempts?: number;
  detail?: string;
  reason?: SkipReason;
}

export interface FollowUpHistoryEntry {
  at: Date;
  action:
    | 'planned'
    | 'crm_recorded'
    | 'email_sent'
    | 'email_bounced'
    | 'email_failed'
    | 'email_skipped'
    | 'completed'
    | 'dismissed'
    | 'cancelled';
  to?: string;
  messageId?: string;
  digestId?: string;
  eventId?: string;
  detail?: string;
  reason?: SkipReason;
}

/** The document as it stood when the follow-up was planned, refreshed when it is delivered. */
export interface FollowUpDocument {
  type: TransactionType;
  qboId: string;
  number?: string;
  txnDate: string;
  dueDate?: string;
  expirationDate?: string;
  currency: string;
  total: number;
  balance: number;
  status: string;
  qboLink: string;
  /** An invoice the customer may pay online: QBO's payment page, which the email links to. */
  paymentLink?: string;
}

export interface FollowUpRecord {
  /** `followUpId({ connectionId, entity, qboId, stage })`: the dedupe key. */
  _id: string;
  accountId: string;
  connectionId: string;
  kind: FollowUpKind;
  stage: string;
  entity: TransactionType;
  qboId: string;
  qboCustomerId?: string;
  crmContactId?: string;
  customerName?: string;
  document: FollowUpDocument;
  daysOverdue?: number;
  daysToExpiry?: number;
  /** The company-local day the stage was found due. */
  dueOn: string;
  status: FollowUpStatus;
  /** Why it was cancelled or dismissed. */
  statusReason?: string;
  /** The CRM user's note on completion. */
  note?: string;
  channels: { crm?: ChannelResult; email?: ChannelResult };
  history: FollowUpHistoryEntry[];
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
  completedAt?: Date;
  dismissedAt?: Date;
  cancelledAt?: Date;
}

export type EmailSendStatus = 'sending' | 'sent' | 'bounced' | 'failed';

/**
 * One attempt to email one follow-up: the claim on that attempt, then its outcome. A digest claims one attempt of
 * each follow-up it lists, all with its `digestId`, so those records are the digest's list.
 */
export interface EmailSendRecord {
  /** `<follow-up id>#<attempt>` */
  _id: string;
  followUpId: string;
  attempt: number;
  /** `digestId(claim ids)`: set when the message was a digest listing this follow-up among others. */
  digestId?: string;
  accountId: string;
  connectionId: string;
  to: string;
  from: string;
  subject: string;
  status: EmailSendStatus;
  /** A failure that left the message undelivered for sure, so a later attempt cannot duplicate it. */
  retryable?: boolean;
  messageId?: string;
  response?: string;
  error?: string;
  createdAt: Date;
  finishedAt?: Date;
  bouncedAt?: Date;
}

/** An address that bounced: the account's emails to it are skipped from then on. */
export interface EmailSuppressionRecord {
  /** `<accountId>:<address, lower case>` */
  _id: string;
  accountId: string;
  address: string;
  reason: string;
  followUpId?: string;
  at: Date;
}

/** A customer's tags and AR figures, as last computed. */
export interface ContactArRecord {
  /** `<connectionId>:<qboCustomerId>` */
  _id: string;
  accountId: string;
  connectionId: string;
  qboCustomerId: string;
  crmContactId?: string;
  tags: ContactTag[];
  figures: ArFigures;
  /** The company-local day the figures are for. */
  asOfDate: string;
  /** Counts tag changes; names the `contact.updated` event of each. */
  tagsRevision: number;
  computedAt: Date;
}

/** How far a connection's AR sweep has got: the last full pass, and the changes already looked at. */
export interface ContactArSweepRecord {
  /** The connection id. */
  _id: string;
  fullOn: string;
  changesUpTo: Date;
}

const mixed = Schema.Types.Mixed;

const policySchema = new Schema<FollowUpPolicyRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    policy: { type: mixed, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'followup_policies', versionKey: false, minimize: false },
);

const followUpSchema = new Schema<FollowUpRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    kind: { type: String, required: true },
    stage: { type: String, required: true },
    entity: { type: String, required: true },
    qboId: { type: String, required: true },
    qboCustomerId: String,
    crmContactId: String,
    customerName: String,
    document: { type: mixed, required: true },
    daysOverdue: Number,
    daysToExpiry: Number,
    dueOn: { type: String, required: true },
    status: { type: String, enum: followUpStatuses, required: true },
    statusReason: String,
    note: String,
    channels: { type: mixed, default: {} },
    history: { type: mixed, default: () => [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    sentAt: Date,
    completedAt: Date,
    dismissedAt: Date,
    cancelledAt: Date,
  },
  { collection: 'followups', versionKey: false, minimize: false },
);
// The API lists an account's follow-ups by (createdAt, _id); the engine walks a connection's pending ones, and a
// digest a customer's.
followUpSchema.index({ accountId: 1, createdAt: 1, _id: 1 });
followUpSchema.index({ connectionId: 1, status: 1, _id: 1 });
followUpSchema.index({ connectionId: 1, qboCustomerId: 1, status: 1 });

const emailSendSchema = new Schema<EmailSendRecord>(
  {
    _id: { type: String, required: true },
    followUpId: { type: String, required: true },
    attempt: { type: Number, required: true },
    digestId: String,
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    to: { type: String, required: true },
    from: { type: String, required: true },
    subject: { type: String, required: true },
    status: { type: String, enum: ['sending', 'sent', 'bounced', 'failed'], required: true },
    retryable: Boolean,
    messageId: String,
    response: String,
    error: String,
    createdAt: { type: Date, required: true },
    finishedAt: Date,
    bouncedAt: Date,
  },
  { collection: 'email_sends', versionKey: false },
);
emailSendSchema.index({ accountId: 1, createdAt: 1, _id: 1 });
emailSendSchema.index({ followUpId: 1, attempt: 1 });
emailSendSchema.index({ messageId: 1 });
emailSendSchema.index({ digestId: 1 });

const suppressionSchema = new Schema<EmailSuppressionRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    address: { type: String, required: true },
    reason: { type: String, required: true },
    followUpId: String,
    at: { type: Date, required: true },
  },
  { collection: 'email_suppressions', versionKey: false },
);

const contactArSchema = new Schema<ContactArRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    qboCustomerId: { type: String, required: true },
    crmContactId: String,
    tags: { type: [String], default: [] },
    figures: { type: mixed, required: true },
    asOfDate: { type: String, required: true },
    tagsRevision: { type: Number, required: true },
    computedAt: { type: Date, required: true },
  },
  { collection: 'contact_ar', versionKey: false, minimize: false },
);
contactArSchema.index({ connectionId: 1, crmContactId: 1 });

const sweepSchema = new Schema<ContactArSweepRecord>(
  {
    _id: { type: String, required: true },
    fullOn: { type: String, required: true },
    changesUpTo: { type: Date, required: true },
  },
  { collection: 'contact_ar_sweeps', versionKey: false },
);

export function followUpPolicyModel(db: Connection): Model<FollowUpPolicyRecord> {
  return (
    (db.models.FollowUpPolicy as Model<FollowUpPolicyRecord> | undefined) ??
    db.model('FollowUpPolicy', policySchema)
  );
}

export function followUpModel(db: Connection): Model<FollowUpRecord> {
  return (db.models.FollowUp as Model<FollowUpRecord> | undefined) ?? db.model('FollowUp', followUpSchema);
}

export function emailSendModel(db: Connection): Model<EmailSendRecord> {
  return (
    (db.models.EmailSend as Model<EmailSendRecord> | undefined) ?? db.model('EmailSend', emailSendSchema)
  );
}

export function emailSuppressionModel(db: Connection): Model<EmailSuppressionRecord> {
  return (
    (db.models.EmailSuppression as Model<EmailSuppressionRecord> | undefined) ??
    db.model('EmailSuppression', suppressionSchema)
  );
}

export function contactArModel(db: Connection): Model<ContactArRecord> {
  return (
    (db.models.ContactAr as Model<ContactArRecord> | undefined) ?? db.model('ContactAr', contactArSchema)
  );
}

export function contactArSweepModel(db: Connection): Model<ContactArSweepRecord> {
  return (
    (db.models.ContactArSweep as Model<ContactArSweepRecord> | undefined) ??
    db.model('ContactArSweep', sweepSchema)
  );
}

export const contactArKey = (connectionId: string, qboCustomerId: string): string =>
  `${connectionId}:${qboCustomerId}`;
export const suppressionKey = (accountId: string, address: string): string =>
  `${accountId}:${address.toLowerCase()}`;

/** A customer who unsubscribed from a connection's reminder emails; the email channel skips them from then on. */
export interface EmailOptOutRecord {
  /** `optOutKey(connectionId, qboCustomerId)` */
  _id: string;
  accountId: string;
  connectionId: string;
  qboCustomerId: string;
  /** The address the unsubscribe link was sent to. */
  address: string;
  at: Date;
}

const optOutSchema = new Schema<EmailOptOutRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    qboCustomerId: { type: String, required: true },
    address: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { collection: 'email_opt_outs', versionKey: false },
);

export function emailOptOutModel(db: Connection): Model<EmailOptOutRecord> {
  return (
    (db.models.EmailOptOut as Model<EmailOptOutRecord> | undefined) ?? db.model('EmailOptOut', optOutSchema)
  );
}

export const optOutKey = (connectionId: string, qboCustomerId: string): string =>
  `${connectionId}:${qboCustomerId}`;
