import type { Connection as MongoConnection } from 'mongoose';
import { applyCustomerMerge } from '../contacts/customer-merges';
import type { EngineContext } from '../contacts/engine';
import {
  customersBehindTheirContacts,
  pullCustomerById,
  pullCustomerChanges,
  type PullResult,
} from '../contacts/pull';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import type { RetentionSettings } from '../db/retention';
import type { SyncChannel } from '../history/sync-events';
import { markApplied, pendingEvents } from '../ingest/inbox';
import {
  applyRecords,
  applyTransactionDeleted,
  isTransactionType,
  type ProjectedEntity,
} from '../projections/apply';
import { customerKey, qboCustomerModel } from '../projections/models';
import { announceProducts } from '../products/events';
import { qboQuery, QboApiError, type Customer, type QboClient } from '../qbo';
import { syncedEntities, type SyncedEntity } from '../sync/transactions';
import type { QboTransactionRecord as QboTransactionJson } from '../sync/transactions';
import { announceRecorded } from './announce';
import { projectionContext } from './projection-context';
import { carryTransactionChanges } from './transaction-changes';
import type { QboAccess } from './qbo-access';

const dayMs = 86_400_000;
/** CDC "can track changes within the last 30 days"; stay a day inside it. */
const cdcHorizonMs = 29 * dayMs;
/** Inbox events applied per activity run; the workflow comes back for more. */
const inboxBatchSize = 200;
/**
 * Customer ids one poll or drain hands to the workflow's QBO → CRM lane, far below Temporal's payload limit. A
 * drain names at most two per event, so only a poll over a bulk change passes it; the rest it merges itself.
 */
const maxHandedOff = 500;

/** How the QBO → CRM lane's pulls came to see the change: what `pullCustomer` records as the channel. */
export type PullChannel = Extract<SyncChannel, 'webhook' | 'cdc_poll'>;

/** Which shape the connection workflow runs: with its QBO → CRM lane, linked customers come back to it as ids. */
interface SyncInput {
  connectionId: string;
  fanOut?: boolean;
}

export interface SyncCounts {
  applied: number;
  unchanged: number;
  deleted: number;
  /** Linked contacts that took QBO's changes, and the fields both sides changed (recorded as conflicts). */
  contactsUpdated: number;
  conflicts: number;
  /** Events stored for the CRM (the activity has woken the account's webhook dispatcher for them). */
  eventsRecorded: number;
  /** With `fanOut`: changed customers with a linked contact, for the workflow to pull each on its own. */
  customersToPull?: string[];
}

export interface PollResult extends SyncCounts {
  cursor: string;
  /** Entities that hit CDC's 1,000-object cap and were read through the Query API instead. */
  cappedEntities: string[];
  reconcileNeeded: boolean;
}

export interface ConnectionSyncDependencies {
  db: MongoConnection;
  qbo: QboAccess;
  retention?: RetentionSettings;
  now?: () => Date;
}

interface SyncTarget {
  engine: EngineContext;
  counts: SyncCounts;
  /** Linked customers left to the workflow's lane (`fanOut`), rather than merged here. */
  toPull?: Set<string>;
}

function emptyCounts(): SyncCounts {
  return { applied: 0, unchanged: 0, deleted: 0, contactsUpdated: 0, conflicts: 0, eventsRecorded: 0 };
}

function addCounts(counts: SyncCounts, pulled: PullResult): void {
  counts.contactsUpdated += pulled.contactsUpdated;
  counts.conflicts += pulled.conflicts;
  counts.eventsRecorded += pulled.eventsRecorded;
}

/** The lane's share of the linked customers, up to `maxHandedOff`; any beyond are merged here, as without the lane. */
async function handOff(target: SyncTarget): Promise<Pick<SyncCounts, 'customersToPull'>> {
  if (!target.toPull) return {};
  const ids = [...target.toPull];
  for (const id of ids.slice(maxHandedOff))
    addCounts(target.counts, await pullCustomerById(target.engine, id));
  return { customersToPull: ids.slice(0, maxHandedOff) };
}

