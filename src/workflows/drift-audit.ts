import { ActivityFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditCounts } from '../audit/store';

const { auditConnection, recordAuditFailed } = proxyActivities<Activities>({
  // Pages of a thousand customers each; ten thousand customers are ten query pages and their comparisons.
  startToCloseTimeout: '10 minutes',
  // The activity interceptor heartbeats every few seconds: a worker that dies is noticed within a minute.
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 3 },
});

/**
 * A drift audit of one connection, on demand or daily (src/activities/drift-audit.ts does the work). The audit is
 * said to have failed only once its retries are spent: a throttled attempt is one Temporal retries.
 */
export async function driftAuditWorkflow({ connectionId }: { connectionId: string }): Promise<AuditCounts> {
  if (!patched('audit-failure-after-retries')) return auditConnection({ connectionId });
  try {
    return await auditConnection({ connectionId });
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    await recordAuditFailed({ connectionId, error: cause instanceof Error ? cause.message : String(cause) });
    throw error;
  }
}
