import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, type Logger } from '@temporalio/worker';

/** The worker's workflow code: every workflow type the task queue serves. */
export const workflowsPath = require.resolve('../workflows');

/**
 * Interceptors bundled with the workflows (tracing: src/observability/workflow-interceptors.ts). A worker that runs
 * them must register their sink: `tracingSinks()` from src/observability/tracing.ts.
 */
export const workflowInterceptorModules = [require.resolve('../observability/workflow-interceptors')];

/**
 * Bundles the workflow code once into `file`, for every worker started from it (TEMPORAL_WORKFLOW_BUNDLE): a
 * worker that bundles for itself spends about 2 s of CPU on webpack, on every start and restart.
 */
export async function bundleWorkflows(file: string, logger?: Logger): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules,
    ...(logger ? { logger } : {}),
  });
  writeFileSync(file, code);
}
