// The worker's workflowsPath entry: every workflow type the task queue serves.
export { selfTestWorkflow } from './self-test';
export { connectionWorkflow } from './connection';
export { backfillWorkflow } from './backfill';
export { webhookDispatchWorkflow } from './webhook-dispatch';
export { remindersWorkflow } from './reminders';
export { documentWorkflow } from './document';
export { driftAuditWorkflow } from './drift-audit';
export { undoWorkflow } from './undo';
export { idlePollSweepWorkflow } from './idle-poll-sweep';
