// Delivering pending follow-ups, to the CRM as an outbox event and by email; engine.ts plans and cancels them.
import { accountModel, type AccountRecord } from '../accounts/models';
import { isDuplicateKey } from '../db/errors';
import type { ConnectionRecord } from '../db/models/connection';
import { isDeliverableAddress, type Mailer, type OutgoingEmail, type SendOutcome } from '../email/mailer';
import { eventId, recordEvents } from '../outbound/events';
import { isLive, type LiveTransactionView, type TransactionView } from '../sync/transactions';
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
import { cancelReason, digestId, dueFollowUp, type DueFollowUp } from './stages';
import { fillLinkTemplate, renderDigestEmail, renderFollowUpEmail } from './templates';
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

/** How a follow-up's email channel is settled: by an email of its own, or by its customer's digest. */
type EmailChannel =
  { by: 'own'; customer: Customer | undefined } | { by: 'digest'; step: ChannelStep | null };

const isFinal = (result: ChannelResult | undefined): boolean =>
  result !== undefined && result.status !== 'retrying';

/**
 * Where the customer pays or views a document: QBO's own payment page for an invoice that takes online payment,
 * otherwise the policy's link template filled for the document (or nowhere).
 */
export function documentLink(
  document: Pick<FollowUpRecord['document'], 'type' | 'qboId' | 'number' | 'paymentLink'>,
  realmId: string,
  template: string | undefined,
): string | undefined {
  if (document.paymentLink !== undefined) return document.paymentLink;
  if (template === undefined) return undefined;
  return fillLinkTemplate(template, {
    realmId,
    type: document.type,
    id: document.qboId,
    ...(document.number !== undefined && { number: document.number }),
  });
}

/** Whether a follow-up's email goes in its customer's digest rather than out on its own. */
function inDigest(
  policy: FollowUpPolicy,
  followUp: FollowUpRecord,
): followUp is FollowUpRecord & { qboCustomerId: string } {
  return (
    policy.email.delivery === 'digest' &&
    policy.channels.email &&
    followUp.kind === 'invoice_overdue' &&
    followUp.qboCustomerId !== undefined
  );
}

/**
 * Delivers up to `limit` pending follow-ups (by id, after `after`) on the policy's channels. A document that is no
 * longer due is cancelled instead. A follow-up becomes `sent` once every enabled channel has a final result. With
 * digests on, a customer's overdue invoices are delivered together, when the first of them comes up.
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

  const digests = new Set<string>();
  for (const followUp of batch) {
    if (inDigest(policy, followUp)) {
      digests.add(followUp.qboCustomerId);
      continue;
    }
    const found = views.get(followUp._id);
    const current = await stillDue(context, followUp, found?.view, result);
    if (current === null) continue;
    const customer = found?.customerQboId === undefined ? undefined : customers.get(found.customerQboId);
    const followUpNow = refreshed(followUp, current, customer);
    if (await deliverOne(context, followUpNow, current.due, { by: 'own', customer }, result))
      result.delivered += 1;
  }
  for (const qboCustomerId of digests)
    result.delivered += await deliverDigest(context, qboCustomerId, result);
  return { ...result, ...(batch.length === options.limit && { next: batch[batch.length - 1]!._id }) };
}

/**
 * Checked again right before sending, since the document may have been paid since the follow-up was planned: the
 * document and stage when still due, otherwise null, the follow-up cancelled.
 */
async function stillDue(
  context: DeliveryContext,
  followUp: FollowUpRecord,
  view: TransactionView | undefined,
  totals: DeliveryResult,
): Promise<{ view: LiveTransactionView; due: DueFollowUp } | null> {
  const reason = cancelReason(view ?? null, followUp.stage, context.policy, context.today);
  const due = view !== undefined && isLive(view) ? dueFollowUp(view, context.policy, context.today) : null;
  if (reason === null && view !== undefined && isLive(view) && due !== null) return { view, due };
  if (await cancel(context.run.db, followUp, reason ?? 'deleted', context.run.now())) totals.cancelled += 1;
  return null;
}

/** The document as it stands now: an email states today's balance, not the one at planning time. */
function refreshed(
  stored: FollowUpRecord,
  { view, due }: { view: LiveTransactionView; due: DueFollowUp },
  customer: Customer | undefined,
): FollowUpRecord {
  return {
    ...stored,
    document: documentOf(view),
    ...dueFields(due),
    ...(customer?.name !== undefined && { customerName: customer.name }),
    ...(customer?.crmContactId !== undefined && { crmContactId: customer.crmContactId }),
  };
}

/**
 * A customer's pending overdue reminders, all of them (not just this batch's), in one email; each still reaches
 * the CRM on its own. True per follow-up now `sent`, counted.
 */
