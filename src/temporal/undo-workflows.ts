import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { UndoOutcome } from '../contacts/undo';
import type { undoWorkflow } from '../workflows/undo';
import { searchAttributes } from './search-attributes';

/**
 * Runs an undo of sync events and waits up to `waitMs` for each event's outcome (null when it is still running). One
 * event's undo is `undo:<eventId>`, so two requests at once share one run; a bulk undo is a run of its own.
 */
export async function runUndo(
  client: Client,
  input: { accountId: string; connectionId: string; eventIds: string[] },
  options: { taskQueue: string; startTimeoutMs: number; waitMs: number },
): Promise<UndoOutcome[] | null> {
  const [single] = input.eventIds;
  const handle = await client.withDeadline(Date.now() + options.startTimeoutMs, () =>
    client.workflow.start<typeof undoWorkflow>('undoWorkflow', {
      workflowId:
        input.eventIds.length === 1 ? `undo:${single}` : `undo:${input.connectionId}:bulk:${randomUUID()}`,
      taskQueue: options.taskQueue,
      args: [{ connectionId: input.connectionId, eventIds: input.eventIds }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary:
        input.eventIds.length === 1
          ? `Undo sync event ${single}`
          : `Undo ${input.eventIds.length} sync events, ${single} first`,
      typedSearchAttributes: [
        { key: searchAttributes.connectionId, value: input.connectionId },
        { key: searchAttributes.accountId, value: input.accountId },
      ],
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handle.result(),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), options.waitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
