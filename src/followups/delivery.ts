// Delivering pending follow-ups, to the CRM as an outbox event and by email; engine.ts plans and cancels them.
import { accountModel, type AccountRecord } from '../accounts/models';
import { isDuplicateKey } from '../db/errors';
import type { ConnectionRecord } from '../db/models/connection';
import { isDeliverableAddress, type Mailer, type SendOutcome } from '../email/mailer';
import { eventId, recordEvents } from '../outbound/events';
import { isLive, type LiveTransactionView } from '../sync/transactions';
import { formatQboDateTime } from '../time/zoned-time';
import {
  emailSendModel,
  emailSuppressionModel,
  followUpModel,
  suppressionKey,
  type ChannelResult,
  type EmailSendRecord,
  type FollowUpHistoryEntry,
  type FollowUpRecord,
  type SkipReason,
} from './models';
import { isQuietHour, type FollowUpPolicy } from './policy';
import { cancelReason, dueFollowUp, type DueFollowUp } from './stages';
import { fillLinkTemplate, renderFollowUpEmail } from './templates';
import { hasOptedOut, unsubscribeHeaders, type UnsubscribeSettings } from './unsubscribe';
import {
  activeConnection,
  cancel,
  companyDay,
  customersOf,
  documentOf,
  dueFields,
  loadPolicy,
  viewsOf,
  type Customer,
  type FollowUpRun,
} from './engine';

/** Email attempts per follow-up when the server never took the message (down, 4xx). */
const maxEmailAttempts = 3;

/** Who a follow-up email is from: the policy's sender name, else the company's, else the CRM account's. */
export function emailSenderName(
  policy: Pick<FollowUpPolicy, 'email'>,
  connection: { companyName?: string | undefined },
  account: { name: string } | null | undefined,
): string {
  return policy.email.senderName ?? connection.companyName ?? account?.name ?? 'Accounts';
}

export interface DeliveryResult {
  delivered: number;
  cancelled: number;
  /** Outbox events stored by this batch: the CRM's dispatcher needs waking when there are any. */
  eventsRecorded: number;
  /** Quiet hours in the company's zone: nothing was delivered. */
  quiet: boolean;
  /** Set when the batch was full: pass as `after` for the next one. */
  next?: string;
}

interface DeliveryContext {
  run: FollowUpRun;
  connection: ConnectionRecord;
  account: Pick<AccountRecord, 'name' | 'webhook'> | null;
  policy: FollowUpPolicy;
  today: string;
  mailer?: Mailer;
  unsubscribe?: UnsubscribeSettings;
  /** How long an attempt still marked `sending` may be in flight on another worker. */
  inFlightMs: number;
}

interface ChannelStep {
  result: ChannelResult;
  history: FollowUpHistoryEntry[];
  eventsRecorded?: number;
}

const isFinal = (result: ChannelResult | undefined): boolean =>
  result !== undefined && result.status !== 'retrying';

/**
 * Where the email sends the customer: QBO's own payment page for an invoice that takes online payment, otherwise
 * the policy's link template filled for the document (or nowhere).
 */
function emailLink(
  document: FollowUpRecord['document'],
  realmId: string,
  template: string | undefined,
): { link?: string } {
  if (document.paymentLink !== undefined) return { link: document.paymentLink };
  if (template === undefined) return {};
  return {
    link: fillLinkTemplate(template, {
      realmId,
      type: document.type,
      id: document.qboId,
      ...(document.number !== undefined && { number: document.number }),
    }),
  };
}

/**
 * Delivers up to `limit` pending follow-ups (by id, after `after`) on the policy's channels. A document that is no
 * longer due is cancelled instead. A follow-up becomes `sent` once every enabled channel has a final result.
 */
