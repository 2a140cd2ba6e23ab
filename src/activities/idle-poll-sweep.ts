import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { idlePollSweep } from '../sync/polling';
import { syncedEntities } from '../sync/transactions';
import { connectionWorkflowId } from '../temporal/connection-workflows';
import { syncNowSignal } from '../workflows/connection-messages';
import { cdcWindow, type ConnectionSyncDependencies } from './connection-sync';

/** Companies read at once: each is one CDC request to its own realm, so this bounds the worker, not QBO. */
const peeksInFlight = 8;
/** Due connections one sweep takes, oldest first; the rest wait for the next tick. */
const maxPerSweep = 1_000;

export interface SweepCounts {
  /** Connections due an idle poll. */
  due: number;
  /** Nothing changed: the cursor moved on without waking the workflow. */
  unchanged: number;
  /** Their workflows were woken to poll: something changed, or the read failed (the workflow's poll handles it). */
  woken: number;
}

type Outcome = 'unchanged' | 'woken';
type Peeked = { changed: true } | { changed: false; cursor: string | undefined; time: string };
type DueConnection = Pick<ConnectionRecord, '_id'> & { settings: { pollIntervalSeconds: number } };

/**
 * The idle-poll sweep (see `idlePollSweep` in src/sync/polling.ts): every live connection due an idle poll gets one
 * CDC read since its cursor. Where nothing changed the cursor moves on by compare-and-swap, so a poll of the
 * connection's own that ran meanwhile is never undone. Where something changed, nothing is applied here: the
 * connection's workflow is told to poll, and the changes go through its lanes like any other.
 */
export function createIdlePollSweepActivities(deps: ConnectionSyncDependencies) {
  const now = deps.now ?? (() => new Date());
  const connections = connectionModel(deps.db);

  async function wake(connectionId: string): Promise<void> {
    try {
      await Context.current()
        .client.workflow.getHandle(connectionWorkflowId(connectionId))
        .signal(syncNowSignal);
    } catch (error) {
      // A connection without a running workflow has nothing to poll for.
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  /** One CDC read since the cursor: what changed, or, when nothing did, the cursor read from and the new one. */
  async function read(connectionId: string, at: Date): Promise<Peeked> {
    try {
      const { connection, client } = await deps.qbo.open(connectionId);
      const result = await client.cdc([...syncedEntities], cdcWindow(connection, at).since);
      const changed = syncedEntities.some((entity) => {
        const { records, deleted, capped } = result.changes[entity];
        return capped || records.length > 0 || deleted.length > 0;
      });
      return changed ? { changed } : { changed, cursor: connection.cdcCursor, time: result.time };
    } catch {
      // The workflow's own poll meets the same failure and handles it as always (a dead grant parks the connection).
      return { changed: true };
    }
  }

  async function peek({ _id: connectionId, settings }: DueConnection): Promise<Outcome> {
    const at = now();
    const nextPollAt = new Date(at.getTime() + settings.pollIntervalSeconds * 1000);
    const peeked = await read(connectionId, at);
    if (peeked.changed) {
      await connections.updateOne({ _id: connectionId }, { $set: { nextPollAt } });
      await wake(connectionId);
      return 'woken';
    }
    await connections.updateOne(
      { _id: connectionId, cdcCursor: peeked.cursor },
      { $set: { cdcCursor: peeked.time, lastPolledAt: at, nextPollAt } },
    );
    return 'unchanged';
  }

  return {
    async sweepIdlePolls(): Promise<SweepCounts> {
      const due = await connections
        .find(
          {
            status: 'active',
            nextPollAt: { $lte: now() },
            'settings.pollIntervalSeconds': { $gte: idlePollSweep.fromSeconds },
            // A (re)reading backfill owns the cursor until it ends.
            'backfill.status': { $ne: 'running' },
            // A paused connection asks nothing of QBO; its resume polls for the gap.
            paused: { $exists: false },
          },
          { _id: 1, 'settings.pollIntervalSeconds': 1 },
        )
        .sort({ nextPollAt: 1 })
        .limit(maxPerSweep)
        .lean();
      const counts: SweepCounts = { due: due.length, unchanged: 0, woken: 0 };
      const queue: DueConnection[] = [...due];
      await Promise.all(
        Array.from({ length: Math.min(peeksInFlight, queue.length) }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) counts[await peek(next)] += 1;
        }),
      );
      return counts;
    },
  };
}
