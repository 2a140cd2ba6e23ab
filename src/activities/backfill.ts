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

export interface BackfillPageResult {
  rows: number;
  applied: number;
  /** Where the next page starts, or undefined when this entity is done. */
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

    /** One page of one entity through the Query API, applied to the projections; idempotent, so safe to retry. */
    async backfillPage({
      connectionId,
      entity,
      startPosition,
    }: {
      connectionId: string;
      entity: ProjectedEntity;
      startPosition: number;
    }): Promise<BackfillPageResult> {
      const { connection, client } = await deps.qbo.open(connectionId);
      const statement =
        selectEverything(entity) +
        backfillFilter(entity, connection.backfill?.transactionsSince) +
        ` orderby Id startposition ${startPosition} maxresults ${maxPageSize}`;
      const page = await client.query(statement, { entity });
      const at = now();
      const projection = projectionContext(deps.db, connection, deps.qbo.settings.environment, at);
      const counts = await applyRecords(projection, entity, page.rows, { expectNew: true });
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
      const readSoFar = startPosition - 1 + page.rows.length;
      await connections().updateOne(
        { _id: connectionId },
        { $set: { 'backfill.entity': entity, [`backfill.counts.${entity}`]: readSoFar } },
      );
      const full = page.rows.length === maxPageSize;
      return {
        rows: page.rows.length,
        applied: counts.applied,
        ...(full ? { nextStartPosition: startPosition + maxPageSize - backfillPageOverlap } : {}),
      };
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
