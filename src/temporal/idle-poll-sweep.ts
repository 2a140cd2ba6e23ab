import type { Client } from '@temporalio/client';
import type { idlePollSweepWorkflow } from '../workflows/idle-poll-sweep';

export function idlePollSweepWorkflowId(taskQueue: string): string {
  return `idle-poll-sweep:${taskQueue}`;
}

/** Starts the task queue's idle-poll sweep, or leaves the running one alone (every worker asks at its start). */
export async function startIdlePollSweep(client: Client, taskQueue: string): Promise<void> {
  await client.workflow.start<typeof idlePollSweepWorkflow>('idlePollSweepWorkflow', {
    workflowId: idlePollSweepWorkflowId(taskQueue),
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
