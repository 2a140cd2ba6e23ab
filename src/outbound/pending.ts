import { Schema, type Connection, type Model } from 'mongoose';
import { duplicateKeyIndices } from '../db/bulk';
import type { OutboundEventRecord } from './events';

/**
 * The delivery queue: one small entry per event that still has to go out, so the dispatcher reads pending work and
 * never the whole history in `outbound_events` (on FerretDB any query but `{ _id }` decodes every document).
 *
 * An entry's `_id` is `<accountId>:<event createdAt, ISO>:<eventId>`, so sorting an account's entries by `_id`
 * gives the delivery order (oldest first, then by event id) and storing an event's entry twice is a duplicate key.
 * A redelivery request is an entry of its own (`…:r:<requested at>`): every entry is created by a unique insert and
 * afterwards written only by the account's dispatcher, which updates `dueAt` after a failed attempt and deletes
 * the entries it saw once the event is delivered or given up. An entry is what makes the dispatcher send an event.
 */
export interface PendingDeliveryRecord {
  _id: string;
  accountId: string;
  eventId: string;
  /** When the dispatcher should next try this event. */
  dueAt: Date;
}

const pendingSchema = new Schema<PendingDeliveryRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    eventId: { type: String, required: true },
    dueAt: { type: Date, required: true },
  },
  { collection: 'outbound_pending', versionKey: false },
);
pendingSchema.index({ accountId: 1, _id: 1 });

export function pendingDeliveryModel(db: Connection): Model<PendingDeliveryRecord> {
  return (
    (db.models.OutboundPending as Model<PendingDeliveryRecord> | undefined) ??
    db.model('OutboundPending', pendingSchema)
  );
}

type EventKey = Pick<OutboundEventRecord, '_id' | 'accountId' | 'createdAt'>;

/** The queue entry that sends `event` at `dueAt`; `requestedAt` marks an explicit redelivery request. */
export function pendingEntry(event: EventKey, dueAt: Date, requestedAt?: Date): PendingDeliveryRecord {
  const base = `${event.accountId}:${event.createdAt.toISOString()}:${event._id}`;
  return {
    _id: requestedAt ? `${base}:r:${requestedAt.toISOString()}` : base,
    accountId: event.accountId,
    eventId: event._id,
    dueAt,
  };
}

/** Queues entries; one already there stands (its event is queued either way). */
export async function queueEntries(db: Connection, entries: readonly PendingDeliveryRecord[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    await pendingDeliveryModel(db).collection.insertMany(entries as never[], { ordered: false });
  } catch (error) {
    if (!duplicateKeyIndices(error)) throw error;
  }
}

/** The queue of one account's event: its entries in `_id` order, and when the earliest of them is due. */
export interface QueuedEvent {
  eventId: string;
  entries: PendingDeliveryRecord[];
  dueAt: Date;
}

/** An account's queued events in delivery order. Scans `outbound_pending` only, which holds pending work alone. */
export async function accountQueue(db: Connection, accountId: string): Promise<QueuedEvent[]> {
  const entries = await pendingDeliveryModel(db).find({ accountId }).lean();
  entries.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  const byEvent = new Map<string, QueuedEvent>();
  for (const entry of entries) {
    const queued = byEvent.get(entry.eventId);
    if (!queued) byEvent.set(entry.eventId, { eventId: entry.eventId, entries: [entry], dueAt: entry.dueAt });
    else {
      queued.entries.push(entry);
      if (entry.dueAt < queued.dueAt) queued.dueAt = entry.dueAt;
    }
  }
  return [...byEvent.values()];
}

/** Removes the entries of an event that the dispatcher saw (a request that came later stays queued). */
export async function dequeue(db: Connection, queued: QueuedEvent): Promise<void> {
  const pending = pendingDeliveryModel(db);
  for (const entry of queued.entries) await pending.deleteOne({ _id: entry._id });
}

/** Keeps an event queued for a retry at `dueAt`: its first entry carries the time, any others are dropped. */
export async function reschedule(db: Connection, queued: QueuedEvent, dueAt: Date): Promise<void> {
  const [first, ...rest] = queued.entries;
  if (!first) return;
  await pendingDeliveryModel(db).updateOne({ _id: first._id }, { $set: { dueAt } });
  await dequeue(db, { ...queued, entries: rest });
}
