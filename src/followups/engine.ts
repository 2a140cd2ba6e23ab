import type { Connection as MongoConnection } from 'mongoose';
import { accountModel, type AccountRecord } from '../accounts/models';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { isDeliverableAddress, type Mailer, type SendOutcome } from '../email/mailer';
import { eventId, recordEvents } from '../outbound/events';
import { contactLinkModel } from '../projections/crm';
import {
  customerKey,
  qboCustomerModel,
  qboTransactionModel,
  transactionKey,
  type QboCustomerRecord,
} from '../projections/models';
import { isLive, type LiveTransactionView, type TransactionView } from '../sync/transactions';
import { formatQboDate, formatQboDateTime } from '../time/zoned-time';
import {
  emailSendModel,
  emailSuppressionModel,
  followUpModel,
  followUpPolicyModel,
  isDuplicateKey,
  suppressionKey,
  type ChannelResult,
  type EmailSendRecord,
  type FollowUpDocument,
  type FollowUpHistoryEntry,
  type FollowUpRecord,
} from './models';
import { defaultFollowUpPolicy, followUpPolicySchema, isQuietHour, type FollowUpPolicy } from './policy';
import { addDays, cancelReason, dueFollowUp, followUpId, type DueFollowUp } from './stages';
import { fillLinkTemplate, renderFollowUpEmail } from './templates';

/**
 * The follow-up engine over MongoDB: plan what is due (each follow-up claimed by inserting its dedupe key), cancel
 * what a payment, void or delete made moot, and deliver pending ones to the CRM (outbox event) and by email. Every
 * step is idempotent, so an activity retried or a whole run repeated converges and sends nothing twice.
 */
export interface FollowUpRun {
  db: MongoConnection;
  connectionId: string;
  /** The instant the run judges by: the schedule's start time, or one a test or backfill injects. */
  asOf: Date;
  /** The clock for timestamps. */
  now: () => Date;
}

/** Documents read per page while planning and cancelling. */
const pageSize = 500;
/** Email attempts per follow-up when the server never took the message (down, 4xx). */
const maxEmailAttempts = 3;

export async function loadPolicy(db: MongoConnection, connectionId: string): Promise<FollowUpPolicy> {
  const stored = await followUpPolicyModel(db).findById(connectionId).lean();
  // Parsed again so that a policy stored before a field existed gets that field's default.
  return stored ? followUpPolicySchema.parse(stored.policy) : defaultFollowUpPolicy;
}

/** The company-local calendar day of an instant. */
export function companyDay(at: Date, policy: Pick<FollowUpPolicy, 'timeZone'>): string {
  return formatQboDate(at, policy.timeZone);
}

export async function activeConnection(
  db: MongoConnection,
  connectionId: string,
): Promise<ConnectionRecord | null> {
  const connection = await connectionModel(db).findById(connectionId).lean();
  return connection && connection.status !== 'disconnected' ? connection : null;
}

function documentOf(view: LiveTransactionView): FollowUpDocument {
  return {
    type: view.type,
    qboId: view.qboId,
    ...(view.number !== undefined && { number: view.number }),
    txnDate: view.txnDate,
    ...(view.dueDate !== undefined && { dueDate: view.dueDate }),
    ...(view.expirationDate !== undefined && { expirationDate: view.expirationDate }),
    currency: view.currency.code,
    total: view.total,
    balance: view.balance,
    status: view.status,
    qboLink: view.qboLink,
  };
}

function dueFields(due: DueFollowUp): Pick<FollowUpRecord, 'daysOverdue' | 'daysToExpiry'> {
  return {
    ...(due.daysOverdue !== undefined && { daysOverdue: due.daysOverdue }),
    ...(due.daysToExpiry !== undefined && { daysToExpiry: due.daysToExpiry }),
  };
}

interface Customer {
  name?: string;
  email?: string;
  crmContactId?: string;
}

/** Names, emails and linked CRM contacts of the given QBO customers. */
async function customersOf(
  db: MongoConnection,
  connectionId: string,
  qboCustomerIds: string[],
): Promise<Map<string, Customer>> {
  const ids = [...new Set(qboCustomerIds)];
  const [customers, links] = await Promise.all([
    qboCustomerModel(db)
      .find({ _id: { $in: ids.map((id) => customerKey(connectionId, id)) } }, { qboId: 1, fields: 1 })
      .lean<Pick<QboCustomerRecord, 'qboId' | 'fields'>[]>(),
    contactLinkModel(db)
      .find(
        { connectionId, qboCustomerId: { $in: ids }, deletedAt: { $exists: false } },
        { qboCustomerId: 1, crmContactId: 1 },
      )
      .lean(),
  ]);
  const found = new Map<string, Customer>();
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  for (const customer of customers) {
    const name = text(customer.fields.displayName) ?? text(customer.fields.companyName);
    const email = text(customer.fields.email);
    found.set(customer.qboId, { ...(name && { name }), ...(email && { email }) });
  }
  for (const link of links) {
    found.set(link.qboCustomerId, { ...found.get(link.qboCustomerId), crmContactId: link.crmContactId });
  }
  return found;
}

