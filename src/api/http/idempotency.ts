import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { Schema, type Connection, type Model } from 'mongoose';
import { ApiProblem } from './problem';
import type { AuthContext, Reply } from './route';

/**
 * `Idempotency-Key` on POSTs that create things, as Stripe does it: the first request with a key runs and its
 * response is stored; a repeat with the same body gets that response again; the same key with another body is a
 * 422; a repeat while the first still runs is a 409. A 5xx is not stored, so the client may retry it.
 */
interface IdempotencyRecord {
  _id: string;
  requestHash: string;
  state: 'running' | 'done';
  status?: number;
  body?: unknown;
  createdAt: Date;
}

const schema = new Schema<IdempotencyRecord>(
  {
    _id: { type: String, required: true },
    requestHash: { type: String, required: true },
    state: { type: String, enum: ['running', 'done'], required: true },
    status: Number,
    body: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
  },
  { collection: 'idempotency_keys', versionKey: false, minimize: false },
);

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
  try {
    await records.create({ _id, requestHash, state: 'running', createdAt: now });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 11000) throw error;
    const first = await records.findById(_id).lean();
    if (!first) throw new ApiProblem(409, 'idempotency_conflict', 'Retry the request.');
    if (first.requestHash !== requestHash)
      throw new ApiProblem(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request body.',
        'header.Idempotency-Key',
      );
    if (first.state === 'running')
      throw new ApiProblem(
        409,
        'idempotency_conflict',
        'A request with this Idempotency-Key is in progress.',
      );
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
        { $set: { state: 'done', status: error.status, body: error.toJSON() } },
      );
    } else await records.deleteOne({ _id });
    throw error;
  }
  await records.updateOne({ _id }, { $set: { state: 'done', status: reply.status, body: reply.body } });
  return reply;
}
