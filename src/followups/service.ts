import type { Client } from '@temporalio/client';
import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel } from '../db/models/connection';
import { companyTimeZone } from '../time/company-zone';
import {
  deleteReminderSchedule,
  holdForConnectionPause,
  holdReminderSchedule,
  runReminderScheduleNow,
  upsertReminderSchedule,
} from '../temporal/reminder-schedules';
import type { RemindersResult } from '../workflows/reminders';
import { cancelAllPending, loadPolicy } from './engine';
import {
  contactArModel,
  emailSendModel,
  followUpModel,
  followUpPolicyModel,
  type ContactArRecord,
  type EmailSendRecord,
  type FollowUpHistoryEntry,
  type FollowUpRecord,
  type FollowUpStatus,
} from './models';
import {
  followUpPolicySchema,
  policyForCompany,
  type FollowUpPolicy,
  type FollowUpPolicyInput,
} from './policy';
import type { FollowUpKind } from './stages';

/**
 * What the API offers on follow-ups: the policy (which drives the connection's reminder schedule), the list,
 * complete and dismiss, the email history, and contacts' AR figures. Every call is scoped by account: another
 * account's connection or follow-up is reported as not found (null), never as forbidden.
 */
export interface FollowUpServiceDeps {
  db: MongoConnection;
  temporal: () => Promise<Client>;
  /** The queue the reminder schedules start their workflows on. */
  taskQueue: string;
  now?: () => Date;
}

/** A position in a list ordered by (createdAt, _id): the last item of the previous page. */
export interface PagePosition {
  /** ISO time. */
  at: string;
  id: string;
}

export interface Page<T> {
  data: T[];
  /** Where the next page starts; null on the last page. */
  next: PagePosition | null;
}

export interface FollowUpFilter {
  connectionId?: string;
  status?: FollowUpStatus;
  kind?: FollowUpKind;
  crmContactId?: string;
  qboCustomerId?: string;
}

export interface EmailSendFilter {
  connectionId?: string;
  followUpId?: string;
  /** The recipient address, any case. */
  to?: string;
}

/** A follow-up as the API shows it. */
export type FollowUpView = Omit<FollowUpRecord, '_id'> & { id: string };
export type EmailSendView = Omit<EmailSendRecord, '_id'> & { id: string };

/** The follow-up is in a state the action does not apply to (e.g. completing a cancelled one). */
export class FollowUpStateError extends Error {
  constructor(
    readonly status: FollowUpStatus,
    action: 'complete' | 'dismiss',
  ) {
    super(`a ${status} follow-up cannot be ${action === 'complete' ? 'completed' : 'dismissed'}`);
    this.name = 'FollowUpStateError';
  }
}

function withId<T extends { _id: string }>({ _id, ...rest }: T): Omit<T, '_id'> & { id: string } {
  return { id: _id, ...rest };
}

/** The (createdAt, _id) condition for "after this position", ascending. */
function afterPosition(position: PagePosition | undefined): Record<string, unknown> {
  if (position === undefined) return {};
  const at = new Date(position.at);
  return { $or: [{ createdAt: { $gt: at } }, { createdAt: at, _id: { $gt: position.id } }] };
}

function pageOf<T extends { _id: string; createdAt: Date }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return {
    data,
    next: rows.length > limit && last ? { at: last.createdAt.toISOString(), id: last._id } : null,
  };
}

export class FollowUpService {
  private readonly now: () => Date;

