import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { documentWorkflow } from '../workflows/document';
import type { DocumentWorkflowInput } from '../workflows/document-messages';
import { searchAttributes } from './search-attributes';

/** One workflow per attempt at a document: a rejected request replaced by the CRM is a new attempt. */
export function documentWorkflowId(documentId: string, attempt: number): string {
  return `document:${documentId}:${attempt}`;
}

/**
 * Starts the write of a document, or joins the run already writing it (five identical requests at once share one),
 * and waits up to `waitMs` for it to end. True when it ended: the document's record then says how. A run that
 * failed outright (a bug, not QBO) may be started again, and is; one that completed is never repeated.
 */
export async function runDocumentWrite(
  client: Client,
  input: DocumentWorkflowInput & { attempt: number },
  options: { taskQueue: string; startTimeoutMs: number; waitMs: number },
): Promise<boolean> {
  const { attempt, ...args } = input;
  let handle;
  try {
    handle = await client.withDeadline(Date.now() + options.startTimeoutMs, () =>
      client.workflow.start<typeof documentWorkflow>('documentWorkflow', {
        workflowId: documentWorkflowId(input.documentId, attempt),
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