async function deliverDigest(
  context: DeliveryContext,
  qboCustomerId: string,
  totals: DeliveryResult,
): Promise<number> {
  const { db, connectionId } = context.run;
  const pending = await followUpModel(db)
    .find({ connectionId, qboCustomerId, status: 'pending', kind: 'invoice_overdue' })
    .sort({ _id: 1 })
    .lean();
  const views = await viewsOf(db, pending);
  const customer = (await customersOf(db, connectionId, [qboCustomerId])).get(qboCustomerId);
  const due: { followUp: FollowUpRecord; due: DueFollowUp }[] = [];
  for (const stored of pending) {
    const current = await stillDue(context, stored, views.get(stored._id)?.view, totals);
    if (current !== null) due.push({ followUp: refreshed(stored, current, customer), due: current.due });
  }
  const steps = await emailDigest(
    context,
    qboCustomerId,
    customer,
    due.map(({ followUp }) => followUp).filter((followUp) => !isFinal(followUp.channels.email)),
  );
  let delivered = 0;
  for (const { followUp, due: stage } of due) {
    const email: EmailChannel = { by: 'digest', step: steps.get(followUp._id) ?? null };
    if (await deliverOne(context, followUp, stage, email, totals)) delivered += 1;
  }
  return delivered;
}

/** One follow-up on each enabled channel; true when it is now `sent`. */
async function deliverOne(
  context: DeliveryContext,
  followUp: FollowUpRecord,
  due: DueFollowUp,
  email: EmailChannel,
  totals: DeliveryResult,
): Promise<boolean> {
  const { db } = context.run;
  const channels = { ...followUp.channels };
  const history: FollowUpHistoryEntry[] = [];
  if (context.policy.channels.crm && !isFinal(channels.crm)) {
    const digest = email.by === 'digest' ? email.step?.result.digestId : undefined;
    const step = await deliverToCrm(context, followUp, digest);
    channels.crm = step.result;
    history.push(...step.history);
    totals.eventsRecorded += step.eventsRecorded ?? 0;
  }
  if (context.policy.channels.email && !isFinal(channels.email)) {
    const step = email.by === 'own' ? await deliverByEmail(context, followUp, email.customer) : email.step;
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
function followUpEventData(followUp: FollowUpRecord, digest: string | undefined): Record<string, unknown> {
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
    ...(digest !== undefined && { digestId: digest }),
  };
}

async function deliverToCrm(
  context: DeliveryContext,
  followUp: FollowUpRecord,
  digest: string | undefined,
): Promise<ChannelStep> {
  const at = context.run.now();
  const draft = {
    accountId: followUp.accountId,
    connectionId: followUp.connectionId,
    type: 'followup.created' as const,
    // The follow-up's own dedupe key: however often this runs, the CRM gets one event.
    dedupeKey: followUp._id,
    ...(followUp.crmContactId !== undefined && { crmContactId: followUp.crmContactId }),
    ...(followUp.qboCustomerId !== undefined && { qboCustomerId: followUp.qboCustomerId }),
    data: followUpEventData(followUp, digest),
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
  const sentAs = {
    ...(attempt.messageId !== undefined && { messageId: attempt.messageId }),
    ...(attempt.digestId !== undefined && { digestId: attempt.digestId }),
  };
  const base = { at, to: attempt.to, attempts, ...sentAs };
  if (attempt.status === 'sent') {
    return {
      result: { ...base, status: 'sent' },
      history: [{ at, action: 'email_sent', to: attempt.to, ...sentAs }],
    };
  }
  const detail = attempt.error ?? 'unknown error';
  if (attempt.status === 'bounced') {
    return {
      result: { ...base, status: 'bounced', detail },
      history: [{ at, action: 'email_bounced', to: attempt.to, detail, ...sentAs }],
    };
  }
  const again = attempt.retryable === true && attempts < maxEmailAttempts;
  return {
    result: { ...base, status: again ? 'retrying' : 'failed', detail },
    history: [{ at, action: 'email_failed', to: attempt.to, detail, ...sentAs }],
  };
}

/** Where a customer's email goes, or why none does. */
async function recipientOf(
  context: DeliveryContext,
  qboCustomerId: string | undefined,
  customer: Customer | undefined,
): Promise<{ address: string; mailer: Mailer } | { skip: ChannelStep }> {
  const { db } = context.run;
  const at = context.run.now();
  const address = customer?.email;
  if (address === undefined) return { skip: skipped(at, 'the customer has no email address') };
  const suppressed = await emailSuppressionModel(db).exists({
    _id: suppressionKey(context.connection.accountId, address),
  });
  if (suppressed) return { skip: skipped(at, 'an earlier email to this address bounced', address) };
  if (qboCustomerId !== undefined && (await hasOptedOut(db, context.run.connectionId, qboCustomerId)))
    return { skip: skipped(at, 'the customer unsubscribed from reminder emails', address, 'opted_out') };
  const mailer = context.mailer;
  if (mailer === undefined) return { skip: skipped(at, 'email is not configured on this worker', address) };
  return { address, mailer };
}

/**
 * A follow-up's earlier email attempts: a final outcome (nothing more is sent), one still in flight on another
 * worker, or the number of the attempt to make now. An attempt whose worker died mid-send is closed as failed, since
 * the server may have the message.
 */
async function earlierAttempts(
  context: DeliveryContext,
  followUpId: string,
): Promise<{ outcome: ChannelStep } | 'in-flight' | { next: number }> {
  const sends = emailSendModel(context.run.db);
  const at = context.run.now();
  const attempts = await sends.find({ followUpId }).sort({ attempt: 1 }).lean();
  const last = attempts[attempts.length - 1];
  if (last?.status === 'sending') {
    if (at.getTime() - last.createdAt.getTime() < context.inFlightMs) return 'in-flight';
    const error = 'interrupted mid-send; the outcome is unknown, so it is not sent again';
    await sends.updateOne(
      { _id: last._id, status: 'sending' },
      { $set: { status: 'failed', retryable: false, error, finishedAt: at } },
    );
    return {
      outcome: attemptResult({ ...last, status: 'failed', retryable: false, error }, at, attempts.length),
    };
  }
  if (last !== undefined) {
    const outcome = attemptResult(last, at, attempts.length);
    if (outcome.result.status !== 'retrying') return { outcome };
  }
  return { next: attempts.length };
}

const attemptId = (followUpId: string, attempt: number): string => `${followUpId}#${attempt}`;

/**
 * Claims every attempt or none: inserted one by one in id order, so two workers after overlapping sets meet at the
 * first attempt they share and one stops there, releasing what it took. A released attempt was never sent.
 */
async function claimAll(context: DeliveryContext, claims: EmailSendRecord[]): Promise<boolean> {
  const sends = emailSendModel(context.run.db);
  const taken: string[] = [];
  for (const claim of [...claims].sort((a, b) => (a._id < b._id ? -1 : 1))) {
    try {
      await sends.create(claim);
      taken.push(claim._id);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await sends.deleteMany({ _id: { $in: taken }, status: 'sending' });
      return false;
    }
  }
  return true;
}

/**
 * Hands a message whose attempts are claimed to SMTP, once, and records the outcome on every claim; a bounce
 * suppresses the address.
 */
async function sendClaimed(
  context: DeliveryContext,
  { address, mailer }: { address: string; mailer: Mailer },
  claims: EmailSendRecord[],
  email: Pick<OutgoingEmail, 'fromName' | 'subject' | 'text' | 'html' | 'headers'>,
): Promise<EmailSendRecord[]> {
  const { db } = context.run;
  const outcome: SendOutcome = isDeliverableAddress(address)
    ? await mailer.send({
        ...email,
        to: address,
        ...(context.policy.email.replyTo !== undefined && { replyTo: context.policy.email.replyTo }),
      })
    : { status: 'bounced', error: `"${address}" is not a deliverable email address` };
  const finishedAt = context.run.now();
  const finished = {
    status: outcome.status,
    finishedAt,
    ...(outcome.status === 'sent' && { messageId: outcome.messageId, response: outcome.response }),
    ...(outcome.status !== 'sent' && { error: outcome.error }),
    ...(outcome.status === 'failed' && { retryable: outcome.retryable }),
    ...(outcome.status === 'bounced' && { bouncedAt: finishedAt }),
  };
  await emailSendModel(db).updateMany({ _id: { $in: claims.map((claim) => claim._id) } }, { $set: finished });
  if (outcome.status === 'bounced') {
    try {
      await emailSuppressionModel(db).create({
        _id: suppressionKey(context.connection.accountId, address),
        accountId: context.connection.accountId,
        address: address.toLowerCase(),
        reason: outcome.error,
        followUpId: claims[0]!.followUpId,
        at: finishedAt,
      });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  return claims.map((claim) => ({ ...claim, ...finished }));
}

/** The claim on one attempt to email a follow-up, made before SMTP sees the message. */
function claimOf(
  context: DeliveryContext,
  followUp: FollowUpRecord,
  attempt: number,
  address: string,
  { mailer, subject, digest }: { mailer: Mailer; subject: string; digest?: string },
): EmailSendRecord {
  return {
    _id: attemptId(followUp._id, attempt),
    followUpId: followUp._id,
    attempt,
    ...(digest !== undefined && { digestId: digest }),
    accountId: followUp.accountId,
    connectionId: followUp.connectionId,
    to: address,
    from: mailer.fromAddress,
    subject,
    status: 'sending',
    createdAt: context.run.now(),
  };
}

/** The headers of every reminder: ours, and the one-click unsubscribe (RFC 8058) when links are signed. */
function reminderHeaders(
  context: DeliveryContext,
  own: Record<string, string>,
  qboCustomerId: string | undefined,
  address: string,
): Record<string, string> {
  if (context.unsubscribe === undefined || qboCustomerId === undefined) return own;
  return {
    ...own,
    ...unsubscribeHeaders(
      context.unsubscribe,
      {
        accountId: context.connection.accountId,
        connectionId: context.run.connectionId,
        qboCustomerId,
        email: address,
      },
      context.run.now().getTime(),
    ),
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
  const recipient = await recipientOf(context, followUp.qboCustomerId, customer);
  if ('skip' in recipient) return recipient.skip;
  const earlier = await earlierAttempts(context, followUp._id);
  if (earlier === 'in-flight') return null;
  if ('outcome' in earlier) return earlier.outcome;

  const senderName = emailSenderName(context.policy, context.connection, context.account);
  const link = documentLink(followUp.document, context.connection.realmId, context.policy.email.linkTemplate);
  const rendered = renderFollowUpEmail({
    kind: followUp.kind,
    senderName,
    customerName: followUp.customerName ?? null,
    document: followUp.document,
    ...dueFields(followUp),
    ...(link !== undefined && { link }),
    locale: context.policy.email.locale,
  });
  const claim = claimOf(context, followUp, earlier.next, recipient.address, {
    mailer: recipient.mailer,
    subject: rendered.subject,
  });
  if (!(await claimAll(context, [claim]))) return null;
  const [finished] = await sendClaimed(context, recipient, [claim], {
    fromName: senderName,
    ...rendered,
    headers: reminderHeaders(
      context,
      { 'X-QboSync-FollowUp': followUp._id },
      followUp.qboCustomerId,
      recipient.address,
    ),
  });
  return attemptResult(finished!, finished!.finishedAt!, earlier.next + 1);
}

/**
 * One email listing a customer's overdue invoices that still need one, exactly once per invoice: the digest claims
 * the next attempt of each (all or none, see `claimAll`) under an id derived from those claims, and each invoice
 * records the outcome with that id. An invoice whose attempt is in flight elsewhere holds the whole digest back to a
 * later pass, so the customer does not get two emails at once. Returns each follow-up's email result (null: later).
 */
async function emailDigest(
  context: DeliveryContext,
  qboCustomerId: string,
  customer: Customer | undefined,
  followUps: FollowUpRecord[],
): Promise<Map<string, ChannelStep | null>> {
  const steps = new Map<string, ChannelStep | null>();
  if (followUps.length === 0) return steps;
  const recipient = await recipientOf(context, qboCustomerId, customer);
  if ('skip' in recipient) {
    for (const followUp of followUps) steps.set(followUp._id, recipient.skip);
    return steps;
  }
  const fresh: { followUp: FollowUpRecord; attempt: number }[] = [];
  let inFlight = false;
  for (const followUp of followUps) {
    const earlier = await earlierAttempts(context, followUp._id);
    if (earlier === 'in-flight') inFlight = true;
    else if ('outcome' in earlier) steps.set(followUp._id, earlier.outcome);
    else fresh.push({ followUp, attempt: earlier.next });
  }
  if (inFlight || fresh.length === 0) return steps;

  const digest = digestId(fresh.map(({ followUp, attempt }) => attemptId(followUp._id, attempt)));
  const senderName = emailSenderName(context.policy, context.connection, context.account);
  const rendered = renderDigestEmail({
    senderName,
    customerName: customer?.name ?? null,
    items: fresh
      .map(({ followUp: { document, daysOverdue } }) => {
        const link = documentLink(document, context.connection.realmId, context.policy.email.linkTemplate);
        return { document, daysOverdue: daysOverdue ?? 0, ...(link !== undefined && { link }) };
      })
      .sort(
        (a, b) =>
          b.daysOverdue - a.daysOverdue || (a.document.number ?? '').localeCompare(b.document.number ?? ''),
      ),
    locale: context.policy.email.locale,
  });
  const claims = fresh.map(({ followUp, attempt }) =>
    claimOf(context, followUp, attempt, recipient.address, {
      mailer: recipient.mailer,
      subject: rendered.subject,
      digest,
    }),
  );
  if (!(await claimAll(context, claims))) return steps;
  const finished = await sendClaimed(context, recipient, claims, {
    fromName: senderName,
    ...rendered,
    headers: reminderHeaders(context, { 'X-QboSync-Digest': digest }, qboCustomerId, recipient.address),
  });
  for (const attempt of finished)
    steps.set(attempt.followUpId, attemptResult(attempt, attempt.finishedAt!, attempt.attempt + 1));
  return steps;
}
