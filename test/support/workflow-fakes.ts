import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { failureTypes } from '../../src/activities/failure-types';
import type { Activities } from '../../src/activities';
import { companyDay } from '../../src/followups/engine';
import { defaultFollowUpPolicy } from '../../src/followups/policy';
import { dueFollowUp } from '../../src/followups/stages';
import { transactionView } from '../../src/sync/transactions';
import type { FakeActivities } from './time-skipping';

type Result<Name extends keyof Activities> = Awaited<ReturnType<Activities[Name]>>;

/**
 * When the running activity's attempt was scheduled, by the Temporal server's clock: with the time-skipping server
 * that is the skipped (virtual) time the workflow saw, not the host's.
 */
export function scheduledAt(): number {
  return Context.current().info.currentAttemptScheduledTimestampMs;
}

/** What the connection workflow's fake activities were asked to do, in order. */
export interface ConnectionCalls {
  /** Virtual time of each CDC poll. */
  polls: number[];
  drains: number[];
  /** Each push's contact ids (one per call since the lanes; a batch before them). */
  pushes: string[][];
  /** Each customer pulled into its contact (the QBO → CRM lane), with how its change was seen. */
  pulls: { qboCustomerId: string; channel: string }[];
  announcements: string[][];
}

/** Every contact of a push created in QBO, each with an event for the CRM. */
const created = (contacts: number): Result<'pushContact'> => ({
  created: contacts,
  linked: 0,
  updated: 0,
  unchanged: 0,
  conflicts: 0,
  rejected: 0,
  deleted: 0,
  gone: 0,
  eventsRecorded: contacts,
});

/**
 * The connection workflow's activities, each doing nothing but recording the call: a poll finds no changes, the
 * inbox is empty, every contact is created, every customer pulled updates its contact. A test replaces one to make
 * it fail or report more.
 */
export function fakeConnectionActivities() {
  const calls: ConnectionCalls = { polls: [], drains: [], pushes: [], pulls: [], announcements: [] };
  const counts = {
    applied: 0,
    unchanged: 0,
    deleted: 0,
    contactsUpdated: 0,
    conflicts: 0,
    eventsRecorded: 0,
  };
  const activities = {
    pollChanges(): Promise<Result<'pollChanges'>> {
      calls.polls.push(scheduledAt());
      return Promise.resolve({
        ...counts,
        cursor: new Date(scheduledAt()).toISOString(),
        cappedEntities: [],
        reconcileNeeded: false,
      });
    },
    drainInbox(): Promise<Result<'drainInbox'>> {
      calls.drains.push(scheduledAt());
      return Promise.resolve({ ...counts, remaining: false });
    },
    pushContact({ crmContactId }: { crmContactId: string }): Promise<Result<'pushContact'>> {
      calls.pushes.push([crmContactId]);
      return Promise.resolve(created(1));
    },
    pushContacts({ crmContactIds }: { crmContactIds: string[] }): Promise<Result<'pushContacts'>> {
      calls.pushes.push(crmContactIds);
      return Promise.resolve(created(crmContactIds.length));
    },
    pullCustomer({
      qboCustomerId,
      channel,
    }: {
      qboCustomerId: string;
      channel: string;
    }): Promise<Result<'pullCustomer'>> {
      calls.pulls.push({ qboCustomerId, channel });
      return Promise.resolve({ contactsUpdated: 1, conflicts: 0, eventsRecorded: 1 });
    },
    announceEvents({ accountIds }: { accountIds: string[] }): Promise<void> {
      calls.announcements.push(accountIds);
      return Promise.resolve();
    },
  } satisfies FakeActivities;
  return { activities, calls };
}

/** What the backfill's fake activities were asked to do. */
export interface BackfillCalls {
  /** `<entity>@<startPosition>` of each page read. */
  pages: string[];
  finished: { connectionId: string; cursorAtStart: string }[];
}

/**
 * The backfill's activities over a company with `pagesOf(entity)` pages of each entity (one by default); a page
 * reads nothing but says where the next one starts. `cursorAtStart` is QBO's clock when the backfill began.
 */
export function fakeBackfillActivities(pagesOf: (entity: string) => number = () => 1) {
  const calls: BackfillCalls = { pages: [], finished: [] };
  const activities = {
    beginBackfill(): Promise<Result<'beginBackfill'>> {
      return Promise.resolve({ cursorAtStart: new Date(scheduledAt()).toISOString() });
    },
    backfillPages({ entity, startPosition }: { entity: string; startPosition: number }) {
      calls.pages.push(`${entity}@${startPosition}`);
      const page = Math.ceil(startPosition / 1000);
      return Promise.resolve({
        rows: 0,
        applied: 0,
        ...(page < pagesOf(entity) ? { nextStartPosition: startPosition + 1000 } : {}),
      });
    },
    finishBackfill(input: { connectionId: string; cursorAtStart: string }): Promise<void> {
      calls.finished.push(input);
      return Promise.resolve();
    },
  } satisfies FakeActivities;
  return { activities, calls };
}

/** An open invoice in the fake books of the reminders' activities; set `balance` to 0 to have it paid. */
export interface FakeInvoice {
  qboId: string;
  dueDate: string;
  balance: number;
}

/** What the reminders' fake activities did, run by run. */
export interface ReminderCalls {
  /** Each run's `asOf` (from its first activity), and when that activity was scheduled by the server's clock. */
  runs: { asOf: string; scheduledAt: number }[];
  delivered: { qboId: string; stage: string; asOf: string }[];
  announcements: string[][];
}

