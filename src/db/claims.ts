import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Exactly-one-winner decisions by unique-key insert. On FerretDB 1.x (SQLite) a conditional update such as
 * `updateOne({ _id, version: 1 }, …)` is not atomic across connections: several concurrent callers all "win"
 * (test/integration/database-semantics.test.ts shows it). Inserting a document whose `_id` names the decision is
 * atomic on FerretDB and MongoDB alike, so every compare-and-set in qbo-sync that must have one winner is a claim.
 */
interface ClaimRecord {
  _id: string;
  holder: string;
  expiresAt: Date;
  createdAt: Date;
}

const claimSchema = new Schema<ClaimRecord>(
  {
    _id: { type: String, required: true },
    holder: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'claims', versionKey: false },
);

export function claimModel(db: Connection): Model<ClaimRecord> {
  return (db.models.Claim as Model<ClaimRecord> | undefined) ?? db.model<ClaimRecord>('Claim', claimSchema);
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/**
 * Takes a lease on `scope` for `ttlMs`, or returns false while someone else holds it. A holder that died leaves its
 * claim to expire; the next generation (`scope#1`, `scope#2`, …) is then up for the taking, so a takeover is itself
 * a unique insert and never needs a delete or an update.
 */
export async function acquireLease(
  claims: Model<ClaimRecord>,
  scope: string,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<boolean> {
  for (let generation = 0; ; generation += 1) {
    const _id = `${scope}#${generation}`;
    try {
      await claims.create({ _id, holder, expiresAt: new Date(now.getTime() + ttlMs), createdAt: now });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const existing = await claims.findById(_id).lean();
    if (existing && existing.expiresAt.getTime() > now.getTime()) return false;
  }
}