// --- planning ---

/** Finds what is due on the run's day and stores each as a pending follow-up; an existing dedupe key is left be. */
export async function planFollowUps(run: FollowUpRun): Promise<{ created: number; accountId?: string }> {
  const { db, connectionId } = run;
  const connection = await activeConnection(db, connectionId);
  if (!connection) return { created: 0 };
  const policy = await loadPolicy(db, connectionId);
  if (!policy.enabled) return { created: 0, accountId: connection.accountId };
  const today = companyDay(run.asOf, policy);
  // Stored statuses were judged on the day each record was applied, so the filter goes by amounts and dates.
  const filter = {
    connectionId,
    $or: [
      {
        entity: 'Invoice',
        'view.status': { $nin: ['deleted', 'voided', 'paid'] },
        'view.dueDate': { $lt: today },
      },
      { entity: 'Estimate', 'view.status': { $in: ['pending', 'accepted'] } },
      {
        entity: 'Payment',
        'view.status': { $nin: ['deleted', 'voided'] },
        'view.txnDate': { $gte: addDays(today, -policy.paymentReceived.withinDays) },
      },
    ],
  };
  const transactions = qboTransactionModel(db);
  const followUps = followUpModel(db);
  let created = 0;
  let after: string | undefined;
  for (;;) {
    const page = await transactions
      .find({ ...filter, ...(after !== undefined && { _id: { $gt: after } }) })
      .sort({ _id: 1 })
      .limit(pageSize)
      .lean();
    if (page.length === 0) break;
    after = page[page.length - 1]!._id;

    const due: { view: LiveTransactionView; followUp: DueFollowUp; customerId?: string }[] = [];
    for (const { view, customerQboId } of page) {
      if (!isLive(view)) continue;
      const followUp = dueFollowUp(view, policy, today);
      if (followUp)
        due.push({ view, followUp, ...(customerQboId !== undefined && { customerId: customerQboId }) });
    }
    if (due.length === 0) continue;
    const idOf = (item: (typeof due)[number]): string =>
      followUpId({
        connectionId,
        entity: item.view.type,
        qboId: item.view.qboId,
        stage: item.followUp.stage,
      });
    const existing = new Set(
      (await followUps.find({ _id: { $in: due.map(idOf) } }, { _id: 1 }).lean()).map((doc) => doc._id),
    );
    const fresh = due.filter((item) => !existing.has(idOf(item)));
    if (fresh.length === 0) continue;
    const customers = await customersOf(
      db,
      connectionId,
      fresh.flatMap((item) => (item.customerId === undefined ? [] : [item.customerId])),
    );
    const at = run.now();
    const records: FollowUpRecord[] = fresh.map((item) => {
      const customer = item.customerId === undefined ? undefined : customers.get(item.customerId);
      return {
        _id: idOf(item),
        accountId: connection.accountId,
        connectionId,
        kind: item.followUp.kind,
        stage: item.followUp.stage,
        entity: item.view.type,
        qboId: item.view.qboId,
        ...(item.customerId !== undefined && { qboCustomerId: item.customerId }),
        ...(customer?.crmContactId !== undefined && { crmContactId: customer.crmContactId }),
        ...(customer?.name !== undefined && { customerName: customer.name }),
        document: documentOf(item.view),
        ...dueFields(item.followUp),
        dueOn: today,
        status: 'pending',
        channels: {},
        history: [{ at, action: 'planned' }],
        createdAt: at,
        updatedAt: at,
      };
    });
    created += await insertNew(db, records);
  }
  return { created, accountId: connection.accountId };
}

/** Inserts the follow-ups; a concurrent run that stored some of them first wins those. Returns how many landed. */
async function insertNew(db: MongoConnection, records: FollowUpRecord[]): Promise<number> {
  try {
    await followUpModel(db).collection.insertMany(records as never[], { ordered: false });
    return records.length;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const raw = (error as { writeErrors?: unknown }).writeErrors ?? [];
    return records.length - (Array.isArray(raw) ? raw.length : 1);
  }
}

// --- cancelling ---

async function cancel(
  db: MongoConnection,
  followUp: Pick<FollowUpRecord, '_id'>,
  reason: string,
  at: Date,
): Promise<boolean> {
  const entry: FollowUpHistoryEntry = { at, action: 'cancelled', detail: reason };
  const result = await followUpModel(db).updateOne(
    { _id: followUp._id, status: 'pending' },
    {
      $set: { status: 'cancelled', statusReason: reason, cancelledAt: at, updatedAt: at },
      $push: { history: entry },
    },
  );
  return result.modifiedCount === 1;
}

