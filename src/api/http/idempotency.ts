import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../../db/errors';
import { defaultRetention, expiresAfterDays, expiresAtIndex } from '../../db/retention';
import { ApiProblem } from './problem';
import type { AuthContext, Reply } from './route';

/**
 * `Idempotency-Key` on POSTs that create things, as Stripe does it: the first request with a key runs and its
 * response is stored; a repeat with the same body gets that response again; the same key with another body is a
 * 422; a repeat while the first still runs is a 409. A 5xx is not stored, so the client may retry it. A request that
 * died while running (a crashed process) holds its key only for `runningLeaseMs`; then a retry takes it over. Keys
 * are kept for the retention period (24 h by default).
 */
interface IdempotencyRecord {
  _id: string;
  requestHash: string;
  state: 'running' | 'done';
  status?: number;
  body?: unknown;
  createdAt: Date;
  /** While running: when a retry may take the key over, should this request have died. */
  lockedUntil?: Date;
  expiresAt: Date;
}

/** Longer than any request runs (every dependency call is bounded well below this). */
const runningLeaseMs = 60_000;

const schema = new Schema<IdempotencyRecord>(
  {
    _id: { type: String, required: true },
    requestHash: { type: String, required: true },
    state: { type: String, enum: ['running', 'done'], required: true },
    status: Number,
    body: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
    lockedUntil: Date,
    expiresAt: { type: Date, required: true },
  },
  { collection: 'idempotency_keys', versionKey: false, minimize: false },
);
expiresAtIndex(schema);

function idempotencyModel(db: Connection): Model<IdempotencyRecord> {
  return (
    (db.models.IdempotencyKey as Model<IdempotencyRecord> | undefined) ?? db.model('IdempotencyKey', schema)
  );
}

export async function withIdempotency(
  db: Connection,
  auth: AuthContext,
  req: Request,
  run: () => Promise<Reply>,
  now = new Date(),
  retentionHours = defaultRetention.idempotencyHours,
): Promise<Reply & { replayed?: boolean }> {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return run();
  if (key.length === 0 || key.length > 255)
    throw new ApiProblem(400, 'validation_failed', 'must be 1–255 characters', 'header.Idempotency-Key');
  const records = idempotencyModel(db);
  const _id = `${auth.accountId}:${req.method} ${req.path}:${key}`;
  const requestHash = createHash('sha256')
    .update(JSON.stringify(req.body ?? null))
    .digest('hex');
  const lockedUntil = new Date(now.getTime() + runningLeaseMs);
  try {
    await records.create({
      _id,
      requestHash,
      state: 'running',
      createdAt: now,
      lockedUntil,
      expiresAt: expiresAfterDays(now, retentionHours / 24, now),
    });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const first = await records.findById(_id).lean();
    if (!first) throw new ApiProblem(409, 'idempotency_conflict', 'Retry the request.');
    if (first.requestHash !== requestHash)
      throw new ApiProblem(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request body.',
        'header.Idempotency-Key',
      );
    if (first.state === 'running') {
      // The first request died while running: its lease has run out, and this retry takes the key over.
      const takenOver = await records.updateOne(
        { _id, state: 'running', lockedUntil: { $lt: now } },
        { $set: { lockedUntil, createdAt: now } },
      );
      if (takenOver.modifiedCount !== 1)
        throw new ApiProblem(
          409,
          'idempotency_conflict',
          'A request with this Idempotency-Key is in progress.',
          undefined,
          undefined,
          {
            'Retry-After': String(
              Math.ceil(((first.lockedUntil?.getTime() ?? now.getTime()) - now.getTime()) / 1000) || 1,
            ),
          },
        );
    } else
      return {
        status: first.status!,
        ...(first.body !== undefined ? { body: first.body } : {}),
        headers: { 'Idempotent-Replayed': 'true' },
        replayed: true,
      };
  }
  let reply: Reply;
  try {
    reply = await run();
  } catch (error) {
    if (error instanceof ApiProblem && error.status < 500) {
      await records.updateOne(
        { _id },
        { $set: { state: 'done', status: error.status, body: error.toJSON() }, $unset: { lockedUntil: 1 } },
      );
    } else await records.deleteOne({ _id });
    throw error;
  }
  await records.updateOne(
    { _id },
    { $set: { state: 'done', status: reply.status, body: reply.body }, $unset: { lockedUntil: 1 } },
  );
  return reply;
}
