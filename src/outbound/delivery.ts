import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { accountModel, webhookSecretBinding } from '../accounts/models';
import { redactUri } from '../logger';
import type { KeyRing } from '../security/encryption';
import { OutboundUrlRefused, type OutboundGuard } from '../security/outbound-url';
import { expiresAfterDays, expiresAtIndex } from '../db/retention';
import { outboundEventModel, type OutboundEventRecord } from './events';
import { signPayload, signatureHeader } from './signing';

/**
 * Delivers an account's outbound events to its webhook endpoint, at least once: the CRM dedupes by
 * `QboSync-Event-Id`. One dispatcher workflow per account runs this, so its events go out in order. What is due is
 * an indexed query on the events themselves (pending, by when due), so a run costs what is pending, not what was
 * ever sent. The API's `redeliver` moves an event back to pending and bumps its delivery generation; an attempt's
 * outcome is written only if the generation it saw is still current, so a redelivery request is never lost.
 */

/** One HTTP attempt, kept as the delivery log the account can read. */
export interface WebhookAttemptRecord {
  _id: Types.ObjectId;
  eventId: string;
  accountId: string;
  at: Date;
  /** Without credentials: a URL's user-info is redacted. */
  url: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
  expiresAt: Date;
}

const attemptSchema = new Schema<WebhookAttemptRecord>(
  {
    eventId: { type: String, required: true },
    accountId: { type: String, required: true },
    at: { type: Date, required: true },
    url: { type: String, required: true },
    statusCode: Number,
    error: String,
    durationMs: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'webhook_attempts', versionKey: false },
);
attemptSchema.index({ accountId: 1, eventId: 1, at: 1 });
expiresAtIndex(attemptSchema);

export function webhookAttemptModel(db: Connection): Model<WebhookAttemptRecord> {
  return (
    (db.models.WebhookAttempt as Model<WebhookAttemptRecord> | undefined) ??
    db.model('WebhookAttempt', attemptSchema)
  );
}

/**
 * Attempts before an event is given up as `failed`: with the schedule below, the last one is made about three
 * days (68.5 h) after the first (15 attempts would stop after 32.5 h).
 */
export const defaultMaxAttempts = 21;

const firstRetryMs = 30_000;
const maxRetryMs = 6 * 60 * 60 * 1000;

/** Wait before the next try after `attempts` failed ones: 30 s doubling to 6 h, ±10% jitter so retries spread. */
export function nextAttemptDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(firstRetryMs * 2 ** Math.max(attempts - 1, 0), maxRetryMs);
  return Math.round(base * (0.9 + 0.2 * random()));
}

export interface DeliverDueOptions {
  db: Connection;
  keyRing: KeyRing;
  /** Every request goes through it: outside development, to public addresses over https only. */
  guard: OutboundGuard;
  accountId: string;
  /** A clock, not an instant: a batch takes time, and each request is signed with the time it is sent. */
  now: () => Date;
  /** Bound on each request, body included. */
  timeoutMs: number;
  batchSize: number;
  maxAttempts?: number;
  /** Jitter source for the retry schedule. */
  random?: () => number;
}

export interface DeliveryOutcome {
  delivered: number;
  /** Attempts in this run that did not get a 2xx (each is retried later or, past the limit, `failed`). */
  failed: number;
  /** When the earliest event still pending is due; absent when nothing is pending. */
  nextDueAt?: string;
}

/** The body the CRM receives; its exact bytes are what is signed. */
export function webhookBody(event: OutboundEventRecord): string {
  return JSON.stringify({
    id: event._id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    accountId: event.accountId,
    connectionId: event.connectionId,
    data: event.data,
  });
}

/** Sends the account's due events, oldest first and one at a time, and records each attempt. */
export async function deliverDue(options: DeliverDueOptions): Promise<DeliveryOutcome> {
  const { db, accountId } = options;
  const events = outboundEventModel(db);
  const account = await accountModel(db).findById(accountId, { webhook: 1 }).lean();
  const webhook = account?.webhook;
  const pending = { accountId, 'delivery.status': 'pending' };
  if (!webhook?.enabled) {
    // Kept for the feed; `redeliver` sends them once the account has an endpoint again.
    await events.updateMany(pending, {
      $set: { 'delivery.status': 'no_endpoint' },
      $unset: { 'delivery.nextAttemptAt': 1 },
    });
    return { delivered: 0, failed: 0 };
  }
  const secret = options.keyRing.open(webhook.secret, webhookSecretBinding(accountId));
  const due = await events
    .find({ ...pending, 'delivery.nextAttemptAt': { $lte: options.now() } })
    .sort({ 'delivery.nextAttemptAt': 1, createdAt: 1, _id: 1 })
    .limit(options.batchSize)
    .lean<OutboundEventRecord[]>();

  let delivered = 0;
  let failed = 0;
  for (const event of due) {
    const ok = await attempt(options, event, webhook.url, secret);
    if (ok) delivered += 1;
    else failed += 1;
  }
  const next = await events
    .findOne(pending, { 'delivery.nextAttemptAt': 1 })
    .sort({ 'delivery.nextAttemptAt': 1 })
    .lean<Pick<OutboundEventRecord, 'delivery'>>();
  const nextDueAt = next?.delivery.nextAttemptAt;
  return { delivered, failed, ...(nextDueAt ? { nextDueAt: nextDueAt.toISOString() } : {}) };
}

