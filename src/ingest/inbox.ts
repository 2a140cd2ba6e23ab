import { Schema, type Connection, type Model } from 'mongoose';
import { connectionModel } from '../db/models/connection';
import { duplicateKeyIndices } from '../db/errors';
import { defaultRetention, expiresAfterDays, expiresAtIndex } from '../db/retention';
import type { EntityEvent, UnreadableEvent } from './notifications';
import { countMatching } from '../db/count';

/**
 * The durable inbox for Intuit's webhook events. A delivery is acknowledged only once its events are stored here;
 * the `_id` (realm + event id) makes redeliveries and duplicates a no-op. Each event names the live connections
 * of its realm that still have to apply it (`pendingFor`): several CRM accounts may connect one company, and each
 * gets every event. A connection's waiting events are an indexed query on that list, and it takes itself off an
 * event once applied. Events are kept for the retention period as the log of what arrived.
 */
export interface InboxRecord {
  _id: string;
  realmId: string;
  entity: string;
  entityId: string;
  operation: string;
  occurredAt: Date;
  deletedId?: string;
  receivedAt: Date;
  /** The connections that have yet to apply this event. */
  pendingFor: string[];
  expiresAt: Date;
}

interface DeadLetterRecord {
  realmId?: string;
  reason: string;
  raw: unknown;
  receivedAt: Date;
  expiresAt: Date;
}

const inboxSchema = new Schema<InboxRecord>(
  {
    _id: { type: String, required: true },
    realmId: { type: String, required: true },
    entity: { type: String, required: true },
    entityId: { type: String, required: true },
    operation: { type: String, required: true },
    occurredAt: { type: Date, required: true },
    deletedId: String,
    receivedAt: { type: Date, required: true },
    pendingFor: { type: [String], default: [] },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'webhook_inbox', versionKey: false },
);
inboxSchema.index({ pendingFor: 1, receivedAt: 1 });
expiresAtIndex(inboxSchema);

const deadLetterSchema = new Schema<DeadLetterRecord>(
  {
    realmId: String,
    reason: { type: String, required: true },
    raw: Schema.Types.Mixed,
    receivedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'webhook_dead_letters', versionKey: false },
);
expiresAtIndex(deadLetterSchema);

export function inboxModel(db: Connection): Model<InboxRecord> {
  return (
    (db.models.WebhookInbox as Model<InboxRecord> | undefined) ??
    db.model<InboxRecord>('WebhookInbox', inboxSchema)
  );
}

export function deadLetterModel(db: Connection): Model<DeadLetterRecord> {
  return (
    (db.models.WebhookDeadLetter as Model<DeadLetterRecord> | undefined) ??
    db.model<DeadLetterRecord>('WebhookDeadLetter', deadLetterSchema)
  );
}

/**
 * Stores new events, each pending for every live connection of its realm, and dead letters; returns the events
 * that were new. One unordered insert: an event seen before is a duplicate key and skipped, and never stops the
 * others. Any other failure throws, and the caller answers 5xx so that Intuit delivers again.
 */
export async function storeDelivery(
  db: Connection,
  events: EntityEvent[],
  unreadable: UnreadableEvent[],
  receivedAt: Date,
  retentionDays = defaultRetention.webhookInboxDays,
): Promise<EntityEvent[]> {
  const expiresAt = expiresAfterDays(receivedAt, retentionDays, receivedAt);
  const realms = [...new Set(events.map((event) => event.realmId))];
  const live = realms.length
    ? await connectionModel(db)
        .find({ realmId: { $in: realms }, status: { $ne: 'disconnected' } }, { realmId: 1 })
        .lean()
    : [];
  const connectionsOf = (realmId: string): string[] =>
    live.filter((connection) => connection.realmId === realmId).map((connection) => connection._id);
  const records: InboxRecord[] = events.map((event) => ({
    _id: `${event.realmId}:${event.eventId}`,
    realmId: event.realmId,
    entity: event.entity,
    entityId: event.entityId,
    operation: event.operation,
    occurredAt: new Date(event.occurredAt),
    ...(event.deletedId ? { deletedId: event.deletedId } : {}),
    receivedAt,
    pendingFor: connectionsOf(event.realmId),
    expiresAt,
  }));
  let seen = new Set<number>();
  if (records.length > 0) {
    try {
      await inboxModel(db).collection.insertMany(records as never[], { ordered: false });
    } catch (error) {
      seen = duplicateKeyIndices(error) ?? new Set<number>();
      if (seen.size === 0) throw error;
    }
  }
  if (unreadable.length > 0) {
    await deadLetterModel(db).insertMany(
      unreadable.map(({ reason, raw }) => ({ reason, raw, receivedAt, expiresAt })),
    );
  }
  return events.filter((_event, index) => !seen.has(index));
}

/** The events a connection has yet to apply, oldest first. */
export async function pendingEvents(
  db: Connection,
  connectionId: string,
  limit: number,
): Promise<InboxRecord[]> {
  return inboxModel(db)
    .find({ pendingFor: connectionId })
    .sort({ receivedAt: 1 })
    .limit(limit)
    .lean<InboxRecord[]>();
}

/** Events some connection has yet to apply (an indexed count: `$type` on the multikey `pendingFor`). */
export async function countPendingEvents(db: Connection): Promise<number> {
  return countMatching(inboxModel(db), { pendingFor: { $type: 'string' } });
}

/** The connection applied these events. */
export async function markApplied(
  db: Connection,
  connectionId: string,
  eventIds: readonly string[],
): Promise<void> {
  if (eventIds.length === 0) return;
  await inboxModel(db).updateMany({ _id: { $in: [...eventIds] } }, { $pull: { pendingFor: connectionId } });
}
