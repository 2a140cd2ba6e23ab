import { NativeConnection, Worker } from '@temporalio/worker';
import type { Connection } from 'mongoose';
import { createActivities } from '../activities';

export interface WorkerDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Connection;
}

/** The one place that decides what a worker serves; used by the worker process and by tests alike. */
export async function createWorker(deps: WorkerDependencies): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ db: deps.db }),
    // A crashed worker's sticky queue is abandoned after this long and its workflows move to a live worker.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    shutdownGraceTime: '10 seconds',
  });
}
