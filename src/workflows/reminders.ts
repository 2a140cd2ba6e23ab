import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * One pass of a connection's follow-ups, started by its Temporal Schedule (`reminders:<connectionId>`): cancel what
 * was paid, voided or deleted, plan what is due today, deliver, then refresh contacts' tags and AR figures. Every
 * step is an idempotent activity keyed by dedupe ids in MongoDB, so a re-run, a retry or a worker killed mid-run
 * sends nothing twice. It carries ids and counts only.
 */
// Every activity heartbeats every 5 s while it runs (src/observability/activity-interceptor.ts), and one email send
// is bounded by EMAIL_SEND_TIMEOUT_MS (15 s by default): a worker that dies mid-run hands its batch on within 30 s.
const { cancelSettledFollowUps, planFollowUps, deliverFollowUps } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
});

// A full sweep reads every customer of the company once a day: long, but heartbeating like every activity.
const { refreshContactAr } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
});

const { announceEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export interface RemindersInput {
  connectionId: string;
  /** The instant to judge by (ISO). Scheduled runs use their start time; tests and backfills inject one. */
  asOf?: string;
}

export interface RemindersResult {
  asOf: string;
  cancelled: number;
  planned: number;
  delivered: number;
  /** Quiet hours in the company's zone held deliveries back until a later run. */
  quiet: boolean;
  contactsRecomputed: number;
  tagChanges: number;
  eventsRecorded: number;
}

export async function remindersWorkflow(input: RemindersInput): Promise<RemindersResult> {
  const { connectionId } = input;
  // Workflow time is recorded in history, so a replay judges by the same instant.
  const asOf = input.asOf ?? new Date().toISOString();
  const run = { connectionId, asOf };

  let { cancelled } = await cancelSettledFollowUps(run);
  const plan = await planFollowUps(run);
  let delivered = 0;
  let quiet = false;
  let followUpEvents = 0;
  let after: string | undefined;
  do {
    const batch = await deliverFollowUps({ ...run, ...(after !== undefined && { after }) });
    delivered += batch.delivered;
    cancelled += batch.cancelled;
    quiet = batch.quiet;
    followUpEvents += batch.eventsRecorded;
    after = batch.next;
  } while (after !== undefined);
  // Follow-ups reach the CRM before the (possibly long) AR sweep starts.
  await announce(plan.accountId, followUpEvents);
  const ar = await refreshContactAr(run);
  await announce(ar.accountId, ar.eventsRecorded);

  return {
    asOf,
    cancelled,
    planned: plan.created,
    delivered,
    quiet,
    contactsRecomputed: ar.recomputed,
    tagChanges: ar.tagChanges,
    eventsRecorded: followUpEvents + ar.eventsRecorded,
  };
}

/** Wakes the account's webhook dispatcher when events were stored. */
async function announce(accountId: string | undefined, events: number): Promise<void> {
  if (accountId === undefined || events === 0) return;
  try {
    await announceEvents({ accountIds: [accountId] });
  } catch (error) {
    // The events are safe in the outbox; the account's next wake-up delivers them.
    log.warn('could not wake the webhook dispatcher', { accountId, error: String(error) });
  }
}