export async function deliverFollowUps(
  run: FollowUpRun,
  options: {
    mailer?: Mailer;
    /** Signs each email's unsubscribe link; without them, emails carry none. */
    unsubscribe?: UnsubscribeSettings;
    after?: string;
    limit: number;
  },
): Promise<DeliveryResult> {
  const { db, connectionId } = run;
  const result: DeliveryResult = { delivered: 0, cancelled: 0, eventsRecorded: 0, quiet: false };
  const connection = await activeConnection(db, connectionId);
  if (!connection) return result;
  const policy = await loadPolicy(db, connectionId);
  const localHour = Number(formatQboDateTime(run.asOf, policy.timeZone).slice(11, 13));
  if (isQuietHour(policy, localHour)) return { ...result, quiet: true };

  const batch = await followUpModel(db)
    .find({
      connectionId,
      status: 'pending',
      ...(options.after !== undefined && { _id: { $gt: options.after } }),
    })
    .sort({ _id: 1 })
    .limit(options.limit)
    .lean();
  if (batch.length === 0) return result;
  const context: DeliveryContext = {
    run,
    connection,
    account: await accountModel(db).findById(connection.accountId, { name: 1, webhook: 1 }).lean(),
    policy,
    today: companyDay(run.asOf, policy),
    ...(options.mailer !== undefined && { mailer: options.mailer }),
    ...(options.unsubscribe !== undefined && { unsubscribe: options.unsubscribe }),
    // Twice the send bound leaves room for clock skew between workers.
    inFlightMs: 2 * (options.mailer?.timeoutMs ?? 0),
  };
  const views = await viewsOf(db, batch);
  const customers = await customersOf(
    db,
    connectionId,
    [...views.values()].flatMap((found) => (found.customerQboId === undefined ? [] : [found.customerQboId])),
  );

  for (const followUp of batch) {
    const found = views.get(followUp._id);
    // Checked again right before sending: the document may have been paid since the follow-up was planned.
    const reason = cancelReason(found?.view ?? null, followUp.stage, policy, context.today);
    const due = found && isLive(found.view) ? dueFollowUp(found.view, policy, context.today) : null;
    if (reason !== null || found === undefined || !isLive(found.view) || due === null) {
      if (await cancel(db, followUp, reason ?? 'deleted', run.now())) result.cancelled += 1;
      continue;
    }
    const customer = found.customerQboId === undefined ? undefined : customers.get(found.customerQboId);
    if (await deliverOne(context, followUp, { view: found.view, due }, customer, result))
      result.delivered += 1;
  }
  return { ...result, ...(batch.length === options.limit && { next: batch[batch.length - 1]!._id }) };
}

/** One follow-up on each enabled channel; true when it is now `sent`. */
async function deliverOne(
  context: DeliveryContext,
  stored: FollowUpRecord,
  { view, due }: { view: LiveTransactionView; due: DueFollowUp },
  customer: Customer | undefined,
  totals: DeliveryResult,
): Promise<boolean> {
  const { db } = context.run;
  // The document as it stands now: an email states today's balance, not the one at planning time.
  const followUp: FollowUpRecord = {
    ...stored,
    document: documentOf(view),
    ...dueFields(due),
    ...(customer?.name !== undefined && { customerName: customer.name }),
    ...(customer?.crmContactId !== undefined && { crmContactId: customer.crmContactId }),
  };
  const channels = { ...followUp.channels };
  const history: FollowUpHistoryEntry[] = [];
  if (context.policy.channels.crm && !isFinal(channels.crm)) {
    const step = await deliverToCrm(context, followUp);
    channels.crm = step.result;
    history.push(...step.history);
    totals.eventsRecorded += step.eventsRecorded ?? 0;
  }
  if (context.policy.channels.email && !isFinal(channels.email)) {
    const step = await deliverByEmail(context, followUp, customer);
    if (step) {
      channels.email = step.result;
      history.push(...step.history);
    }
  }
  const at = context.run.now();
  const followUps = followUpModel(db);
  await followUps.updateOne(
    { _id: followUp._id },
    {
      $set: {
        document: followUp.document,
        ...dueFields(due),
        ...(followUp.customerName !== undefined && { customerName: followUp.customerName }),
        ...(followUp.crmContactId !== undefined && { crmContactId: followUp.crmContactId }),
        ...(channels.crm !== undefined && { 'channels.crm': channels.crm }),
        ...(channels.email !== undefined && { 'channels.email': channels.email }),
        updatedAt: at,
      },
      ...(history.length > 0 && { $push: { history: { $each: history } } }),
    },
  );
  const done =
    (!context.policy.channels.crm || isFinal(channels.crm)) &&
    (!context.policy.channels.email || isFinal(channels.email));
  if (!done) return false;
  // Only a pending one moves on: a follow-up completed or dismissed meanwhile keeps the CRM user's decision.
  const moved = await followUps.updateOne(
    { _id: followUp._id, status: 'pending' },
    { $set: { status: 'sent', sentAt: at, updatedAt: at } },
  );
  return moved.modifiedCount === 1;
}