/** One POST of one event, its attempt logged; true when the endpoint took it (2xx). */
async function attempt(
  options: DeliverDueOptions,
  event: OutboundEventRecord,
  url: string,
  secret: string,
): Promise<boolean> {
  const body = webhookBody(event);
  const at = options.now();
  const started = performance.now();
  let statusCode: number | undefined;
  let error: string | undefined;
  try {
    const response = await options.guard.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [signatureHeader]: signPayload(secret, body, at),
        'QboSync-Event-Id': event._id,
        'user-agent': 'qbo-sync-webhooks/1',
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    statusCode = response.status;
    // The answer's body is of no use; dropping it frees the connection.
    await response.body?.cancel();
    // A redirect is an answer, not a delivery: following it could send signed events somewhere unintended.
    if (response.status >= 300 && response.status < 400)
      error = `HTTP ${response.status}: redirects are not followed; set the endpoint to the final URL`;
    else if (!response.ok) error = `HTTP ${response.status}`;
  } catch (caught) {
    error = describeFailure(caught, options.timeoutMs);
  }
  const durationMs = Math.round(performance.now() - started);

  await webhookAttemptModel(options.db).create({
    eventId: event._id,
    accountId: event.accountId,
    at,
    url: redactUri(url),
    ...(statusCode !== undefined ? { statusCode } : {}),
    ...(error !== undefined ? { error } : {}),
    durationMs,
    expiresAt: event.expiresAt ?? expiresAfterDays(at, 30),
  });

  const attempts = event.delivery.attempts + 1;
  // Written only if no redelivery was requested meanwhile: that request stands, and the event goes out again.
  const unchanged = {
    _id: event._id,
    'delivery.generation': event.delivery.generation ?? { $exists: false },
  };
  if (error === undefined) {
    await outboundEventModel(options.db).updateOne(unchanged, {
      $set: {
        'delivery.status': 'delivered',
        'delivery.attempts': attempts,
        'delivery.lastAttemptAt': at,
        'delivery.deliveredAt': at,
      },
      $unset: { 'delivery.nextAttemptAt': 1, 'delivery.lastError': 1 },
    });
    return true;
  }
  const givingUp = attempts >= (options.maxAttempts ?? defaultMaxAttempts);
  const retryAt = new Date(at.getTime() + nextAttemptDelayMs(attempts, options.random ?? Math.random));
  await outboundEventModel(options.db).updateOne(
    unchanged,
    givingUp
      ? {
          $set: {
            'delivery.status': 'failed',
            'delivery.attempts': attempts,
            'delivery.lastAttemptAt': at,
            'delivery.lastError': error,
          },
          $unset: { 'delivery.nextAttemptAt': 1 },
        }
      : {
          $set: {
            'delivery.attempts': attempts,
            'delivery.lastAttemptAt': at,
            'delivery.lastError': error,
            'delivery.nextAttemptAt': retryAt,
          },
        },
  );
  return false;
}

/** What went wrong, in words safe to show the account: no headers, and no credentials from the URL. */
function describeFailure(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's DOMException is not always an instance of this realm's Error.
  const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const refusal = [error, cause].find(
    (candidate): candidate is OutboundUrlRefused => candidate instanceof OutboundUrlRefused,
  );
  if (refusal) return `not sent: the endpoint URL ${refusal.message}`;
  const causeMessage = (cause as { message?: unknown } | undefined)?.message;
  const detail = typeof causeMessage === 'string' ? `: ${causeMessage}` : '';
  return redactUri(`${typeof message === 'string' ? message : String(error)}${detail}`);
}

/**
 * Sends an event of this account again as soon as its dispatcher runs (the caller then wakes it): a delivered,
 * failed or endpoint-less event starts a fresh retry series. Without an enabled endpoint the event is left as it is.
 * False when the account has no such event.
 */
export async function redeliver(
  db: Connection,
  accountId: string,
  eventId: string,
  now: Date,
): Promise<boolean> {
  const account = await accountModel(db).findById(accountId, { webhook: 1 }).lean();
  const events = outboundEventModel(db);
  if (!account?.webhook?.enabled) return (await events.exists({ _id: eventId, accountId })) !== null;
  const result = await events.updateOne(
    { _id: eventId, accountId },
    {
      $set: { 'delivery.status': 'pending', 'delivery.attempts': 0, 'delivery.nextAttemptAt': now },
      $inc: { 'delivery.generation': 1 },
    },
  );
  return result.matchedCount === 1;
}

/** An event's delivery log, oldest first; empty for another account's event. */
export async function listAttempts(
  db: Connection,
  accountId: string,
  eventId: string,
): Promise<WebhookAttemptRecord[]> {
  return webhookAttemptModel(db).find({ accountId, eventId }).sort({ at: 1, _id: 1 }).lean();
}
