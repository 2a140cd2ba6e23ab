import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import {
  inboxWaitingSignal,
  statusQuery,
  type ConnectionWorkflowInput,
  type ConnectionWorkflowStatus,
} from '../workflows/connection-messages';
import { searchAttributes } from './search-attributes';

/** One workflow per connection; ops find it by this id, or by the search attributes set here. */
export function connectionWorkflowId(connectionId: string): string {
  return `connection:${connectionId}`;
}

/** Starts a connection's workflow, or leaves the running one alone (a second callback must not start a second). */
export async function startConnectionWorkflow(
  client: Client,
  connection: Pick<ConnectionRecord, '_id' | 'realmId' | 'accountId'>,
  options: {
    taskQueue: string;
    pollIntervalSeconds: number;
    activePollIntervalSeconds?: number;
    backfill?: boolean;
  },
): Promise<void> {
  // By name, typed by its input: activities signal this workflow, and the workflow's module imports theirs.
  await client.workflow.start<(input: ConnectionWorkflowInput) => Promise<unknown>>('connectionWorkflow', {
    workflowId: connectionWorkflowId(connection._id),
    taskQueue: options.taskQueue,
    args: [
      {
        connectionId: connection._id,
        realmId: connection.realmId,
        accountId: connection.accountId,
        pollIntervalSeconds: options.pollIntervalSeconds,
        ...(options.activePollIntervalSeconds !== undefined
          ? { activePollIntervalSeconds: options.activePollIntervalSeconds }
          : {}),
        backfill: options.backfill ?? false,
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: searchAttributes.connectionId, value: connection._id },
      { key: searchAttributes.realmId, value: connection.realmId },
      { key: searchAttributes.accountId, value: connection.accountId },
      { key: searchAttributes.connectionStatus, value: options.backfill ? 'backfilling' : 'syncing' },
    ],
  });
}

/**
 * Wakes the workflows of every active connection to these realms after their webhook events were stored. A
 * workflow that is not running is skipped: the events wait in the inbox and its next run drains them.
 */
export async function signalInboxWaiting(
  client: Client,
  db: MongoConnection,
  realmIds: string[],
): Promise<void> {
  const connections = await connectionModel(db)
    .find({ realmId: { $in: [...new Set(realmIds)] }, status: 'active' }, { _id: 1 })
    .lean();
  await Promise.all(
    connections.map(async ({ _id }) => {
      try {
        await client.workflow.getHandle(connectionWorkflowId(_id)).signal(inboxWaitingSignal);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    }),
  );
}

/** The running workflow's own view of its connection, or null when it is not running or does not answer in time. */
export async function queryConnectionStatus(
  client: Client,
  connectionId: string,
  timeoutMs: number,
): Promise<ConnectionWorkflowStatus | null> {
  const handle = client.workflow.getHandle(connectionWorkflowId(connectionId));
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handle.query(statusQuery),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      }),
    ]);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
