import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../db/claims';
import type { EntityEvent, UnreadableEvent } from './notifications';

/**
 * The durable inbox for Intuit's webhook events. A delivery is acknowledged only once its events are stored here;
 * the `_id` (realm + event id) makes redeliveries and duplicates a no-op, atomically, on MongoDB and FerretDB.
 * The inbox is the log of what arrived and is only ever inserted into. The work still to do is in
 * `webhook_pending` (same `_id`s), which the connection workflow drains and empties, so finding a realm's waiting
 * events costs what is waiting, not everything that ever arrived.
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
}

interface DeadLetterRecord {
  realmId?: string;
  reason: string;
  raw: unknown;
  receivedAt: Date;
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
  },
  { collection: 'webhook_inbox', versionKey: false },
);

const pendingSchema = inboxSchema.clone();
pendingSchema.set('collection', 'webhook_pending');
pendingSchema.index({ realmId: 1, receivedAt: 1 });

const deadLetterSchema = new Schema<DeadLetterRecord>(
  {
    realmId: String,
    reason: { type: String, required: true },
    raw: Schema.Types.Mixed,
    receivedAt: { type: Date, required: true },
  },
  { collection: 'webhook_dead_letters', versionKey: false },
);

export function inboxModel(db: Connection): Model<InboxRecord> {
  return (
    (db.models.WebhookInbox as Model<InboxRecord> | undefined) ??
    db.model<InboxRecord>('WebhookInbox', inboxSchema)
  );
}

/** Events stored and not yet applied: what `drainInbox` reads, and deletes once applied. */
export function pendingEventModel(db: Connection): Model<InboxRecord> {
  return (
    (db.models.WebhookPending as Model<InboxRecord> | undefined) ??
    db.model<InboxRecord>('WebhookPending', pendingSchema)
  );
}

export function deadLetterModel(db: Connection): Model<DeadLetterRecord> {
  return (
    (db.models.WebhookDeadLetter as Model<DeadLetterRecord> | undefined) ??
    db.model<DeadLetterRecord>('WebhookDeadLetter', deadLetterSchema)
  );
}

/**
 * Stores new events and dead letters; returns the events that were new. Duplicates are skipped one by one, so one
 * event already seen never stops the others in the delivery from being stored. Any other failure throws, and the
 * caller answers 5xx so that Intuit delivers again.
 */
export async function storeDelivery(
  db: Connection,
  events: EntityEvent[],
  unreadable: UnreadableEvent[],
  receivedAt: Date,
): Promise<EntityEvent[]> {
  const inbox = inboxModel(db);
  const pending = pendingEventModel(db);
  const fresh: EntityEvent[] = [];
  for (const event of events) {
    const record: InboxRecord = {
      _id: `${event.realmId}:${event.eventId}`,
      realmId: event.realmId,
      entity: event.entity,
      entityId: event.entityId,
      operation: event.operation,
      occurredAt: new Date(event.occurredAt),
      ...(event.deletedId ? { deletedId: event.deletedId } : {}),
      receivedAt,
    };
    try {
      await inbox.create(record);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      continue;
    }
    try {
      await pending.create(record);
    } catch (error) {
      if (!isDuplicateKey(error)) {
        // Unrecorded, so that Intuit's redelivery of this refused delivery stores the event again.
        await inbox.deleteOne({ _id: record._id }).catch(() => undefined);
        throw error;
      }
    }
    fresh.push(event);
  }
  if (unreadable.length > 0) {
    await deadLetterModel(db).insertMany(unreadable.map(({ reason, raw }) => ({ reason, raw, receivedAt })));
  }
  return fresh;
}