/** What the CRM receives in `followup.created`. */
function followUpEventData(followUp: FollowUpRecord): Record<string, unknown> {
  return {
    id: followUp._id,
    kind: followUp.kind,
    stage: followUp.stage,
    dueOn: followUp.dueOn,
    ...dueFields(followUp),
    document: followUp.document,
    qboCustomerId: followUp.qboCustomerId ?? null,
    crmContactId: followUp.crmContactId ?? null,
    customerName: followUp.customerName ?? null,
  };
}

async function deliverToCrm(context: DeliveryContext, followUp: FollowUpRecord): Promise<ChannelStep> {
  const at = context.run.now();
  const draft = {
    accountId: followUp.accountId,
    connectionId: followUp.connectionId,
    type: 'followup.created' as const,
    // The follow-up's own dedupe key: however often this runs, the CRM gets one event.
    dedupeKey: followUp._id,
    ...(followUp.crmContactId !== undefined && { crmContactId: followUp.crmContactId }),
    ...(followUp.qboCustomerId !== undefined && { qboCustomerId: followUp.qboCustomerId }),
    data: followUpEventData(followUp),
  };
  const stored = await recordEvents(context.run.db, [draft], {
    hasEndpoint: context.account?.webhook?.enabled === true,
    now: at,
  });
  const id = eventId(draft);
  return {
    result: { status: 'recorded', at, eventId: id },
    history: stored.length > 0 ? [{ at, action: 'crm_recorded', eventId: id }] : [],
    eventsRecorded: stored.length,
  };
}

function skipped(at: Date, detail: string, to?: string, reason?: SkipReason): ChannelStep {
  const fields = { detail, ...(to !== undefined && { to }), ...(reason !== undefined && { reason }) };
  return {
    result: { status: 'skipped', at, ...fields },
    history: [{ at, action: 'email_skipped', ...fields }],
  };
}

/** The channel result an attempt record stands for. */
function attemptResult(attempt: EmailSendRecord, at: Date, attempts: number): ChannelStep {
  const base = {
    at,
    to: attempt.to,
    attempts,
    ...(attempt.messageId !== undefined && { messageId: attempt.messageId }),
  };
  if (attempt.status === 'sent') {
    return {
      result: { ...base, status: 'sent' },
      history: [
        {
          at,
          action: 'email_sent',
          to: attempt.to,
          ...(attempt.messageId && { messageId: attempt.messageId }),
        },
      ],
    };
  }
  const detail = attempt.error ?? 'unknown error';
  if (attempt.status === 'bounced') {
    return {
      result: { ...base, status: 'bounced', detail },
      history: [{ at, action: 'email_bounced', to: attempt.to, detail }],
    };
  }
  const again = attempt.retryable === true && attempts < maxEmailAttempts;
  return {
    result: { ...base, status: again ? 'retrying' : 'failed', detail },
    history: [{ at, action: 'email_failed', to: attempt.to, detail }],
  };
}

/**
 * Emails the customer, at most once: each attempt is claimed by inserting `<follow-up>#<n>` before SMTP sees the
 * message, and only an attempt the server surely never took is followed by another. Null when another worker holds
 * the current attempt.
 */
