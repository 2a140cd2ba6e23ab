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
import type { PullChannel } from '../activities/connection-sync';
import { failureTypes } from '../activities/failure-types';
import {
  defaultActivePollIntervalSeconds,
  idlePollSweep,
  idlePollsSwept,
  pollEverySeconds,
} from '../sync/polling';
import { searchAttributes } from '../temporal/search-attributes';
import { backfillWorkflow } from './backfill';
import type { BackfillInput } from './backfill-messages';
import {
  contactsChangedSignal,
  disconnectSignal,
  backfillRunningFailure,
  inboxWaitingSignal,
  pauseUpdate,
  reconnectedSignal,
  resumeUpdate,
  settingsChangedSignal,
  statusQuery,
  syncNowSignal,
  type ConnectionState,
  type ConnectionWorkflowInput,
  type ConnectionWorkflowStatus,
} from './connection-messages';
import { isNeedsReauth, rootCause } from './failures';
import { Lane } from './lane';

/**
 * One long-running workflow per QBO connection (`connection:<id>`), in lanes that never wait for each other:
 * CRM → QBO, one activity per changed contact, a few at a time and never two for one contact; and QBO → CRM,
 * which reads QBO's changes into the projections (webhook events as they are signalled, and CDC polls as the
 * backstop for lost webhooks, often while the company is active and rarely while it is idle) and then pulls each
 * changed customer into its linked contact, again one activity per customer. It continues as new before its
 * history grows large, and carries ids and counters only; records live in MongoDB.
 */
