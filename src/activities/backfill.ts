import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel, settingsOf } from '../db/models/connection';
import { applyRecords, isTransactionType, type ProjectedEntity } from '../projections/apply';
import { connectionStatusEvent, recordAccountEvents } from '../outbound/events';
import { maxPageSize, qboQuery, selectEverything, type Customer } from '../qbo';
import { historyStart } from '../sync/transaction-history';
import { companyToday } from '../time/company-zone';
import { pullCustomerChanges } from '../contacts/pull';
import type { RetentionSettings } from '../db/retention';
import { announceRecorded } from './announce';
import { projectionContext } from './projection-context';
import type { QboAccess } from './qbo-access';
import { refreshCustomFieldDefinitions } from '../connections/custom-fields';

/**
 * Which records of an entity a backfill reads: customers and items made inactive still exist (name-list queries
 * hide them unless asked), and transactions from the window's first day when it has one.
 */
export function backfillFilter(entity: ProjectedEntity, transactionsSince: string | undefined): string {
  if (entity === 'Customer' || entity === 'Item') return ' where Active in (true, false)';
  return transactionsSince && isTransactionType(entity)
    ? qboQuery` where TxnDate >= ${transactionsSince}`
    : '';
}

/**
 * Pages overlap by this many records. Paging is by position, and a transaction deleted during the backfill shifts
 * the positions after it; the overlap keeps such a shift from skipping a record (re-reading one costs nothing).
 */
export const backfillPageOverlap = 100;

/**
 * How long one backfill activity keeps reading pages before handing back to its workflow: long enough that the
 * workflow's turns between activities are a small share of the time, short enough that a retry re-reads little.
 */
const pagesRunMs = 10_000;

export interface BackfillPagesInput {
  connectionId: string;
  entity: ProjectedEntity;
  startPosition: number;
}

export interface BackfillPageResult {
  rows: number;
  applied: number;
  /** Where the next run starts, or undefined when this entity is done. */
  nextStartPosition?: number;
}

export interface BackfillDependencies {
  db: MongoConnection;
  qbo: QboAccess;
  retention?: RetentionSettings;
  now?: () => Date;
}

export function createBackfillActivities(deps: BackfillDependencies) {
  const now = deps.now ?? (() => new Date());
  const connections = () => connectionModel(deps.db);

  /** Reads pages from `startPosition` until `keepReadingMs` have passed (at least one), a page's write overlapping
   * the next page's request. */
  async function readPages(
    { connectionId, entity, startPosition }: BackfillPagesInput,
    keepReadingMs: number,
  ): Promise<BackfillPageResult> {
    const started = Date.now();
    const { connection, client } = await deps.qbo.open(connectionId);
    const where = backfillFilter(entity, connection.backfill?.transactionsSince);
    const request = (start: number) => {
      const page = client.query(
        `${selectEverything(entity)}${where} orderby Id startposition ${start} maxresults ${maxPageSize}`,
        { entity },
      );
      // Awaited below, once the page before it is written; a failure then is the activity's.
      page.catch(() => undefined);
      return page;
    };
    const result: BackfillPageResult = { rows: 0, applied: 0 };
    let start = startPosition;
    let next = request(start);
    for (;;) {
      const page = await next;
      const nextStart =
        page.rows.length === maxPageSize ? start + maxPageSize - backfillPageOverlap : undefined;
      const more = nextStart !== undefined && Date.now() - started < keepReadingMs;
      if (more) next = request(nextStart);
      result.rows += page.rows.length;
      result.applied += await storePage(connection, entity, start, page.rows);
      if (!more) return nextStart === undefined ? result : { ...result, nextStartPosition: nextStart };
      start = nextStart;
    }
  }

  /** A page into the projections, the contacts linked to its customers, and the progress on the connection. */
  async function storePage(
    connection: Awaited<ReturnType<QboAccess['open']>>['connection'],
    entity: ProjectedEntity,
    startPosition: number,
    rows: Parameters<typeof applyRecords>[2],
  ): Promise<number> {
    const at = now();
    const projection = projectionContext(deps.db, connection, deps.qbo.settings.environment, at);
    const counts = await applyRecords(projection, entity, rows, { expectNew: true });
    // A reconciling backfill can find changes to linked contacts; the CRM reads the rest from the feed.
    if (entity === 'Customer')
      await pullCustomerChanges(
        {
          db: deps.db,
          connection,
          projection,
          ...(deps.retention ? { retention: deps.retention } : {}),
          channel: 'backfill',
          now: at,
        },
        counts.changed as { record: Customer; created: boolean }[],
        { announceChanges: false },
      );
    await connections().updateOne(
      { _id: connection._id },
      { $set: { 'backfill.entity': entity, [`backfill.counts.${entity}`]: startPosition - 1 + rows.length } },
    );
    return counts.applied;
  }

  return {
    /**
     * Reads the company's custom field definitions, marks the backfill running and returns QBO's own "now", read
     * from a CDC answer: once the backfill is done, CDC continues from there, so changes made while it ran are not
     * missed (at worst they are read twice). The connection's transaction history window is fixed here, so every
     * page of this backfill reads the same one.
     */
    async beginBackfill({ connectionId }: { connectionId: string }): Promise<{ cursorAtStart: string }> {
      const { connection, client } = await deps.qbo.open(connectionId);
      // Before any customer is read: the custom fields it maps are merged as soon as it is.
      await refreshCustomFieldDefinitions(deps.db, deps.qbo, connectionId, now());
      const { time } = await client.cdc(['Customer'], new Date(now().getTime() - 60_000));
      const since = historyStart(settingsOf(connection).transactionHistory, companyToday(now(), connection));
      await connections().updateOne(
        { _id: connectionId },
        {
          $set: {
            backfill: {
              status: 'running',
              startedAt: now(),
              counts: {},
              ...(since ? { transactionsSince: since } : {}),
            },
          },
        },
      );
      return { cursorAtStart: time };
    },

    /**
     * An entity from `startPosition` on, page after page for a few seconds, each page's request in flight while the
     * page before it is written; answers where the next run starts. Idempotent, so safe to retry.
     */
    backfillPages(input: BackfillPagesInput): Promise<BackfillPageResult> {
      return readPages(input, pagesRunMs);
    },

    /** One page: what backfills that began before `backfillPages` still run. */
    backfillPage(input: BackfillPagesInput): Promise<BackfillPageResult> {
      return readPages(input, 0);
    },

    /** Hands over to CDC from the moment the backfill began. */
    async finishBackfill({
      connectionId,
      cursorAtStart,
    }: {
      connectionId: string;
      cursorAtStart: string;
    }): Promise<void> {
      const at = now();
      const connection = await connections()
        .findOneAndUpdate(
          { _id: connectionId },
          {
            $set: {
              cdcCursor: cursorAtStart,
              reconcileNeeded: false,
              'backfill.status': 'done',
              'backfill.finishedAt': at,
            },
            $unset: { 'backfill.entity': 1 },
          },
        )
        .lean();
      // Tells the CRM the initial load is ready in the contacts feed, from here rather than a workflow turn later.
      if (connection) {
        await recordAccountEvents(
          deps.db,
          connection.accountId,
          [
            connectionStatusEvent(
              connection,
              'backfill_completed',
              'the initial read of QuickBooks finished',
              at,
            ),
          ],
          at,
        );
        await announceRecorded(connection.accountId, 1);
      }
    },
  };
}