  constructor(private readonly deps: FollowUpServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private async ownedConnection(accountId: string, connectionId: string) {
    return connectionModel(this.deps.db)
      .findOne(
        { _id: connectionId, accountId },
        { accountId: 1, realmId: 1, status: 1, timeZone: 1, paused: 1 },
      )
      .lean();
  }

  /** The connection's policy (the defaults until one is set); null when the account has no such connection. */
  async getPolicy(accountId: string, connectionId: string): Promise<FollowUpPolicy | null> {
    if (!(await this.ownedConnection(accountId, connectionId))) return null;
    return loadPolicy(this.deps.db, connectionId);
  }

  /**
   * Replaces the policy (omitted fields take their defaults, the time zone the company's) and brings the reminder
   * schedule in line: its hours, time zone, and paused state. Throws a ZodError for an invalid policy. Null when
   * there is no such connection.
   */
  async setPolicy(
    accountId: string,
    connectionId: string,
    input: FollowUpPolicyInput,
  ): Promise<FollowUpPolicy | null> {
    const settings = followUpPolicySchema.parse(input);
    const connection = await this.ownedConnection(accountId, connectionId);
    if (!connection) return null;
    const at = this.now();
    await followUpPolicyModel(this.deps.db).updateOne(
      { _id: connectionId },
      { $set: { accountId, policy: settings, updatedAt: at }, $setOnInsert: { createdAt: at } },
      { upsert: true },
    );
    const policy = policyForCompany(settings, companyTimeZone(connection).name);
    // A disconnected connection keeps its policy but gets no schedule back.
    if (connection.status !== 'disconnected') {
      await upsertReminderSchedule(
        await this.deps.temporal(),
        { connectionId, accountId, realmId: connection.realmId, taskQueue: this.deps.taskQueue },
        policy,
      );
    }
    return policy;
  }

  /** For the connect flow: gives a new (or reconnected) connection its reminder schedule, under its policy. */
  async ensureReminders(connectionId: string): Promise<void> {
    const connection = await connectionModel(this.deps.db)
      .findById(connectionId, { accountId: 1, realmId: 1 })
      .lean();
    if (!connection) throw new Error(`no connection ${connectionId}`);
    await upsertReminderSchedule(
      await this.deps.temporal(),
      {
        connectionId,
        accountId: connection.accountId,
        realmId: connection.realmId,
        taskQueue: this.deps.taskQueue,
      },
      await loadPolicy(this.deps.db, connectionId),
    );
  }

  /** For disconnect: deletes the schedule and cancels what was still pending. Sent history is kept. */
  async removeReminders(connectionId: string): Promise<{ cancelled: number }> {
    await deleteReminderSchedule(await this.deps.temporal(), connectionId);
    return { cancelled: await cancelAllPending(this.deps.db, connectionId, 'disconnected', this.now()) };
  }

  /** For pausing a connection and resuming it: its reminders wait while it is paused (see holdForConnectionPause). */
  async holdForConnectionPause(connectionId: string, hold: 'hold' | 'lift'): Promise<void> {
    await holdForConnectionPause(
      await this.deps.temporal(),
      connectionId,
      hold,
      await loadPolicy(this.deps.db, connectionId),
    );
  }

  /**
   * Runs the connection's reminders now, through its schedule (so never beside a scheduled run), and returns what the
   * run did. Null when there is no such connection.
   */
  async runReminders(accountId: string, connectionId: string): Promise<RemindersResult | null> {
    if (!(await this.ownedConnection(accountId, connectionId))) return null;
    return runReminderScheduleNow(await this.deps.temporal(), connectionId);
  }

  /**
   * An operator's hold on the reminders (`note` says why) or its lifting. Lifting does not override a policy that
   * disables follow-ups, nor a paused connection's hold. Null when there is no such connection; `no_schedule` for a
   * disconnected one.
   */
  async holdReminders(
    accountId: string,
    connectionId: string,
    hold: { note: string } | 'lift',
  ): Promise<'held' | 'lifted' | 'disabled_by_policy' | 'connection_paused' | 'no_schedule' | null> {
    const connection = await this.ownedConnection(accountId, connectionId);
    if (!connection) return null;
    if (hold === 'lift' && connection.paused) return 'connection_paused';
    if (hold === 'lift' && !(await loadPolicy(this.deps.db, connectionId)).enabled)
      return 'disabled_by_policy';
    const found = await holdReminderSchedule(await this.deps.temporal(), connectionId, hold);
    if (!found) return 'no_schedule';
    return hold === 'lift' ? 'lifted' : 'held';
  }

  /** The account's follow-ups, oldest first, a page at a time. */
  async listFollowUps(
    accountId: string,
    filter: FollowUpFilter,
    page: { limit: number; after?: PagePosition },
  ): Promise<Page<FollowUpView>> {
    const rows = await followUpModel(this.deps.db)
      .find({
        accountId,
        ...(filter.connectionId !== undefined && { connectionId: filter.connectionId }),
        ...(filter.status !== undefined && { status: filter.status }),
        ...(filter.kind !== undefined && { kind: filter.kind }),
        ...(filter.crmContactId !== undefined && { crmContactId: filter.crmContactId }),
        ...(filter.qboCustomerId !== undefined && { qboCustomerId: filter.qboCustomerId }),
        ...afterPosition(page.after),
      })
      .sort({ createdAt: 1, _id: 1 })
      .limit(page.limit + 1)
      .lean();
    const result = pageOf(rows, page.limit);
    return { data: result.data.map(withId), next: result.next };
  }

  /** One follow-up with its history (what was sent to whom, and what people did with it). */
  async getFollowUp(accountId: string, id: string): Promise<FollowUpView | null> {
    const record = await followUpModel(this.deps.db).findOne({ _id: id, accountId }).lean();
    return record ? withId(record) : null;
  }

  /** Marks it done (idempotent). A pending one is then never delivered. Null when not found. */
  async completeFollowUp(
    accountId: string,
    id: string,
    options: { note?: string } = {},
  ): Promise<FollowUpView | null> {
    return this.close(accountId, id, 'completed', options.note);
  }

  /** Sets it aside without acting on it (idempotent). A pending one is then never delivered. Null when not found. */
  async dismissFollowUp(
    accountId: string,
    id: string,
    options: { reason?: string } = {},
  ): Promise<FollowUpView | null> {
    return this.close(accountId, id, 'dismissed', options.reason);
  }

  private async close(
    accountId: string,
    id: string,
    status: 'completed' | 'dismissed',
    detail: string | undefined,
  ): Promise<FollowUpView | null> {
    const followUps = followUpModel(this.deps.db);
    const record = await followUps.findOne({ _id: id, accountId }).lean();
    if (!record) return null;
    if (record.status === status) return withId(record);
    if (record.status !== 'pending' && record.status !== 'sent') {
      throw new FollowUpStateError(record.status, status === 'completed' ? 'complete' : 'dismiss');
    }
    const at = this.now();
    const entry: FollowUpHistoryEntry = {
      at,
      action: status,
      ...(detail !== undefined && { detail }),
    };
    await followUps.updateOne(
      { _id: id, accountId, status: record.status },
      {
        $set: {
          status,
          updatedAt: at,
          ...(status === 'completed'
            ? { completedAt: at, ...(detail !== undefined && { note: detail }) }
            : { dismissedAt: at, ...(detail !== undefined && { statusReason: detail }) }),
        },
        $push: { history: entry },
      },
    );
    const updated = await followUps.findOne({ _id: id, accountId }).lean();
    return updated ? withId(updated) : null;
  }

  /** Every email attempt (to whom, when, outcome, bounces), oldest first, a page at a time. */
  async listEmailSends(
    accountId: string,
    filter: EmailSendFilter,
    page: { limit: number; after?: PagePosition },
  ): Promise<Page<EmailSendView>> {
    const rows = await emailSendModel(this.deps.db)
      .find({
        accountId,
        ...(filter.connectionId !== undefined && { connectionId: filter.connectionId }),
        ...(filter.followUpId !== undefined && { followUpId: filter.followUpId }),
        ...(filter.to !== undefined && { to: filter.to.trim().toLowerCase() }),
        ...afterPosition(page.after),
      })
      .sort({ createdAt: 1, _id: 1 })
      .limit(page.limit + 1)
      .lean();
    const result = pageOf(rows, page.limit);
    return { data: result.data.map(withId), next: result.next };
  }

  /** A CRM contact's tags and AR figures on a connection; null when not computed or not the account's. */
  async getContactAr(
    accountId: string,
    connectionId: string,
    crmContactId: string,
  ): Promise<Omit<ContactArRecord, '_id'> | null> {
    const record = await contactArModel(this.deps.db)
      .findOne({ accountId, connectionId, crmContactId }, { _id: 0 })
      .lean<Omit<ContactArRecord, '_id'>>();
    return record ?? null;
  }
}
