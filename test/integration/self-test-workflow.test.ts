import { hostname } from 'node:os';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { selfTestModel } from '../../src/db/models/self-test';
import { QboAccess, qboAccessSettings } from '../../src/activities/qbo-access';
import { loadConfig } from '../../src/config';
import { createWorker } from '../../src/worker/create-worker';
import { selfTestWorkflow } from '../../src/workflows';
import {
  openTemporalClient,
  openTestDatabase,
  temporalAddress,
  uniqueName,
  type TestDatabase,
} from '../support/env';

describe('self-test workflow on a real Temporal server and MongoDB', () => {
  let db: TestDatabase;
  let temporal: Awaited<ReturnType<typeof openTemporalClient>>;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  const taskQueue = uniqueName('self-test');

  beforeAll(async () => {
    db = await openTestDatabase('self_test');
    temporal = await openTemporalClient();
    nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
    worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      db: db.mongoose.connection,
      qbo: new QboAccess(db.mongoose.connection, qboAccessSettings(loadConfig({}))),
      // No shared bundle: this worker bundles src/workflows itself, as one started without TEMPORAL_WORKFLOW_BUNDLE.
    });
  });

  afterAll(async () => {
    await nativeConnection?.close();
    await temporal?.close();
    await db?.close();
  });

  it('runs activities that write through mongoose, and the writes read back', async () => {
    const probeId = uniqueName('probe');
    const result = await worker.runUntil(
      temporal.client.workflow.execute(selfTestWorkflow, {
        workflowId: probeId,
        taskQueue,
        args: [{ probeId }],
      }),
    );

    expect(result.steps).toEqual(['started', 'finished']);
    expect(result.workerIdentities).toEqual([`${process.pid}@${hostname()}`]);

    const stored = await selfTestModel(db.mongoose.connection).findById(probeId).lean();
    expect(stored?.steps).toEqual(['started', 'finished']);

    const history = await temporal.client.workflow.getHandle(probeId).fetchHistory();
    const activities = history.events?.filter((event) => event.activityTaskScheduledEventAttributes) ?? [];
    expect(activities.map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual(
      ['recordSelfTestStep', 'recordSelfTestStep', 'readSelfTest'],
    );
  });
});