async function applyPage(
  target: SyncTarget,
  entity: ProjectedEntity,
  records: readonly { Id?: string }[],
): Promise<void> {
  const { engine } = target;
  const result = await applyRecords(engine.projection, entity, records as (Customer | QboTransactionJson)[]);
  target.counts.applied += result.applied;
  target.counts.unchanged += result.unchanged;
  if (entity === 'Item') {
    target.counts.eventsRecorded += await announceProducts(engine, result.changed);
    return;
  }
  if (!isTransactionType(entity)) {
    const changed = result.changed as { record: Customer; created: boolean }[];
    const changedIds = new Set(changed.map(({ record }) => record.Id));
    const behind = await customersBehindTheirContacts(
      engine,
      (records as Customer[]).filter((record) => !changedIds.has(record.Id)),
    );
    const pulled = await pullCustomerChanges(engine, [...changed, ...behind], {
      announceChanges: true,
      handOff: target.toPull !== undefined,
    });
    addCounts(target.counts, pulled);
    for (const id of pulled.toPull) target.toPull?.add(id);
    return;
  }
  target.counts.eventsRecorded += await carryTransactionChanges(engine, entity, result.changed);
}

/** Where a poll reads CDC from: the cursor, or the horizon's edge when the cursor has fallen behind it. */
export function cdcWindow(connection: ConnectionRecord, at: Date): { since: Date; reconcileNeeded: boolean } {
  const since = new Date(connection.cdcCursor ?? connection.createdAt);
  if (at.getTime() - since.getTime() > cdcHorizonMs)
    return { since: new Date(at.getTime() - cdcHorizonMs), reconcileNeeded: true };
  return { since, reconcileNeeded: connection.reconcileNeeded ?? false };
}

/** When a company polled at `at` is next due an idle poll. */
function nextIdlePollAt(connection: ConnectionRecord, at: Date): Date {
  return new Date(at.getTime() + connection.settings.pollIntervalSeconds * 1000);
}

export function createConnectionSyncActivities(deps: ConnectionSyncDependencies) {
  const now = deps.now ?? (() => new Date());

  const engineContext = (connection: ConnectionRecord, channel: SyncChannel): EngineContext => {
    const at = now();
    return {
      db: deps.db,
      connection,
      projection: projectionContext(deps.db, connection, deps.qbo.settings.environment, at),
      ...(deps.retention ? { retention: deps.retention } : {}),
      channel,
      now: at,
    };
  };
  const syncTarget = (connection: ConnectionRecord, channel: SyncChannel, fanOut = false): SyncTarget => ({
    engine: engineContext(connection, channel),
    counts: emptyCounts(),
    ...(fanOut ? { toPull: new Set<string>() } : {}),
  });

  return {
    /**
     * One CDC poll: every customer and transaction changed since the cursor, applied to the projections; entities
     * over the 1,000-object cap are read in full through the Query API. The cursor moves to the server's time only
     * after everything is stored, so a crash repeats the poll rather than skipping changes.
     */
    async pollChanges({ connectionId, fanOut }: SyncInput): Promise<PollResult> {
      const { connection, client } = await deps.qbo.open(connectionId);
      const target = syncTarget(connection, 'cdc_poll', fanOut);
      const at = now();
      const { since, reconcileNeeded } = cdcWindow(connection, at);
      const result = await client.cdc([...syncedEntities], since);
      const cappedEntities: string[] = [];
      for (const entity of syncedEntities) {
        const changes = result.changes[entity];
        if (changes.capped) {
          cappedEntities.push(entity);
          await readChangedSince(client, target, entity, since);
        } else {
          await applyPage(target, entity, changes.records);
        }
        if (isTransactionType(entity)) {
          for (const { Id, LastUpdatedTime } of changes.deleted) {
            await applyTransactionDeleted(target.engine.projection, entity, Id, LastUpdatedTime);
            target.counts.deleted += 1;
          }
        }
      }
      const handedOff = await handOff(target);
      await connectionModel(deps.db).updateOne(
        { _id: connectionId },
        {
          $set: {
            cdcCursor: result.time,
            lastPolledAt: at,
            nextPollAt: nextIdlePollAt(connection, at),
            reconcileNeeded,
          },
        },
      );
      await announceRecorded(connection.accountId, target.counts.eventsRecorded);
      return { ...target.counts, ...handedOff, cursor: result.time, cappedEntities, reconcileNeeded };
    },

    /**
     * Applies the webhook events this connection has yet to apply: each named entity is fetched by id, so
     * duplicates, reordering and stale notifications all end in QBO's current state. Every other connection of the
     * realm applies the same events on its own.
     */
    async drainInbox({ connectionId, fanOut }: SyncInput): Promise<SyncCounts & { remaining: boolean }> {
      const { connection, client } = await deps.qbo.open(connectionId);
      const target = syncTarget(connection, 'webhook', fanOut);
      const events = await pendingEvents(deps.db, connectionId, inboxBatchSize);
      const wanted = new Map<string, { entity: string; id: string }>();
      for (const event of events) {
        if (!(syncedEntities as readonly string[]).includes(event.entity)) continue;
        if (await echoOfHeldVersion(deps.db, connectionId, event)) continue;
        wanted.set(`${event.entity}:${event.entityId}`, { entity: event.entity, id: event.entityId });
        // A merge names the customer that was merged away: fetch it too, to record that it is gone.
        if (event.deletedId)
          wanted.set(`${event.entity}:${event.deletedId}`, { entity: event.entity, id: event.deletedId });
      }
      for (const { entity, id } of wanted.values()) {
        await fetchAndApply(client, target, entity, id, now());
      }
      for (const event of events) {
        if (event.entity === 'Customer' && event.operation === 'Merge' && event.deletedId) {
          await applyCustomerMerge(target.engine, event.deletedId, event.entityId);
        }
      }
      const handedOff = await handOff(target);
      await markApplied(
        deps.db,
        connectionId,
        events.map((event) => event._id),
      );
      await announceRecorded(connection.accountId, target.counts.eventsRecorded);
      return { ...target.counts, ...handedOff, remaining: events.length === inboxBatchSize };
    },

    /**
     * QBO → CRM for one customer, as the connection workflow's lane runs it: the customer's projection as it stands
     * merged into its linked contact, and the CRM told. Reads and writes the database only, never QBO.
     */
    async pullCustomer({
      connectionId,
      qboCustomerId,
      channel,
    }: {
      connectionId: string;
      qboCustomerId: string;
      channel: PullChannel;
    }): Promise<PullResult> {
      const connection = await connectionModel(deps.db).findById(connectionId).lean();
      if (!connection) throw new Error(`no connection ${connectionId}`);
      const pulled = await pullCustomerById(engineContext(connection, channel), qboCustomerId);
      await announceRecorded(connection.accountId, pulled.eventsRecorded);
      return pulled;
    },
  };
}

