import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { accountModel } from '../accounts/models';
import { duplicateKeyIndices } from '../db/errors';
import { defaultRetention, expiresAfterDays, expiresAtIndex } from '../db/retention';

/**
 * Events for the CRM: an outbox. Each event is stored once (its id derives from what happened, so a retried
 * activity cannot store it twice), then delivered as a signed webhook when the account has an endpoint, and it
 * stays readable through the API (the contacts feed, the delivery log) either way.
 */
export const outboundEventTypes = [
  'contact.created',
  'contact.updated',
  'product.created',
  'product.updated',
  'transaction.upserted',
  'followup.created',
  'connection.status_changed',
] as const;
export type OutboundEventType = (typeof outboundEventTypes)[number];

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'no_endpoint';

export interface OutboundEventRecord {
  _id: string;
  accountId: string;
  connectionId: string;
  type: OutboundEventType;
  crmContactId?: string;
  qboCustomerId?: string;
  data: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
  delivery: {
    status: DeliveryStatus;
    attempts: number;
    nextAttemptAt?: Date;
    lastAttemptAt?: Date;
    lastError?: string;
    deliveredAt?: Date;
    /** Bumped by a redelivery request: an attempt that saw an older generation does not overwrite the request. */
    generation?: number;
  };
}

export interface EventDraft {
  accountId: string;
  connectionId: string;
  type: OutboundEventType;
  /** What makes this event unique (e.g. the QBO customer and its SyncToken): the same key is the same event. */
  dedupeKey: string;
  crmContactId?: string;
  qboCustomerId?: string;
  data: Record<string, unknown>;
}

const eventSchema = new Schema<OutboundEventRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    type: { type: String, enum: outboundEventTypes, required: true },
    crmContactId: String,
    qboCustomerId: String,
    data: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    delivery: {
      type: new Schema(
        {
          status: { type: String, enum: ['pending', 'delivered', 'failed', 'no_endpoint'], required: true },
          attempts: { type: Number, required: true },
          nextAttemptAt: Date,
          lastAttemptAt: Date,
          lastError: String,
          deliveredAt: Date,
          generation: Number,
        },
        { _id: false },
      ),
      required: true,
    },
  },
  { collection: 'outbound_events', versionKey: false, minimize: false },
);
// The feed and the delivery log page by (createdAt, _id) within an account.
eventSchema.index({ accountId: 1, createdAt: 1, _id: 1 });
// The dispatcher's queue: an account's pending events by when they are due.
eventSchema.index({ accountId: 1, 'delivery.status': 1, 'delivery.nextAttemptAt': 1 });
// Counts per delivery status (/metrics).
eventSchema.index({ 'delivery.status': 1 });
expiresAtIndex(eventSchema);

export function outboundEventModel(db: Connection): Model<OutboundEventRecord> {
  return (
    (db.models.OutboundEvent as Model<OutboundEventRecord> | undefined) ??
    db.model('OutboundEvent', eventSchema)
  );
}

export function eventId(draft: Pick<EventDraft, 'connectionId' | 'type' | 'dedupeKey'>): string {
  const digest = createHash('sha256')
    .update(`${draft.connectionId}\n${draft.type}\n${draft.dedupeKey}`)
    .digest('base64url');
  return `evt_${digest.slice(0, 32)}`;
}

/**
 * Stores events that are not stored yet and returns the new ones: one unordered insert, no read first. An event
 * stored already (a retried activity, a replayed page, a concurrent writer) is a duplicate key and not new.
 * `hasEndpoint` decides whether they wait for delivery or are kept for the feed only.
 */
export async function recordEvents(
  db: Connection,
  drafts: readonly EventDraft[],
  {
    hasEndpoint,
    now,
    retentionDays = defaultRetention.outboundEventDays,
  }: { hasEndpoint: boolean; now: Date; retentionDays?: number },
): Promise<OutboundEventRecord[]> {
  if (drafts.length === 0) return [];
  const records: OutboundEventRecord[] = drafts.map(({ dedupeKey: _key, ...draft }) => ({
    _id: eventId({ ...draft, dedupeKey: _key }),
    ...draft,
    createdAt: now,
    expiresAt: expiresAfterDays(now, retentionDays, now),
    delivery: hasEndpoint
      ? { status: 'pending', attempts: 0, nextAttemptAt: now }
      : { status: 'no_endpoint', attempts: 0 },
  }));
  let taken = new Set<number>();
  try {
    await outboundEventModel(db).collection.insertMany(records as never[], { ordered: false });
  } catch (error) {
    taken = duplicateKeyIndices(error) ?? new Set<number>();
    if (taken.size === 0) throw error;
  }
  return records.filter((_record, index) => !taken.has(index));
}

/** Stores events of one account, pending delivery when it has an enabled endpoint; returns how many are new. */
export async function recordAccountEvents(
  db: Connection,
  accountId: string,
  drafts: readonly EventDraft[],
  now: Date,
  retentionDays?: number,
): Promise<number> {
  if (drafts.length === 0) return 0;
  const account = await accountModel(db).findById(accountId, { webhook: 1 }).lean();
  const stored = await recordEvents(db, drafts, {
    hasEndpoint: Boolean(account?.webhook?.enabled),
    now,
    ...(retentionDays !== undefined ? { retentionDays } : {}),
  });
  return stored.length;
}

/** `connection.status_changed`: connected, backfill done, needs re-authorisation, disconnected. */
export function connectionStatusEvent(
  connection: { _id: string; accountId: string; realmId: string },
  status: 'active' | 'needs_reauth' | 'disconnected' | 'backfill_completed',
  reason: string,
  at: Date,
  /** What makes this change unique (a token version, say); by default the moment it happened. */
  occurrence = at.toISOString(),
): EventDraft {
  return {
    accountId: connection.accountId,
    connectionId: connection._id,
    type: 'connection.status_changed',
    dedupeKey: `${status}:${occurrence}`,
    data: { connectionId: connection._id, realmId: connection.realmId, status, reason },
  };
}
