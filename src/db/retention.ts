import type { Connection, Schema } from 'mongoose';

/**
 * Retention. Every collection that grows gives each document an `expiresAt` (or none, to keep it: an unresolved
 * conflict, say) and a TTL index on it, so MongoDB and the embedded server delete what has expired by themselves.
 * Where a server accepts TTL indexes but never expires anything, `sweepExpired` does the same job; the worker runs it
 * every hour. How long each kind of record lives is a setting (`RetentionSettings`, from the environment).
 */
export function expiresAtIndex(schema: Schema): void {
  schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
}

export interface RetentionSettings {
  /** Sync history the CRM can read (`GET /v1/sync-events`); unresolved conflicts are kept until decided. */
  syncEventDays: number;
  /** Events for the CRM and their delivery log. */
  outboundEventDays: number;
  /** Intuit's webhook deliveries, once applied (CDC covers 30 days should one be missed). */
  webhookInboxDays: number;
  /** `Idempotency-Key` replays. */
  idempotencyHours: number;
  /** Previews of a first sync or a mapping change (`POST /v1/connections/{id}/previews`), applied or not. */
  previewHours: number;
}

export const defaultRetention: RetentionSettings = {
  syncEventDays: 90,
  outboundEventDays: 30,
  webhookInboxDays: 7,
  idempotencyHours: 24,
  previewHours: 72,
};

const dayMs = 86_400_000;

/**
 * When a record about a moment `from`, stored at `storedAt`, expires: the retention counts from whichever is later, so
 * a record about the past (a replayed change, an imported one) is still kept its full time once stored.
 */
export function expiresAfterDays(from: Date, days: number, storedAt: Date = new Date()): Date {
  return new Date(Math.max(from.getTime(), storedAt.getTime()) + days * dayMs);
}

/**
 * Deletes what has expired in every collection with an `expiresAt` index, as a TTL monitor would; returns how many
 * documents went, per collection.
 */
export async function sweepExpired(db: Connection, now: Date): Promise<Record<string, number>> {
  const database = db.db;
  if (!database) throw new Error('MongoDB connection is not open');
  const swept: Record<string, number> = {};
  for (const { name } of await database.listCollections({}, { nameOnly: true }).toArray()) {
    if (name.startsWith('system.')) continue;
    const collection = database.collection(name);
    const indexes = await collection.indexes();
    if (!indexes.some((index) => Object.keys(index.key).join() === 'expiresAt')) continue;
    const { deletedCount } = await collection.deleteMany({ expiresAt: { $lt: now } });
    if (deletedCount > 0) swept[name] = deletedCount;
  }
  return swept;
}