/** The current views of the follow-ups' documents, by follow-up id (absent: the document is gone). */
async function viewsOf(
  db: MongoConnection,
  followUps: Pick<FollowUpRecord, '_id' | 'connectionId' | 'entity' | 'qboId'>[],
): Promise<Map<string, { view: TransactionView; customerQboId?: string }>> {
  const keys = followUps.map((followUp) =>
    transactionKey(followUp.connectionId, followUp.entity, followUp.qboId),
  );
  const records = await qboTransactionModel(db)
    .find({ _id: { $in: keys } }, { view: 1, customerQboId: 1 })
    .lean();
  const byKey = new Map(records.map((record) => [record._id, record]));
  const found = new Map<string, { view: TransactionView; customerQboId?: string }>();
  for (const followUp of followUps) {
    const record = byKey.get(transactionKey(followUp.connectionId, followUp.entity, followUp.qboId));
    if (record)
      found.set(followUp._id, {
        view: record.view,
        ...(record.customerQboId !== undefined && { customerQboId: record.customerQboId }),
      });
  }
  return found;
}

/**
 * Cancels pending follow-ups whose document was paid, voided or deleted, or whose stage is no longer the one due.
 * The sync engine may call it after applying changes (`qboIds` narrows it to those documents); each reminders run
 * calls it for the whole connection.
 */
export async function cancelSettledFollowUps(
  run: FollowUpRun,
  qboIds?: readonly string[],
): Promise<{ cancelled: number }> {
  const { db, connectionId } = run;
  const policy = await loadPolicy(db, connectionId);
  const today = companyDay(run.asOf, policy);
  let cancelled = 0;
  let after: string | undefined;
  for (;;) {
    const page = await followUpModel(db)
      .find({
        connectionId,
        status: 'pending',
        ...(qboIds !== undefined && { qboId: { $in: [...qboIds] } }),
        ...(after !== undefined && { _id: { $gt: after } }),
      })
      .sort({ _id: 1 })
      .limit(pageSize)
      .lean();
    if (page.length === 0) break;
    after = page[page.length - 1]!._id;
    const views = await viewsOf(db, page);
    for (const followUp of page) {
      const reason = cancelReason(views.get(followUp._id)?.view ?? null, followUp.stage, policy, today);
      if (reason !== null && (await cancel(db, followUp, reason, run.now()))) cancelled += 1;
    }
  }
  return { cancelled };
}

/** Cancels every pending follow-up of a connection, e.g. when it is disconnected. */
export async function cancelAllPending(
  db: MongoConnection,
  connectionId: string,
  reason: string,
  at: Date,
): Promise<number> {
  const entry: FollowUpHistoryEntry = { at, action: 'cancelled', detail: reason };
  const result = await followUpModel(db).updateMany(
    { connectionId, status: 'pending' },
    {
      $set: { status: 'cancelled', statusReason: reason, cancelledAt: at, updatedAt: at },
      $push: { history: entry },
    },
  );
  return result.modifiedCount;
}

// --- delivering ---

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
 * Delivers up to `limit` pending follow-ups (by id, after `after`) on the policy's channels. A document that is no
 * longer due is cancelled instead. A follow-up becomes `sent` once every enabled channel has a final result.
 */
export async function deliverFollowUps(
  run: FollowUpRun,
  options: {
    mailer?: Mailer;
    after?: string;
    limit: number;
    /** Called after each follow-up, so an activity can heartbeat. */
    onProgress?: () => void;
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
    options.onProgress?.();
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

function skipped(at: Date, detail: string, to?: string): ChannelStep {
  return {
    result: { status: 'skipped', at, detail, ...(to !== undefined && { to }) },
    history: [{ at, action: 'email_skipped', detail, ...(to !== undefined && { to }) }],
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

  const senderName =
    context.policy.email.senderName ?? context.connection.companyName ?? context.account?.name ?? 'Accounts';
  const template = context.policy.email.linkTemplate;
  const rendered = renderFollowUpEmail({
    kind: followUp.kind,
    senderName,
    customerName: followUp.customerName ?? null,
    document: followUp.document,
    ...dueFields(followUp),
    ...(template !== undefined && {
      link: fillLinkTemplate(template, {
        realmId: context.connection.realmId,
        type: followUp.document.type,
        id: followUp.document.qboId,
        ...(followUp.document.number !== undefined && { number: followUp.document.number }),
      }),
    }),
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
        headers: { 'X-QboSync-FollowUp': followUp._id },
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
