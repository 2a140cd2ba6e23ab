import { Context } from '@temporalio/activity';
import type { Activities } from '../../src/activities';
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
  /** Each pushContacts batch's contact ids. */
  pushes: string[][];
  announcements: string[][];
}

/**
 * The connection workflow's activities, each doing nothing but recording the call: a poll finds no changes, the
 * inbox is empty, every contact is created. A test replaces one to make it fail or report more.
 */
export function fakeConnectionActivities() {
  const calls: ConnectionCalls = { polls: [], drains: [], pushes: [], announcements: [] };
  const counts = { applied: 0, unchanged: 0, deleted: 0, eventsRecorded: 0 };
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
    pushContacts({ crmContactIds }: { crmContactIds: string[] }): Promise<Result<'pushContacts'>> {
      calls.pushes.push(crmContactIds);
      return Promise.resolve({
        created: crmContactIds.length,
        linked: 0,
        updated: 0,
        unchanged: 0,
        conflicts: 0,
        rejected: 0,
        eventsRecorded: crmContactIds.length,
      });
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
    backfillPage({ entity, startPosition }: { entity: string; startPosition: number }) {
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
