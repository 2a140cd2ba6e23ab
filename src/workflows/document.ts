import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DocumentWorkflowInput } from './document-messages';

/**
 * One workflow per write of a document the CRM asks for (`document:<documentId>:<step>`): the write to QBO is its
 * one step, retried until it is done or refused. Every attempt sends the same requestid, so QBO makes the document
 * once however often the step runs; a worker killed after QBO's answer leaves a retry that records it.
 */
const { writeDocument } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  // Never given up: an outage delays the document, and the CRM sees it still `writing` meanwhile.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function documentWorkflow(input: DocumentWorkflowInput): Promise<'written' | 'rejected'> {
  const outcome = await writeDocument({ connectionId: input.connectionId, documentId: input.documentId });
  return outcome.state;
}
