import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failureTypes } from '../activities/failure-types';
import { searchAttributes } from '../temporal/search-attributes';
import { backfillWorkflow, type BackfillInput } from './backfill';
import {
  contactsChangedSignal,
  disconnectSignal,
  inboxWaitingSignal,
  reconnectedSignal,
  settingsChangedSignal,
  statusQuery,
  syncNowSignal,
  type ConnectionState,
  type ConnectionWorkflowInput,
} from './connection-messages';
import { isNeedsReauth, rootCause } from './failures';

/**
 * One long-running workflow per QBO connection (`connection:<id>`): it serialises all of a realm's QBO traffic,
 * applies webhook events as they are signalled, polls CDC on a timer as the backstop for lost webhooks, and
 * continues as new before its history grows large. It carries ids and counters only; records live in MongoDB.
 */
const { pollChanges, drainInbox, pushContacts, announceEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [failureTypes.needsReauth, failureTypes.qboRejected],
  },
});

/** Contacts written per activity run; the rest wait for the next turn of the loop. */
const contactsPerBatch = 25;

/** Well under Temporal's 10k-event hard limit, and the point where replays stay cheap. */
const maxHistoryEvents = 2_000;

export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<ConnectionState> {
  const carried = input.carried ?? {
    inboxWaiting: true,
    syncRequested: true,
    totals: { polls: 0, applied: 0, deleted: 0 },
  };
  let { inboxWaiting, syncRequested } = carried;
  let lastPollAt = carried.lastPollAt;
  const totals = { ...carried.totals };
  /** Where the company's backfill starts or resumes; unset once it has finished (or QBO refused it). */
  let backfillFrom: BackfillInput | undefined =
    carried.backfillFrom ??
    (input.backfill && !input.carried ? { connectionId: input.connectionId } : undefined);
  let state: ConnectionState = backfillFrom ? 'backfilling' : 'syncing';
  let stopping = false;
  let lastCursor: string | undefined;
  let lastError: string | undefined;
  let cycles = 0;
  /** Events for the CRM were stored this turn, and the account's webhook dispatcher has not been told yet. */
  let eventsWaiting = false;

  setHandler(inboxWaitingSignal, () => void (inboxWaiting = true));
  setHandler(syncNowSignal, () => void (syncRequested = true));
  const pendingContacts = new Set(carried.pendingContacts ?? []);
  setHandler(contactsChangedSignal, ({ crmContactIds }) => {
    for (const id of crmContactIds) pendingContacts.add(id);
  });
  setHandler(disconnectSignal, () => void (stopping = true));
  let pollIntervalSeconds = input.pollIntervalSeconds;
  setHandler(settingsChangedSignal, (settings) => {
    pollIntervalSeconds = settings.pollIntervalSeconds;
    // Wake up so the wait for the next poll is measured with the new interval.
    syncRequested = true;
  });
  setHandler(reconnectedSignal, () => {
    if (state === 'needs_reauth') setState('syncing');
    syncRequested = true;
  });
  setHandler(statusQuery, () => ({
    state,
    ...(lastPollAt !== undefined ? { lastPollAt: new Date(lastPollAt).toISOString() } : {}),
    ...(lastCursor !== undefined ? { lastCursor } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
    totals,
    cyclesThisRun: cycles,
  }));

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    upsertSearchAttributes([{ key: searchAttributes.connectionStatus, value: next }]);
  }

  /** Runs an activity or child; a dead grant parks the connection until it is reconnected, anything else is recorded. */
  async function attempt(work: () => Promise<void>): Promise<'done' | 'retry-later' | 'rejected'> {
    try {
      await work();
      lastError = undefined;
      return 'done';
    } catch (error) {
      if (isNeedsReauth(error)) {
        setState('needs_reauth');
        return 'retry-later';
      }
      const cause = rootCause(error);
      lastError = cause instanceof Error ? cause.message : String(cause);
      // QBO refused the work itself: trying again would only repeat the refusal (it is recorded as lastError).
      return cause instanceof ApplicationFailure && cause.type === failureTypes.qboRejected
        ? 'rejected'
        : 'retry-later';
    }
  }

  /**
   * Runs the backfill from where it stands. A dead grant parks the connection with the backfill's place kept, so a
   * reconnect resumes it rather than leaving the company half read and CDC without its starting cursor.
   */
  async function backfill(from: BackfillInput): Promise<void> {
    setState('backfilling');
    const outcome = await attempt(async () => {
      const result = await executeChild(backfillWorkflow, {
        workflowId: `${workflowInfo().workflowId}/backfill`,
        args: [from],
      });
      if (result.resumeFrom) {
        backfillFrom = result.resumeFrom;
        setState('needs_reauth');
      } else backfillFrom = undefined;
    });
    // Any other failure is recorded as lastError and not retried in a loop (the child already retried its pages).
    if (outcome !== 'done' && state !== 'needs_reauth') backfillFrom = undefined;
    if (state === 'backfilling') setState('syncing');
    // The backfill's end is news for the CRM (`backfill_completed`: read the feed now).
    eventsWaiting = true;
  }

  if (state === 'backfilling' && backfillFrom) await backfill(backfillFrom);

  while (!stopping) {
    const dueAt = (lastPollAt ?? 0) + pollIntervalSeconds * 1000;
    const ready = (): boolean =>
      stopping ||
      (state === 'syncing' &&
        (pendingContacts.size > 0 || inboxWaiting || syncRequested || Date.now() >= dueAt));
    // Parked (needs_reauth) connections wait for a signal only; syncing ones also for the next poll.
    if (state === 'syncing') await condition(ready, Math.max(dueAt - Date.now(), 1));
    else await condition(ready);
    if (stopping) break;
    if (state !== 'syncing') continue;
    if (backfillFrom && patched('backfill-resumes-after-reauth')) {
      await backfill(backfillFrom);
      continue;
    }

    if (pendingContacts.size > 0) {
      // CRM changes first: a contact PUT should reach QBO within a second.
      const batch = [...pendingContacts].slice(0, contactsPerBatch);
      batch.forEach((id) => pendingContacts.delete(id));
      const outcome = await attempt(async () => {
        const result = await pushContacts({ connectionId: input.connectionId, crmContactIds: batch });
        totals.pushed = (totals.pushed ?? 0) + result.created + result.updated;
        eventsWaiting ||= result.eventsRecorded > 0;
      });
      // Contacts are never dropped because QBO or a worker was down: they wait for the next turn.
      if (outcome === 'retry-later') batch.forEach((id) => pendingContacts.add(id));
    }
    if (inboxWaiting) {
      inboxWaiting = false;
      await attempt(async () => {
        const result = await drainInbox({ connectionId: input.connectionId });
        totals.applied += result.applied;
        totals.deleted += result.deleted;
        eventsWaiting ||= result.eventsRecorded > 0;
        if (result.remaining) inboxWaiting = true;
      });
    }
    if (syncRequested || Date.now() >= dueAt) {
      syncRequested = false;
      await attempt(async () => {
        const result = await pollChanges({ connectionId: input.connectionId });
        totals.polls += 1;
        totals.applied += result.applied;
        totals.deleted += result.deleted;
        eventsWaiting ||= result.eventsRecorded > 0;
        lastCursor = result.cursor;
      });
      lastPollAt = Date.now();
    }
    if (eventsWaiting) {
      // The account's dispatcher delivers them; if waking it fails, the next turn with events tries again.
      const outcome = await attempt(() => announceEvents({ accountIds: [input.accountId] }));
      if (outcome === 'done') eventsWaiting = false;
    }

    cycles += 1;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof connectionWorkflow>({
        ...input,
        pollIntervalSeconds,
        carried: {
          pendingContacts: [...pendingContacts],
          inboxWaiting,
          syncRequested,
          lastPollAt,
          totals,
          ...(backfillFrom ? { backfillFrom } : {}),
        },
      });
    }
  }
  setState('disconnected');
  return 'disconnected';
}
