import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { documentWorkflow } from '../workflows/document';
import type { DocumentWorkflowInput } from '../workflows/document-messages';
import { searchAttributes } from './search-attributes';

/**
 * One workflow per write of a document: its creation (`0`, or `1`, `2`… when the CRM replaced a rejected request)
 * and each change to it (`update-1`, `update-2`…).
 */
export function documentWorkflowId(documentId: string, step: string): string {
  return `document:${documentId}:${step}`;
}

/**
 * Starts the write of a document, or joins the run already writing it (five identical requests at once share one),
 * and waits up to `waitMs` for it to end. True when it ended: the document's record then says how. A run that
 * failed outright (a bug, not QBO) may be started again, and is; one that completed is never repeated.
 */
export async function runDocumentWrite(
  client: Client,
  input: DocumentWorkflowInput & { step: string },
  options: { taskQueue: string; startTimeoutMs: number; waitMs: number },
): Promise<boolean> {
  const { step, ...args } = input;
  let handle;
  try {
    handle = await client.withDeadline(Date.now() + options.startTimeoutMs, () =>
      client.workflow.start<typeof documentWorkflow>('documentWorkflow', {
        workflowId: documentWorkflowId(input.documentId, step),
        taskQueue: options.taskQueue,
        args: [args],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: searchAttributes.connectionId, value: input.connectionId },
          { key: searchAttributes.accountId, value: input.accountId },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handle.result().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), options.waitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
