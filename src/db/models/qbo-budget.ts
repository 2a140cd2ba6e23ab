import { Schema, type Connection, type Model } from 'mongoose';
import type { MinuteCounter } from '../../qbo/budget';
import { isDuplicateKey } from '../claims';

/**
 * One QBO request to a realm in a clock minute: the shared half of the QBO budget. Request `n` of a minute claims
 * `_id` `realm:minute:n` with a unique insert, the one write FerretDB 1.x makes atomic across connections (a
 * shared `$inc` there is read-modify-write and loses counts), so the numbers claimed are exactly the requests made.
 */
interface BudgetSlotRecord {
  _id: string;
  realmId: string;
  minuteStart: Date;
}

const schema = new Schema<BudgetSlotRecord>(
  {
    _id: { type: String, required: true },
    realmId: { type: String, required: true },
    minuteStart: { type: Date, required: true },
  },
  { collection: 'qbo_budget', versionKey: false },
);
schema.index({ realmId: 1, minuteStart: -1 });

export function qboBudgetModel(db: Connection): Model<BudgetSlotRecord> {
  return (
    (db.models.QboBudgetSlot as Model<BudgetSlotRecord> | undefined) ?? db.model('QboBudgetSlot', schema)
  );
}

/** The next slot this process expects to be free, per realm and minute: a hint, the unique key decides. */
const nextSlots = new Map<string, number>();
let prunedMinute = 0;

export function mongoMinuteCounter(db: Connection): MinuteCounter {
  const slots = qboBudgetModel(db);
  return {
    async increment(realmId, minuteStart) {
      const minute = `${realmId}:${minuteStart.toISOString()}`;
      await pruneBefore(minuteStart);
      let slot = nextSlots.get(minute) ?? 1;
      for (let collisions = 0; ; collisions += 1) {
        try {
          await slots.create({ _id: `${minute}:${slot}`, realmId, minuteStart });
          nextSlots.set(minute, slot + 1);
          return slot;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
        // Other workers took this slot: after the first collision, skip to where their count has got to.
        slot =
          collisions === 0
            ? Math.max(slot + 1, (await slots.countDocuments({ realmId, minuteStart })) + 1)
            : slot + 1;
      }
    },
  };

  /** Once a minute, forget the slots of minutes before the last one (health reads this and the last minute). */
  async function pruneBefore(minuteStart: Date): Promise<void> {
    if (prunedMinute >= minuteStart.getTime()) return;
    prunedMinute = minuteStart.getTime();
    for (const key of nextSlots.keys()) if (!key.includes(minuteStart.toISOString())) nextSlots.delete(key);
    await slots.deleteMany({ minuteStart: { $lt: new Date(minuteStart.getTime() - 60_000) } });
  }
}

/** Requests made to a realm in the current and the previous minute (sync health). */
export async function budgetUsed(
  db: Connection,
  realmId: string,
  now: Date,
): Promise<{ thisMinute: number; lastMinute: number }> {
  const minuteStart = now.getTime() - (now.getTime() % 60_000);
  const count = (start: number) =>
    qboBudgetModel(db).countDocuments({ realmId, minuteStart: new Date(start) });
  const [thisMinute, lastMinute] = await Promise.all([count(minuteStart), count(minuteStart - 60_000)]);
  return { thisMinute, lastMinute };
}
