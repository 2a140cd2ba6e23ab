import { Schema, type Connection, type Model } from 'mongoose';
import type { MinuteCounter } from '../../qbo/budget';
import { isDuplicateKey } from '../errors';
import { expiresAfterDays, expiresAtIndex } from '../retention';

/**
 * The shared half of the QBO budget: one counter per realm and clock minute, counted with `$inc`, so every
 * connection and every worker that talks to a realm spends from one budget (Intuit counts per realm and app). Kept
 * for a day, which the health report and the console read as the realm's recent use.
 */
interface BudgetMinuteRecord {
  /** `<realmId>:<minute, ISO>` */
  _id: string;
  realmId: string;
  minuteStart: Date;
  count: number;
  expiresAt: Date;
}

const schema = new Schema<BudgetMinuteRecord>(
  {
    _id: { type: String, required: true },
    realmId: { type: String, required: true },
    minuteStart: { type: Date, required: true },
    count: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'qbo_budget', versionKey: false },
);
schema.index({ realmId: 1, minuteStart: -1 });
expiresAtIndex(schema);

export function qboBudgetModel(db: Connection): Model<BudgetMinuteRecord> {
  return (
    (db.models.QboBudgetMinute as Model<BudgetMinuteRecord> | undefined) ??
    db.model('QboBudgetMinute', schema)
  );
}

const keptDays = 1;
const minuteKey = (realmId: string, minuteStart: Date): string => `${realmId}:${minuteStart.toISOString()}`;

export function mongoMinuteCounter(db: Connection): MinuteCounter {
  return {
    async increment(realmId, minuteStart) {
      const update = {
        $inc: { count: 1 },
        $setOnInsert: {
          realmId,
          minuteStart,
          expiresAt: expiresAfterDays(minuteStart, keptDays, minuteStart),
        },
      };
      const filter = { _id: minuteKey(realmId, minuteStart) };
      const options = { upsert: true, new: true, projection: { count: 1 } } as const;
      try {
        return (await qboBudgetModel(db).findOneAndUpdate(filter, update, options).lean()).count;
      } catch (error) {
        // Two first requests of a minute upserted at once and MongoDB let one insert: the other now updates.
        if (!isDuplicateKey(error)) throw error;
        return (await qboBudgetModel(db).findOneAndUpdate(filter, update, options).lean()).count;
      }
    },
  };
}

/** Requests made to a realm per minute over the last `minutes` minutes, oldest first (health and the console). */
export async function budgetHistory(
  db: Connection,
  realmId: string,
  now: Date,
  minutes: number,
): Promise<{ minuteStart: Date; count: number }[]> {
  const currentMinute = now.getTime() - (now.getTime() % 60_000);
  const since = new Date(currentMinute - (minutes - 1) * 60_000);
  const used = await qboBudgetModel(db)
    .find({ realmId, minuteStart: { $gte: since } }, { minuteStart: 1, count: 1 })
    .sort({ minuteStart: 1 })
    .lean();
  return used.map(({ minuteStart, count }) => ({ minuteStart, count }));
}

/** Requests made to a realm in the current and the previous minute (sync health). */
export async function budgetUsed(
  db: Connection,
  realmId: string,
  now: Date,
): Promise<{ thisMinute: number; lastMinute: number }> {
  const currentMinute = now.getTime() - (now.getTime() % 60_000);
  const history = await budgetHistory(db, realmId, now, 2);
  const at = (start: number) => history.find((minute) => minute.minuteStart.getTime() === start)?.count ?? 0;
  return { thisMinute: at(currentMinute), lastMinute: at(currentMinute - 60_000) };
}
