import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditCounts } from '../audit/store';

const { auditConnection } = proxyActivities<Activities>({
  // Pages of a thousand customers each; ten thousand customers are ten query pages and their comparisons.
  startToCloseTimeout: '10 minutes',
  // The activity interceptor heartbeats every few seconds: a worker that dies is noticed within a minute.
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 3 },
});

/** A drift audit of one connection, on demand (src/activities/drift-audit.ts does the work). */
export async function driftAuditWorkflow({ connectionId }: { connectionId: string }): Promise<AuditCounts> {
  return auditConnection({ connectionId });
}
