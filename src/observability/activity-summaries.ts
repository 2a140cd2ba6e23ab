import type { Connection as MongoConnection } from 'mongoose';
import type { Activities } from '../activities';
import type { SyncCounts } from '../activities/connection-sync';
import type { PushCounts } from '../activities/push-contacts';
import { connectionModel } from '../db/models/connection';

/** One line saying what an activity run did, for the person reading the worker's log. */
export interface RunSummary {
  /** `debug` when nothing happened worth an ops person's attention (an empty poll, say). */
  level: 'debug' | 'info' | 'warn';
  message: string;
  fields?: Record<string, unknown>;
}

type Input<Name extends keyof Activities> = Parameters<Activities[Name]>[0];
type Result<Name extends keyof Activities> = Awaited<ReturnType<Activities[Name]>>;
type Summaries = {
  [Name in keyof Activities]?: (
    result: Result<Name>,
    input: Input<Name>,
    db: MongoConnection,
  ) => RunSummary | Promise<RunSummary>;
};

const quietUnless = (happened: boolean): RunSummary['level'] => (happened ? 'info' : 'debug');

function contactsPushed(counts: PushCounts): RunSummary {
  const written = counts.created + counts.linked + counts.updated;
  return {
    level: quietUnless(written + counts.rejected + counts.deleted + counts.conflicts > 0),
    message: `contacts pushed to QuickBooks: ${written} written, ${counts.conflicts} conflicts, ${counts.rejected} refused`,
    fields: { counts },
  };
}

function backfillProgress(pages: Result<'backfillPages'>, input: Input<'backfillPages'>): RunSummary {
  return {
    level: 'info',
    message: `backfill progress: ${input.entity} from ${input.startPosition}, ${pages.rows} read`,
    fields: { rows: pages.rows, applied: pages.applied, done: pages.nextStartPosition === undefined },
  };
}

/**
 * What each activity's result says, in one place, so domain code carries no log calls: counts per turn of the sync,
 * backfill progress and totals, reminders, deliveries. An activity without an entry gets a debug line.
 */
const summaries: Summaries = {
  pushContact: contactsPushed,
  pushContacts: contactsPushed,
  pollChanges: (result) =>
    appliedFromQbo('poll', result, {
      ...(result.cappedEntities.length > 0 ? { cappedEntities: result.cappedEntities } : {}),
      ...(result.reconcileNeeded ? { reconcileNeeded: true } : {}),
    }),
  drainInbox: (result) => appliedFromQbo('webhooks', result),
  pullCustomer: (result, input) => ({
    level: quietUnless(result.contactsUpdated + result.conflicts > 0),
    message: `customer ${input.qboCustomerId} pulled into its contact: ${result.contactsUpdated} updated, ${result.conflicts} conflicts`,
    fields: { ...result, channel: input.channel },
  }),
  beginBackfill: () => ({ level: 'info', message: 'backfill started: reading the whole company' }),
  backfillPages: backfillProgress,
  backfillPage: backfillProgress,
  finishBackfill: async (_result, input, db) => {
    const connection = await connectionModel(db).findById(input.connectionId, { backfill: 1 }).lean();
    const totals = connection?.backfill?.counts ?? {};
    const records = Object.values(totals).reduce((sum, count) => sum + count, 0);
    return { level: 'info', message: `backfill finished: ${records} records read`, fields: { totals } };
  },
  deliverWebhooks: (outcome) =>
    outcome.failed > 0
      ? {
          level: 'warn',
          message: `webhook deliveries failing: ${outcome.failed} failed, ${outcome.delivered} delivered`,
          fields: { ...outcome },
        }
      : {
          level: quietUnless(outcome.delivered > 0),
          message: `webhooks delivered to the CRM: ${outcome.delivered}`,
          fields: { ...outcome },
        },
  planFollowUps: (result) => ({
    level: quietUnless(result.created > 0),
    message: `follow-ups planned: ${result.created}`,
    fields: { created: result.created },
  }),
  deliverFollowUps: (result) => ({
    level: quietUnless(result.delivered + result.cancelled > 0),
    message: result.quiet
      ? 'reminders held: quiet hours in the company’s time zone'
      : `reminders sent: ${result.delivered}, cancelled: ${result.cancelled}`,
    fields: { delivered: result.delivered, cancelled: result.cancelled, quiet: result.quiet },
  }),
  cancelSettledFollowUps: (result) => ({
    level: quietUnless(result.cancelled > 0),
    message: `follow-ups cancelled, their documents settled: ${result.cancelled}`,
    fields: { cancelled: result.cancelled },
  }),
  refreshContactAr: (result) => ({
    level: quietUnless(result.tagChanges > 0),
    message: `contact tags refreshed: ${result.tagChanges} changed of ${result.recomputed}`,
    fields: { recomputed: result.recomputed, tagChanges: result.tagChanges },
  }),
  undoSyncEvent: (result) => ({
    level: result.outcome === 'undone' ? 'info' : 'warn',
    message: `undo of sync event ${result.eventId}: ${result.outcome}`,
    fields: { outcome: result.outcome },
  }),
};

/** A turn of QBO → CRM, read by a poll or from webhooks; `more` is worth an ops person's attention by itself. */
function appliedFromQbo(
  source: 'poll' | 'webhooks',
  counts: SyncCounts,
  more: Record<string, unknown> = {},
): RunSummary {
  return {
    level: quietUnless(counts.applied + counts.deleted > 0 || Object.keys(more).length > 0),
    message:
      `changes applied from QuickBooks (${source}): ${counts.applied} applied, ${counts.deleted} deleted, ` +
      `${counts.contactsUpdated} contacts updated, ${counts.conflicts} conflicts`,
    fields: {
      applied: counts.applied,
      unchanged: counts.unchanged,
      deleted: counts.deleted,
      contactsUpdated: counts.contactsUpdated,
      conflicts: counts.conflicts,
      eventsRecorded: counts.eventsRecorded,
      // With the QBO → CRM lane, linked customers are merged by a pull each (`pullCustomer` lines).
      ...(counts.customersToPull ? { customersToPull: counts.customersToPull.length } : {}),
      ...more,
    },
  };
}

export async function summarize(
  activityType: string,
  result: unknown,
  input: unknown,
  db: MongoConnection,
): Promise<RunSummary> {
  const summary = (summaries as Record<string, Summaries[keyof Summaries]>)[activityType] as
    ((result: unknown, input: unknown, db: MongoConnection) => RunSummary | Promise<RunSummary>) | undefined;
  return summary ? summary(result, input, db) : { level: 'debug', message: `${activityType} completed` };
}
