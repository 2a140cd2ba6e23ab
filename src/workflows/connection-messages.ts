import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PullChannel } from '../activities/connection-sync';
import type { BackfillInput } from './backfill-messages';

/** The connection workflow's input, signals and query: shared by the workflow and the API that talks to it. */
export interface ConnectionWorkflowInput {
  connectionId: string;
  realmId: string;
  accountId: string;
  /** Seconds between CDC polls while the company is idle. */
  pollIntervalSeconds: number;
  /** Seconds between CDC polls while the company is active (changed in the last few minutes); default 10. */
  activePollIntervalSeconds?: number;
  /** Read the whole company before polling (a new connection, or one past CDC's 30-day horizon). */
  backfill?: boolean;
  carried?: CarriedState;
}

interface CarriedState {
  /** CRM contacts changed and not yet written to QBO. */
  pendingContacts?: string[];
  /** QBO customers changed and not yet pulled into their linked contacts, with how each change was seen. */
  pendingCustomers?: Record<string, PullChannel>;
  inboxWaiting: boolean;
  syncRequested: boolean;
  lastPollAt?: number;
  lastActiveAt?: number;
  /** `pulled`: contacts that took QBO's changes through the QBO → CRM lane. */
  totals: { polls: number; applied: number; deleted: number; pushed?: number; pulled?: number };
  /** A backfill the grant interrupted, to resume once reconnected. */
  backfillFrom?: BackfillInput;
  /** Paused by an operator or the CRM (`pauseUpdate`): carried so a paused run stays paused. */
  paused?: boolean;
}

export type ConnectionState = 'backfilling' | 'syncing' | 'needs_reauth' | 'disconnected';

export interface ConnectionWorkflowStatus {
  state: ConnectionState;
  lastPollAt?: string;
  lastCursor?: string;
  totals: CarriedState['totals'];
  lastError?: string;
  cyclesThisRun: number;
  /** The poll interval in force: the active one while the company has changed lately. Absent before the lanes. */
  pollEverySeconds?: number;
  pushesInFlight?: number;
  /** Changed contacts waiting for a push slot. */
  contactsWaiting?: number;
  /** With the QBO → CRM lane: customer pulls running, and changed customers waiting for a slot. */
  pullsInFlight?: number;
  customersWaiting?: number;
  /** Intuit's webhooks are waiting in the inbox for this run to apply them. */
  webhooksWaiting?: boolean;
  /** Paused: no QBO request and no change applied either way; contacts and webhooks wait until it resumes. */
  paused?: boolean;
}

/** A webhook delivery for this realm is in the inbox. Carries nothing: the inbox is the source of truth. */
export const inboxWaitingSignal = defineSignal('inboxWaiting');
export const syncNowSignal = defineSignal('syncNow');
/** CRM contacts changed (their records are already stored); ids only. */
export const contactsChangedSignal = defineSignal<[{ crmContactIds: string[] }]>('contactsChanged');

/** Ids per `contactsChanged` signal: many contacts go in several, each far below Temporal's payload limit. */
export const contactsPerSignal = 500;

/** The `contactsChanged` signals that announce these contacts, in order. */
export function contactsChangedChunks(crmContactIds: readonly string[]): { crmContactIds: string[] }[] {
  const chunks: { crmContactIds: string[] }[] = [];
  for (let start = 0; start < crmContactIds.length; start += contactsPerSignal)
    chunks.push({ crmContactIds: crmContactIds.slice(start, start + contactsPerSignal) });
  return chunks;
}
export const reconnectedSignal = defineSignal('reconnected');
/** The connection's settings changed; activities read the rest from its record, the workflow needs only this. */
export const settingsChangedSignal =
  defineSignal<[{ pollIntervalSeconds: number; activePollIntervalSeconds?: number }]>('settingsChanged');
export const disconnectSignal = defineSignal('disconnect');
export const statusQuery = defineQuery<ConnectionWorkflowStatus>('status');

/**
 * Pauses the sync: nothing new starts in either direction (work already running finishes; the answer counts it),
 * while contacts and webhooks are still queued. Refused while the company's backfill runs or waits to resume.
 * Answers once the workflow holds the pause; pausing a paused run changes nothing.
 */
export const pauseUpdate = defineUpdate<ConnectionWorkflowStatus>('pause');
/** Lifts a pause: what was queued meanwhile is synced, and a CDC poll covers the gap. A no-op when not paused. */
export const resumeUpdate = defineUpdate<ConnectionWorkflowStatus>('resume');
/** The failure type a refused pause carries. */
export const backfillRunningFailure = 'BackfillRunning';
