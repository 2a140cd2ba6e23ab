import { createHash } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { driftAuditWorkflow } from '../workflows/drift-audit';
import { deleteSchedule, describeSchedule } from './schedules';
import { searchAttributes } from './search-attributes';

export function driftAuditWorkflowId(connectionId: string): string {
  return `drift-audit:${connectionId}`;
}

/**
 * Starts a connection's drift audit; while one runs, asking again joins it rather than starting a second. A run
 * still open after it recorded its result (`lastFinishedAt`, the record's, is later than the run's start) is only
 * closing: joining it would start nothing, so it is replaced by a new one.
 */
export async function startDriftAudit(
  client: Client,
  connectionId: string,
  taskQueue: string,
  lastFinishedAt: Date | undefined,
): Promise<void> {
  const workflowId = driftAuditWorkflowId(connectionId);
  const start = (workflowIdConflictPolicy: 'FAIL' | 'TERMINATE_EXISTING') =>
    client.workflow.start<typeof driftAuditWorkflow>('driftAuditWorkflow', {
      workflowId,
      taskQueue,
      args: [{ connectionId }],
      workflowIdConflictPolicy,
    });
  try {
    await start('FAIL');
    return;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  const open = await client.workflow.getHandle(workflowId).describe();
  if (lastFinishedAt === undefined || lastFinishedAt < open.startTime) return;
  await start('TERMINATE_EXISTING');
}

export interface AuditScheduleTarget {
  connectionId: string;
  accountId: string;
  realmId: string;
  taskQueue: string;
}

/** The schedule that audits a connection daily; Temporal names each run `drift-audit:<id>-<time>`. */
export function auditScheduleId(connectionId: string): string {
  return driftAuditWorkflowId(connectionId);
}

const dayMinutes = 24 * 60;

/** Spreads connections over the day, so a thousand audits never start in the same minute. */
function offsetMinutes(connectionId: string): number {
  return createHash('sha256').update(`audit:${connectionId}`).digest().readUInt32BE(0) % dayMinutes;
}

function auditScheduleOptions(target: AuditScheduleTarget) {
  const attributes = [
    { key: searchAttributes.connectionId, value: target.connectionId },
    { key: searchAttributes.accountId, value: target.accountId },
    { key: searchAttributes.realmId, value: target.realmId },
  ];
  return {
    spec: { intervals: [{ every: '1 day', offset: `${offsetMinutes(target.connectionId)} minutes` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'driftAuditWorkflow',
      workflowId: driftAuditWorkflowId(target.connectionId),
      taskQueue: target.taskQueue,
      args: [{ connectionId: target.connectionId }] as Parameters<typeof driftAuditWorkflow>,
      typedSearchAttributes: attributes,
      workflowExecutionTimeout: '2 hours',
    },
    // One audit at a time per connection; one missed during an outage waits for the next day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    typedSearchAttributes: attributes,
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
}

/** Creates the connection's daily audit schedule, or brings an existing one in line (an operator's pause stays). */
export async function upsertAuditSchedule(client: Client, target: AuditScheduleTarget): Promise<void> {
  const scheduleId = auditScheduleId(target.connectionId);
  const options = auditScheduleOptions(target);
  try {
    await client.schedule.create({ scheduleId, ...options });
    return;
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    typedSearchAttributes: options.typedSearchAttributes,
    state: previous.state,
  }));
}

/** Deletes the connection's audit schedule; false when it had none. An audit already started finishes. */
export async function deleteAuditSchedule(client: Client, connectionId: string): Promise<boolean> {
  return deleteSchedule(client, auditScheduleId(connectionId));
}

export async function describeAuditSchedule(
  client: Client,
  connectionId: string,
): Promise<ScheduleDescription | null> {
  return describeSchedule(client, auditScheduleId(connectionId));
}
