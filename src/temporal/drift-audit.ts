import type { Client } from '@temporalio/client';
import type { driftAuditWorkflow } from '../workflows/drift-audit';

export function driftAuditWorkflowId(connectionId: string): string {
  return `drift-audit:${connectionId}`;
}

/** Starts a connection's drift audit; while one runs, asking again joins it rather than starting a second. */
export async function startDriftAudit(
  client: Client,
  connectionId: string,
  taskQueue: string,
): Promise<void> {
  await client.workflow.start<typeof driftAuditWorkflow>('driftAuditWorkflow', {
    workflowId: driftAuditWorkflowId(connectionId),
    taskQueue,
    args: [{ connectionId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
