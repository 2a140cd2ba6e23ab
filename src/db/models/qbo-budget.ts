import { Schema, type Connection, type Model } from 'mongoose';
import type { MinuteCounter } from '../../qbo/budget';

/** Requests made to one realm in one clock minute, by every worker: the shared half of the QBO budget. */
interface BudgetMinuteRecord {
  _id: string;
  realmId: string;
  minuteStart: Date;
  count: number;
}

const schema = new Schema<BudgetMinuteRecord>(
  {
    _id: { type: String, required: true },
    realmId: { type: String, required: true },
    minuteStart: { type: Date, required: true },
    count: { type: Number, required: true },
  },
  { collection: 'qbo_budget', versionKey: false },
);
schema.index({ realmId: 1, minuteStart: -1 });

export function qboBudgetModel(db: Connection): Model<BudgetMinuteRecord> {
  return (
    (db.models.QboBudgetMinute as Model<BudgetMinuteRecord> | undefined) ??
    db.model('QboBudgetMinute', schema)
  );
}

export function mongoMinuteCounter(db: Connection): MinuteCounter {
  return {
    async increment(realmId, minuteStart) {
      const updated = await qboBudgetModel(db)
        .findOneAndUpdate(
          { _id: `${realmId}:${minuteStart.toISOString()}` },
          { $inc: { count: 1 }, $setOnInsert: { realmId, minuteStart } },
          { upsert: true, new: true },
        )
        .lean();
      return updated?.count ?? 1;
    },
  };
}

/** Requests made to a realm in the current and the previous minute (sync health). */
export async function budgetUsed(
  db: Connection,
  realmId: string,
  now: Date,
): Promise<{ thisMinute: number; lastMinute: number }> {
  const minuteStart = now.getTime() - (now.getTime() % 60_000);
  const recent = await qboBudgetModel(db)
    .find({ realmId, minuteStart: { $gte: new Date(minuteStart - 60_000) } })
    .lean();
  const count = (start: number) => recent.find((doc) => doc.minuteStart.getTime() === start)?.count ?? 0;
  return { thisMinute: count(minuteStart), lastMinute: count(minuteStart - 60_000) };
}