/**
 * The webhook of our own write: its answer went straight into the projection, so fetching the customer again would
 * only find it unchanged. QBO's times have second precision, so one notification for that second is taken as the
 * echo and skipped, once; any other is fetched, and a fetch always brings the current version.
 */
async function echoOfHeldVersion(
  db: MongoConnection,
  connectionId: string,
  event: { entity: string; entityId: string; operation: string; occurredAt: Date },
): Promise<boolean> {
  if (event.entity !== 'Customer' || (event.operation !== 'Create' && event.operation !== 'Update'))
    return false;
  const _id = customerKey(connectionId, event.entityId);
  const held = await qboCustomerModel(db).findById(_id, { echoExpectedAt: 1 }).lean();
  const eventSecond = Math.floor(event.occurredAt.getTime() / 1000) * 1000;
  if (!held?.echoExpectedAt || Date.parse(held.echoExpectedAt) !== eventSecond) return false;
  await qboCustomerModel(db).updateOne({ _id }, { $unset: { echoExpectedAt: 1 } });
  return true;
}

async function readChangedSince(
  client: QboClient,
  target: SyncTarget,
  entity: SyncedEntity,
  since: Date,
): Promise<void> {
  for await (const page of client.queryAll(entity, qboQuery`MetaData.LastUpdatedTime >= ${since}`)) {
    await applyPage(target, entity, page.rows);
  }
}

async function fetchAndApply(
  client: QboClient,
  target: SyncTarget,
  entity: string,
  id: string,
  at: Date,
): Promise<void> {
  try {
    const record = await client.read(entity as SyncedEntity, id);
    await applyPage(target, entity as ProjectedEntity, [record]);
  } catch (error) {
    // A transaction deleted since the notification: QBO answers 610 for its Id.
    if (error instanceof QboApiError && error.kind === 'not-found' && isTransactionType(entity)) {
      await applyTransactionDeleted(target.engine.projection, entity, id, at.toISOString());
      target.counts.deleted += 1;
      return;
    }
    throw error;
  }
}

export type ConnectionSyncActivities = ReturnType<typeof createConnectionSyncActivities>;