/**
 * The reminders' activities over an in-memory company with the default follow-up policy: planning asks the real
 * stage rules (`dueFollowUp`) which follow-up each invoice calls for on the run's company-local day and keeps one
 * per invoice and stage, as the real planner's dedupe ids do. Delivery hands out one follow-up per batch, so a run
 * with two due pages through them. A paid invoice (balance 0) calls for nothing more.
 */
export function fakeReminderActivities(invoices: FakeInvoice[], accountId: string) {
  const calls: ReminderCalls = { runs: [], delivered: [], announcements: [] };
  const policy = defaultFollowUpPolicy;
  const followUps = new Map<string, { qboId: string; stage: string; sent: boolean }>();
  const pending = () => [...followUps.entries()].filter(([, followUp]) => !followUp.sent);

  const activities = {
    cancelSettledFollowUps({ asOf }: { asOf: string }): Promise<Result<'cancelSettledFollowUps'>> {
      calls.runs.push({ asOf, scheduledAt: scheduledAt() });
      // Planning and delivery share a run here, so nothing is left pending for a payment to cancel.
      return Promise.resolve({ cancelled: 0 });
    },
    planFollowUps({ asOf }: { asOf: string }): Promise<Result<'planFollowUps'>> {
      const today = companyDay(new Date(asOf), policy);
      let created = 0;
      for (const invoice of invoices) {
        const view = transactionView(
          'Invoice',
          {
            Id: invoice.qboId,
            TxnDate: invoice.dueDate,
            DueDate: invoice.dueDate,
            TotalAmt: 100,
            Balance: invoice.balance,
          },
          { today, homeCurrency: 'USD', environment: 'sandbox' },
        );
        const due = dueFollowUp(view, policy, today);
        if (!due || followUps.has(`${invoice.qboId}:${due.stage}`)) continue;
        followUps.set(`${invoice.qboId}:${due.stage}`, {
          qboId: invoice.qboId,
          stage: due.stage,
          sent: false,
        });
        created += 1;
      }
      return Promise.resolve({ created, accountId });
    },
    deliverFollowUps({ asOf, after }: { asOf: string; after?: string }): Promise<Result<'deliverFollowUps'>> {
      const next = pending()
        .map(([key]) => key)
        .sort()
        .find((key) => after === undefined || key > after);
      if (next === undefined)
        return Promise.resolve({ delivered: 0, cancelled: 0, eventsRecorded: 0, quiet: false });
      const followUp = followUps.get(next)!;
      followUp.sent = true;
      calls.delivered.push({ qboId: followUp.qboId, stage: followUp.stage, asOf });
      // A full batch (of one): the workflow asks for the next.
      return Promise.resolve({ delivered: 1, cancelled: 0, eventsRecorded: 1, quiet: false, next });
    },
    refreshContactAr(): Promise<Result<'refreshContactAr'>> {
      return Promise.resolve({ recomputed: 1, tagChanges: 0, eventsRecorded: 0, accountId });
    },
    announceEvents({ accountIds }: { accountIds: string[] }): Promise<void> {
      calls.announcements.push(accountIds);
      return Promise.resolve();
    },
  } satisfies FakeActivities;
  return { activities, calls };
}

/**
 * The webhook dispatcher's delivery activity: each run answers with the next of `outcomes` (the last repeats),
 * where `retryInMs` asks for another run that long after this one, by the server's clock.
 */
export function fakeDispatchActivities(
  outcomes: { delivered: number; failed: number; retryInMs?: number }[],
) {
  const runs: number[] = [];
  const activities = {
    deliverWebhooks(): Promise<Result<'deliverWebhooks'>> {
      runs.push(scheduledAt());
      const { retryInMs, ...counts } = outcomes[Math.min(runs.length, outcomes.length) - 1]!;
      return Promise.resolve({
        ...counts,
        ...(retryInMs !== undefined ? { nextDueAt: new Date(scheduledAt() + retryInMs).toISOString() } : {}),
      });
    },
  } satisfies FakeActivities;
  return { activities, runs };
}

/** The self-test's two steps, kept in memory instead of MongoDB. */
export function fakeSelfTestActivities() {
  const steps = new Map<string, string[]>();
  const activities = {
    recordSelfTestStep({ probeId, step }: { probeId: string; step: string }): Promise<void> {
      steps.set(probeId, [...new Set([...(steps.get(probeId) ?? []), step])]);
      return Promise.resolve();
    },
    readSelfTest(probeId: string): Promise<Result<'readSelfTest'>> {
      return Promise.resolve({ steps: steps.get(probeId) ?? [], workerIdentities: ['fake-worker'] });
    },
  } satisfies FakeActivities;
  return { activities, steps };
}

/** A document's write: QBO unavailable `unavailable` times (so the step is retried), then written. */
export function fakeDocumentActivities(unavailable: number) {
  const attempts: number[] = [];
  const activities = {
    writeDocument(): Promise<Result<'writeDocument'>> {
      attempts.push(scheduledAt());
      if (attempts.length <= unavailable)
        return Promise.reject(
          ApplicationFailure.create({ message: 'QBO 503', type: failureTypes.qboUnavailable }),
        );
      return Promise.resolve({ state: 'written', qboId: '1042' });
    },
  } satisfies FakeActivities;
  return { activities, attempts };
}
