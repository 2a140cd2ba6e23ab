import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from './errors';
import { expiresAtIndex } from './retention';

/**
 * Leases and one-time claims. A lease is one document per scope, taken by a conditional update: free when it does
 * not exist, has expired, or is already ours. A claim (a single-use OAuth state, say) is a document whose `_id`
 * names the decision, inserted once. Both expire by TTL.
 */
interface LeaseRecord {
  _id: string;
  holder: string;
  expiresAt: Date;
}

const leaseSchema = new Schema<LeaseRecord>(
  {
    _id: { type: String, required: true },
    holder: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'leases', versionKey: false },
);
expiresAtIndex(leaseSchema);

export function leaseModel(db: Connection): Model<LeaseRecord> {
  return (db.models.Lease as Model<LeaseRecord> | undefined) ?? db.model<LeaseRecord>('Lease', leaseSchema);
}

/** Takes (or renews) the lease on `scope` for `ttlMs`; false while someone else holds it unexpired. */
export async function acquireLease(
  db: Connection,
  scope: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<boolean> {
  try {
    await leaseModel(db).updateOne(
      { _id: scope, $or: [{ expiresAt: { $lte: now } }, { holder }] },
      { $set: { holder, expiresAt: new Date(now.getTime() + ttlMs) } },
      { upsert: true },
    );
    return true;
  } catch (error) {
    // The lease exists and is someone else's: the upsert's insert collided with it.
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Takes the one-time claim `key` until `expiresAt`; false when it was taken before. */
export async function claimOnce(
  db: Connection,
  key: string,
  holder: string,
  expiresAt: Date,
): Promise<boolean> {
  try {
    await leaseModel(db).create({ _id: key, holder, expiresAt });
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