async function deliverByEmail(
  context: DeliveryContext,
  followUp: FollowUpRecord,
  customer: Customer | undefined,
): Promise<ChannelStep | null> {
  const { db } = context.run;
  const at = context.run.now();
  const address = customer?.email;
  if (address === undefined) return skipped(at, 'the customer has no email address');
  const suppressed = await emailSuppressionModel(db).exists({
    _id: suppressionKey(followUp.accountId, address),
  });
  if (suppressed) return skipped(at, 'an earlier email to this address bounced', address);
  if (
    followUp.qboCustomerId !== undefined &&
    (await hasOptedOut(db, followUp.connectionId, followUp.qboCustomerId))
  )
    return skipped(at, 'the customer unsubscribed from reminder emails', address, 'opted_out');
  const mailer = context.mailer;
  if (mailer === undefined) return skipped(at, 'email is not configured on this worker', address);

  const sends = emailSendModel(db);
  const attempts = await sends.find({ followUpId: followUp._id }).sort({ attempt: 1 }).lean();
  const last = attempts[attempts.length - 1];
  if (last?.status === 'sending') {
    if (at.getTime() - last.createdAt.getTime() < context.inFlightMs) return null;
    // Its worker died mid-send: the server may have the message, so it is not sent again.
    const error = 'interrupted mid-send; the outcome is unknown, so it is not sent again';
    await sends.updateOne(
      { _id: last._id, status: 'sending' },
      { $set: { status: 'failed', retryable: false, error, finishedAt: at } },
    );
    return attemptResult({ ...last, status: 'failed', retryable: false, error }, at, attempts.length);
  }
  if (last !== undefined) {
    const outcome = attemptResult(last, at, attempts.length);
    if (outcome.result.status !== 'retrying') return outcome;
  }

  const senderName = emailSenderName(context.policy, context.connection, context.account);
  const rendered = renderFollowUpEmail({
    kind: followUp.kind,
    senderName,
    customerName: followUp.customerName ?? null,
    document: followUp.document,
    ...dueFields(followUp),
    ...emailLink(followUp.document, context.connection.realmId, context.policy.email.linkTemplate),
    locale: context.policy.email.locale,
  });
  const attempt = attempts.length;
  const claim: EmailSendRecord = {
    _id: `${followUp._id}#${attempt}`,
    followUpId: followUp._id,
    attempt,
    accountId: followUp.accountId,
    connectionId: followUp.connectionId,
    to: address,
    from: mailer.fromAddress,
    subject: rendered.subject,
    status: 'sending',
    createdAt: at,
  };
  try {
    await sends.create(claim);
  } catch (error) {
    if (isDuplicateKey(error)) return null;
    throw error;
  }

  const outcome: SendOutcome = isDeliverableAddress(address)
    ? await mailer.send({
        fromName: senderName,
        to: address,
        ...(context.policy.email.replyTo !== undefined && { replyTo: context.policy.email.replyTo }),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        headers: {
          'X-QboSync-FollowUp': followUp._id,
          ...(context.unsubscribe !== undefined &&
            followUp.qboCustomerId !== undefined &&
            unsubscribeHeaders(
              context.unsubscribe,
              {
                accountId: followUp.accountId,
                connectionId: followUp.connectionId,
                qboCustomerId: followUp.qboCustomerId,
                email: address,
              },
              at.getTime(),
            )),
        },
      })
    : { status: 'bounced', error: `"${address}" is not a deliverable email address` };
  const finishedAt = context.run.now();
  const finished: EmailSendRecord = {
    ...claim,
    status: outcome.status,
    finishedAt,
    ...(outcome.status === 'sent' && { messageId: outcome.messageId, response: outcome.response }),
    ...(outcome.status !== 'sent' && { error: outcome.error }),
    ...(outcome.status === 'failed' && { retryable: outcome.retryable }),
    ...(outcome.status === 'bounced' && { bouncedAt: finishedAt }),
  };
  await sends.replaceOne({ _id: claim._id }, finished);
  if (outcome.status === 'bounced') {
    try {
      await emailSuppressionModel(db).create({
        _id: suppressionKey(followUp.accountId, address),
        accountId: followUp.accountId,
        address: address.toLowerCase(),
        reason: outcome.error,
        followUpId: followUp._id,
        at: finishedAt,
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  return attemptResult(finished, finishedAt, attempt + 1);
}
