import { selfTestModel } from '../../src/db/models/self-test';
import { releaseSelfTestSignal, selfTestWorkflow } from '../../src/workflows/self-test';
import type { ManagedProcess } from '../../src/stack/process';
import {
  eventually,
  openTemporalClient,
  openTestDatabase,
  temporalAddress,
  uniqueName,
  type TestDatabase,
} from '../support/env';
import { startWorkerProcess } from '../support/worker-process';

describe('a workflow survives its worker being killed', () => {
  let db: TestDatabase;
  let temporal: Awaited<ReturnType<typeof openTemporalClient>>;
  const workers: ManagedProcess[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('worker_restart');
    temporal = await openTemporalClient();
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await temporal?.close();
    await db?.close();
  });

  it('finishes on a new worker process after SIGKILL of the first one mid-workflow', async () => {
    const taskQueue = uniqueName('restart');
    const env = { TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue, MONGODB_URI: db.uri };
    const SelfTest = selfTestModel(db.mongoose.connection);
    const probeId = uniqueName('probe');

    const first = await startWorkerProcess(env);
    workers.push(first);
    const handle = await temporal.client.workflow.start(selfTestWorkflow, {
      workflowId: probeId,
      taskQueue,
      args: [{ probeId, waitForRelease: true }],
    });
    const afterFirstStep = await eventually(
      () => SelfTest.findById(probeId).lean(),
      (record) => record?.steps.includes('started') ?? false,
    );
    expect(afterFirstStep?.steps).toEqual(['started']);

    first.kill('SIGKILL');
    const { signal } = await first.exited;
    expect(signal).toBe('SIGKILL');

    // The workflow is parked in Temporal, not in the dead process: the signal is accepted with no worker alive.
    await handle.signal(releaseSelfTestSignal);
    const second = await startWorkerProcess(env);
    workers.push(second);

    const result = await handle.result();
    expect(result.steps).toEqual(['started', 'finished']);
    const pids = result.workerIdentities.map((identity) => identity.split('@')[0]);
    expect(pids).toEqual([String(first.pid), String(second.pid)]);
  });
});
