import { NativeConnection, Worker } from '@temporalio/worker';
import type { Connection } from 'mongoose';
import pino, { type Logger } from 'pino';
import type { RetentionSettings } from '../db/retention';
import { createActivities } from '../activities';
import type { QboAccess } from '../activities/qbo-access';
import type { Mailer } from '../email/mailer';
import type { UnsubscribeSettings } from '../followups/unsubscribe';
import type { OutboundGuard } from '../security/outbound-url';
import { activityInterceptors } from '../observability/activity-interceptor';
import { WorkerMetrics } from '../observability/metrics';
import {
  tracingActivityInterceptors,
  tracingClientInterceptors,
  tracingSinks,
  type Tracing,
} from '../observability/tracing';
import { workflowInterceptorModules, workflowsPath } from './workflow-bundle';

export interface WorkerDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Connection;
  qbo: QboAccess;
  /** Sends follow-up emails; without it the email channel is skipped. */
  mailer?: Mailer;
  /** Signs the unsubscribe links of follow-up emails; without them, emails carry none. */
  unsubscribe?: UnsubscribeSettings;
  /** How webhooks reach the CRM; without it, public addresses over https only. */
  outbound?: OutboundGuard;
  retention?: RetentionSettings;
  /** A prebuilt bundle of src/workflows (see workflow-bundle.ts); without it the worker bundles them itself. */
  workflowBundlePath?: string;
  /** Where activity runs are logged; silent without one. */
  log?: Logger;
  /** Where activity runs are counted; a registry of the worker's own without one. */
  metrics?: WorkerMetrics;
  /** Where workflow spans go; nowhere without one (activity spans follow the process's tracer provider). */
  tracing?: Tracing;
}

/** The one place that decides what a worker serves; used by the worker process and by tests alike. */
export async function createWorker(deps: WorkerDependencies): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundlePath
      ? { workflowBundle: { codePath: deps.workflowBundlePath } }
      : { workflowsPath }),
    activities: createActivities({
      db: deps.db,
      qbo: deps.qbo,
      mailer: deps.mailer,
      ...(deps.unsubscribe ? { unsubscribe: deps.unsubscribe } : {}),
      ...(deps.outbound ? { outbound: deps.outbound } : {}),
      ...(deps.retention ? { retention: deps.retention } : {}),
    }),
    interceptors: {
      // The workflows' own are in the bundle (workflow-bundle.ts); these are for a worker that bundles for itself.
      ...(deps.workflowBundlePath ? {} : { workflowModules: workflowInterceptorModules }),
      // Tracing outermost, so the lines and failures of a run belong to its span.
      activity: [
        tracingActivityInterceptors,
        activityInterceptors({
          db: deps.db,
          log: deps.log ?? pino({ level: 'silent' }),
          metrics: deps.metrics ?? new WorkerMetrics(),
        }),
      ],
      client: tracingClientInterceptors(),
    },
    sinks: tracingSinks(deps.tracing),
    // A crashed worker's sticky queue is abandoned after this long and its workflows move to a live worker.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    shutdownGraceTime: '10 seconds',
  });
}