const { pollChanges, drainInbox, pushContact, pushContacts, pullCustomer, announceEvents } =
  proxyActivities<Activities>({
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

/** Contacts written per activity run before the lanes (`patched('lanes')`). */
const contactsPerBatch = 25;
/**
 * Contact pushes in flight per connection. QBO takes 10 requests in flight per company: the rest is headroom for
 * the QBO lane, a backfill's pages and other connections to the same company.
 */
const pushesInFlight = 4;
/**
 * Customer pulls in flight per connection. A pull reads and writes the database only, never QBO, so these take
 * nothing from the company's 10 requests; the bound keeps a burst of changes from crowding the database.
 */
const pullsInFlight = 4;

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
  /** When the company last changed on either side (a webhook, a CRM edit, a poll that found something). */
  let lastActiveAt = carried.lastActiveAt;
  let pollIntervalSeconds = input.pollIntervalSeconds;
  let activePollIntervalSeconds = input.activePollIntervalSeconds ?? defaultActivePollIntervalSeconds;
  const pollSettings = () => ({ pollIntervalSeconds, activePollIntervalSeconds });
  // Workflows begun before the lanes finish their run the old way and take the lanes at their continue-as-new.
  const lanes = patched('lanes');
  // Runs with the lanes begun before the QBO → CRM lane merge QBO's changes inside their polls and drains.
  const qboLane = lanes && patched('qbo-lane');
  // Runs begun since leave their idle polls to the task queue's sweep (src/sync/polling.ts, idlePollSweep).
  const idleSwept = qboLane && patched('idle-polls-swept');
  const totals = { ...carried.totals };
  /** Where the company's backfill starts or resumes; unset once it has finished (or QBO refused it). */
  let backfillFrom: BackfillInput | undefined =
    carried.backfillFrom ??
    (input.backfill && !input.carried ? { connectionId: input.connectionId } : undefined);
  let state: ConnectionState = backfillFrom ? 'backfilling' : 'syncing';
  /**
   * Paused: the lanes start nothing and the loop neither polls nor drains, while signals still queue their ids. No
   * patch guards it: every step it changes runs only in a history holding a pause, which no older run has.
   */
  let paused = carried.paused ?? false;
  let stopping = false;
  let lastCursor: string | undefined;
  let lastError: string | undefined;
  let cycles = 0;
  /** The company turned active while the loop waited out an idle interval (see ownPollSeconds). */
  let pollWaitChanged = false;
  /** Events for the CRM were stored this turn, and the account's webhook dispatcher has not been told yet. */
  let eventsWaiting = false;

  setHandler(inboxWaitingSignal, () => {
    inboxWaiting = true;
    lastActiveAt = Date.now();
  });
  setHandler(syncNowSignal, () => void (syncRequested = true));
  /** CRM → QBO: changed contacts, each pushed by its own activity. */
  const pushes = new Lane<undefined>(
    pushesInFlight,
    (carried.pendingContacts ?? []).map((id) => [id, undefined] as const),
  );
  /** QBO → CRM: changed customers with a linked contact, by how the change was seen, each pulled on its own. */
  const pulls = new Lane<PullChannel>(pullsInFlight, Object.entries(carried.pendingCustomers ?? {}));
  setHandler(contactsChangedSignal, ({ crmContactIds }) => {
    for (const id of crmContactIds) pushes.queue(id, undefined);
    // A company the sweep was polling turns active: the wait for the next poll is measured again, shorter.
    if (idleSwept && idlePollsSwept(pollSettings(), lastActiveAt, Date.now())) pollWaitChanged = true;
    lastActiveAt = Date.now();
  });
  setHandler(disconnectSignal, () => void (stopping = true));
  setHandler(settingsChangedSignal, (settings) => {
    pollIntervalSeconds = settings.pollIntervalSeconds;
    activePollIntervalSeconds = settings.activePollIntervalSeconds ?? activePollIntervalSeconds;
    // Wake up so the wait for the next poll is measured with the new interval.
    syncRequested = true;
  });
  setHandler(reconnectedSignal, () => {
    if (state === 'needs_reauth') setState('syncing');
    syncRequested = true;
  });
  const status = (): ConnectionWorkflowStatus => ({
    state,
    ...(lastPollAt !== undefined ? { lastPollAt: new Date(lastPollAt).toISOString() } : {}),
    ...(lastCursor !== undefined ? { lastCursor } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
    totals,
    cyclesThisRun: cycles,
    pollEverySeconds: pollInterval(),
    pushesInFlight: pushes.running.size,
    contactsWaiting: pushes.waiting.size,
    ...(qboLane ? { pullsInFlight: pulls.running.size, customersWaiting: pulls.waiting.size } : {}),
    webhooksWaiting: inboxWaiting,
    paused,
  });
  setHandler(statusQuery, status);
  setHandler(
    pauseUpdate,
    () => {
      paused = true;
      return status();
    },
    {
      validator: () => {
        // The backfill is a child with its own pages: pausing it halfway would leave the company half read.
        if (!paused && (state === 'backfilling' || backfillFrom))
          throw ApplicationFailure.nonRetryable(
            'the company’s backfill has not finished; pause once it has',
            backfillRunningFailure,
          );
      },
    },
  );
  setHandler(resumeUpdate, () => {
    if (paused) {
      paused = false;
      // Webhooks may have been lost meanwhile: a poll covers the gap.
      syncRequested = true;
    }
    return status();
  });

  /** The poll interval now (before the lanes, always the idle one). */
  function pollInterval(): number {
    return lanes ? pollEverySeconds(pollSettings(), lastActiveAt, Date.now()) : pollIntervalSeconds;
  }

  /**
   * How long this workflow waits before polling by itself. An idle company the sweep serves is woken by the sweep
   * when it changed, so the workflow's own timer is only the fallback for a sweep that is not running.
   */
  function ownPollSeconds(): number {
    return idleSwept && idlePollsSwept(pollSettings(), lastActiveAt, Date.now())
      ? pollIntervalSeconds * idlePollSweep.fallbackFactor
      : pollInterval();
  }

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

  function historyFull(): boolean {
    return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;
  }

  /** Set before continue-as-new: no new pushes or pulls start, and the running ones finish in this run. */
  let winding = false;
  const lanesOpen = (): boolean => state === 'syncing' && !paused;
  const lanesClosed = (): boolean => stopping || winding;

  /** CRM → QBO: one activity per contact, named for it; true when it should be pushed again later. */
  async function pushOne(crmContactId: string): Promise<boolean> {
    const outcome = await attempt(async () => {
      const result = await pushContact.executeWithOptions({ summary: `CRM → QBO: contact ${crmContactId}` }, [
        { connectionId: input.connectionId, crmContactId },
      ]);
      totals.pushed = (totals.pushed ?? 0) + result.created + result.updated;
    });
    return outcome === 'retry-later';
  }

  /** QBO → CRM: one activity per changed customer, named for it, merging its newest projection into its contact. */
  async function pullOne(qboCustomerId: string, channel: PullChannel): Promise<boolean> {
    const outcome = await attempt(async () => {
      const result = await pullCustomer.executeWithOptions(
        { summary: `QBO → CRM: customer ${qboCustomerId}` },
        [{ connectionId: input.connectionId, qboCustomerId, channel }],
      );
      totals.pulled = (totals.pulled ?? 0) + result.contactsUpdated;
    });
    return outcome === 'retry-later';
  }

  /** Changed customers a poll or drain left to the QBO → CRM lane. */
  function queuePulls(customerIds: readonly string[] | undefined, channel: PullChannel): void {
    for (const id of customerIds ?? []) pulls.queue(id, channel);
  }

  if (lanes) void pushes.run(lanesOpen, lanesClosed, pushOne);
  if (qboLane) void pulls.run(lanesOpen, lanesClosed, pullOne);
  if (state === 'backfilling' && backfillFrom) await backfill(backfillFrom);

  while (!stopping) {
    const dueAt = (lastPollAt ?? 0) + ownPollSeconds() * 1000;
    const ready = (): boolean =>
      stopping ||
      // Paused, only a history grown by queued signals wakes the run, to continue as new still paused.
      (paused && historyFull()) ||
      (state === 'syncing' &&
        !paused &&
        ((!lanes && pushes.waiting.size > 0) ||
          inboxWaiting ||
          syncRequested ||
          pollWaitChanged ||
          Date.now() >= dueAt ||
          // The lanes' activities grow the history between turns: a burst of them continues as new without
          // waiting for the next poll.
          (qboLane && historyFull())));
    // Parked (needs_reauth) and paused connections wait for a signal only; syncing ones also for the next poll.
    if (state === 'syncing' && !paused) await condition(ready, Math.max(dueAt - Date.now(), 1));
    else await condition(ready);
    if (stopping) break;
    pollWaitChanged = false;
    if (paused && historyFull()) return continueAsNewNow();
    if (state !== 'syncing' || paused) continue;
    if (backfillFrom && patched('backfill-resumes-after-reauth')) {
      await backfill(backfillFrom);
      continue;
    }

    if (!lanes && pushes.waiting.size > 0) {
      // CRM changes first: a contact PUT should reach QBO within a second.
      const batch = [...pushes.waiting.keys()].slice(0, contactsPerBatch);
      batch.forEach((id) => pushes.waiting.delete(id));
      const outcome = await attempt(async () => {
        const result = await pushContacts({ connectionId: input.connectionId, crmContactIds: batch });
        totals.pushed = (totals.pushed ?? 0) + result.created + result.updated;
        eventsWaiting ||= result.eventsRecorded > 0;
      });
      // Contacts are never dropped because QBO or a worker was down: they wait for the next turn.
      if (outcome === 'retry-later') batch.forEach((id) => pushes.queue(id, undefined));
    }
    if (inboxWaiting) {
      inboxWaiting = false;
      await attempt(async () => {
        const result = await drainInbox({
          connectionId: input.connectionId,
          ...(qboLane ? { fanOut: true } : {}),
        });
        queuePulls(result.customersToPull, 'webhook');
        if (result.applied + result.deleted > 0) lastActiveAt = Date.now();
        totals.applied += result.applied;
        totals.deleted += result.deleted;
        eventsWaiting ||= result.eventsRecorded > 0;
        if (result.remaining) inboxWaiting = true;
      });
    }
    if (syncRequested || Date.now() >= dueAt) {
      syncRequested = false;
      await attempt(async () => {
        const result = await pollChanges({
          connectionId: input.connectionId,
          ...(qboLane ? { fanOut: true } : {}),
        });
        queuePulls(result.customersToPull, 'cdc_poll');
        totals.polls += 1;
        if (result.applied + result.deleted > 0) lastActiveAt = Date.now();
        totals.applied += result.applied;
        totals.deleted += result.deleted;
        eventsWaiting ||= result.eventsRecorded > 0;
        lastCursor = result.cursor;
      });
      lastPollAt = Date.now();
    }
    // With the lanes, each activity wakes the account's dispatcher for the events it recorded.
    if (!lanes && eventsWaiting) {
      // The account's dispatcher delivers them; if waking it fails, the next turn with events tries again.
      const outcome = await attempt(() => announceEvents({ accountIds: [input.accountId] }));
      if (outcome === 'done') eventsWaiting = false;
    }

    cycles += 1;
    if (historyFull()) return continueAsNewNow();
  }
  setState('disconnected');
  return 'disconnected';

  /** Lets the running pushes and pulls finish, then carries what waits into a fresh run. */
  async function continueAsNewNow(): Promise<never> {
    winding = true;
    await condition(() => pushes.running.size === 0 && pulls.running.size === 0 && allHandlersFinished());
    return continueAsNew<typeof connectionWorkflow>({
      ...input,
      pollIntervalSeconds,
      ...(lanes ? { activePollIntervalSeconds } : {}),
      carried: {
        pendingContacts: [...pushes.waiting.keys()],
        ...(qboLane ? { pendingCustomers: Object.fromEntries(pulls.waiting) } : {}),
        inboxWaiting,
        syncRequested,
        lastPollAt,
        ...(lastActiveAt !== undefined ? { lastActiveAt } : {}),
        totals,
        ...(backfillFrom ? { backfillFrom } : {}),
        ...(paused ? { paused } : {}),
      },
    });
  }
}
