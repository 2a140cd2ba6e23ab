import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { expiresAfterDays, expiresAtIndex } from '../db/retention';
import { reportFreshness } from './freshness';

/**
 * The sync history: every change applied, every conflict and every refusal, per connection and contact. The CRM
 * reads it through `GET /v1/sync-events` and a contact's latest event on the contact itself. Events expire after
 * the retention period, except conflicts still waiting for a person.
 */
export const syncEventKinds = [
  'linked',
  'relinked',
  'unlinked',
  'created',
  'updated_qbo',
  'updated_crm',
  'conflict',
  'rejected',
  'contact_deleted',
  'undone',
  'document_written',
] as const;
export type SyncEventKind = (typeof syncEventKinds)[number];

/**
 * How the engine came to see the change it records (`detail.channel`): the CRM's PUT being pushed (QBO's current
 * version is read then too), Intuit's webhook, a CDC poll, a backfill page, a drift audit, or an undo of ours.
 */
export const syncChannels = ['push', 'webhook', 'cdc_poll', 'backfill', 'audit', 'undo'] as const;
export type SyncChannel = (typeof syncChannels)[number];

export interface SyncEventRecord {
  connectionId: string;
  crmContactId?: string;
  qboCustomerId?: string;
  kind: SyncEventKind;
  fields?: string[];
  detail?: Record<string, unknown>;
  /** For applied changes: from the change on its source side to it landing on the other (freshness). */
  lagMs?: number;
  /** For conflicts: a person decided it (and which value that applied). */
  resolution?: { choice: 'qbo' | 'crm'; at: Date; appliedValue?: string | null };
  at: Date;
  /** Absent while a conflict waits for a person: it is kept until decided. */
  expiresAt?: Date;
  /** For an `undone` event: the event it undid, and the run of the undo that recorded it. */
  undoes?: string;
  undoRun?: string;
  /** The `undone` event that undid this one. */
  undoneBy?: string;
}

export type StoredSyncEvent = SyncEventRecord & { _id: Types.ObjectId };

const syncEventSchema = new Schema<SyncEventRecord>(
  {
    connectionId: { type: String, required: true },
    crmContactId: String,
    qboCustomerId: String,
    kind: { type: String, required: true },
    fields: [String],
    detail: Schema.Types.Mixed,
    lagMs: Number,
    resolution: {
      type: new Schema({ choice: String, at: Date, appliedValue: Schema.Types.Mixed }, { _id: false }),
      required: false,
    },
    at: { type: Date, required: true },
    expiresAt: Date,
    undoes: String,
    undoRun: String,
    undoneBy: String,
  },
  { collection: 'sync_events', versionKey: false },
);
syncEventSchema.index({ connectionId: 1, at: -1 });
syncEventSchema.index({ connectionId: 1, crmContactId: 1, at: -1 });
syncEventSchema.index({ connectionId: 1, kind: 1, at: -1 });
expiresAtIndex(syncEventSchema);

export function syncEventModel(db: Connection): Model<SyncEventRecord> {
  return (
    (db.models.SyncEvent as Model<SyncEventRecord> | undefined) ?? db.model('SyncEvent', syncEventSchema)
  );
}

/** A conflict that waits for a person is kept until decided; everything else for the retention period. */
function waitsForPerson(event: SyncEventRecord): boolean {
  return event.kind === 'conflict' && (event.detail as { applied?: unknown } | undefined)?.applied === null;
}

export async function recordSyncEvents(
  db: Connection,
  events: readonly SyncEventRecord[],
  retentionDays: number,
  storedAt: Date = new Date(),
): Promise<StoredSyncEvent[]> {
  if (events.length === 0) return [];
  const stored = await syncEventModel(db).insertMany(
    events.map((event) =>
      waitsForPerson(event)
        ? event
        : { ...event, expiresAt: expiresAfterDays(event.at, retentionDays, storedAt) },
    ),
  );
  for (const event of events) if (event.lagMs !== undefined) reportFreshness(event.kind, event.lagMs);
  return stored.map((event) => event.toObject() as StoredSyncEvent);
}

/** A contact's latest sync event. */
export async function lastSyncEvent(
  db: Connection,
  connectionId: string,
  crmContactId: string,
): Promise<StoredSyncEvent | null> {
  return syncEventModel(db)
    .findOne({ connectionId, crmContactId })
    .sort({ at: -1, _id: -1 })
    .lean<StoredSyncEvent>();
}

/** Marks a conflict decided, with the value it applied; from then on it expires like any event. */
export async function markConflictResolved(
  db: Connection,
  eventId: Types.ObjectId,
  resolution: { choice: 'qbo' | 'crm'; appliedValue: string | null },
  at: Date,
  retentionDays: number,
): Promise<StoredSyncEvent | null> {
  return syncEventModel(db)
    .findOneAndUpdate(
      { _id: eventId, kind: 'conflict', resolution: { $exists: false } },
      {
        $set: {
          resolution: { ...resolution, at },
          'detail.applied': resolution.choice,
          'detail.appliedValue': resolution.appliedValue,
          expiresAt: expiresAfterDays(at, retentionDays),
        },
      },
      { new: true },
    )
    .lean<StoredSyncEvent>();
}

/** Marks an event undone by `undoneBy`; false when another undo got there first. */
export async function markUndone(
  db: Connection,
  eventId: Types.ObjectId,
  undoneBy: string,
): Promise<boolean> {
  const result = await syncEventModel(db).updateOne(
    { _id: eventId, undoneBy: { $exists: false } },
    { $set: { undoneBy } },
  );
  return result.modifiedCount === 1;
}
