import { Client, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { ensureJavaTool, javaTools } from '../../src/stack/tools';
import { searchAttributeKeys } from '../../src/temporal/search-attributes';
import { tracingSinks } from '../../src/observability/tracing';
import { workflowInterceptorModules, workflowsPath } from '../../src/worker/workflow-bundle';
import { uniqueName, workflowBundlePath } from './env';

/** Stand-ins for the activities a test's workflows call; the SDK fails any activity that has none. */
export type FakeActivities = Partial<Activities>;

export interface TimeSkippingEnvironment {
  /** `env.sleep` moves the server's clock on; `env.currentTimeMs` reads it. */
  env: TestWorkflowEnvironment;
  /**
   * A client that leaves the clock alone. (`env.client` lets the clock run free while it awaits a workflow's
   * result, and the test server then jumps to its next timer, which can be years ahead.)
   */
  client: Client;
  /**
   * Runs `body` while a worker serves a task queue (a new one unless given) with `activities` in place of the real
   * ones, and stops the worker after it, even when it throws.
   */
  withWorker<T>(
    activities: FakeActivities,
    body: (taskQueue: string) => Promise<T>,
    options?: { taskQueue?: string },
  ): Promise<T>;
  /** Has `endWorkflows` terminate this workflow if it is still running then. */
  endAfterTest<Handle extends WorkflowHandle>(handle: Handle): Handle;
  /**
   * Terminates the workflows passed to `endAfterTest` (run it in afterEach): a workflow left waiting on a timer
   * would hold the test server's clock for the next test, since time is not skipped past a task nobody polls.
   */
  endWorkflows(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * One time-skipping Temporal test server per test file (Temporal's Java test server; see `javaTools` in
 * src/stack/tools.ts), with the search attributes our workflows set registered on it. Workers load the run's
 * shared workflow bundle when globalSetup built one (TEMPORAL_WORKFLOW_BUNDLE), so none spends 2 s on webpack.
 */
export async function startTimeSkipping(): Promise<TimeSkippingEnvironment> {
  const server = await ensureJavaTool(javaTools.temporalTestServer, (line) =>
    process.stderr.write(`[time-skipping] ${line}\n`),
  );
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: server.path } },
  });
  const namespace = env.namespace ?? 'default';
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        searchAttributeKeys.map((key) => [
          key.name,
          temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`],
        ]),
      ),
    });
  } catch (error) {
    await env.teardown();
    throw error;
  }
  const bundle = workflowBundlePath();
  // The same workflow interceptors as every worker (in the bundle, or bundled here), and the sink they need.
  const workflows: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'interceptors' | 'sinks'> = {
    ...(bundle
      ? { workflowBundle: { codePath: bundle } }
      : { workflowsPath, interceptors: { workflowModules: workflowInterceptorModules } }),
    sinks: tracingSinks(),
  };

  const running: WorkflowHandle[] = [];
  return {
    env,
    client: new Client({ connection: env.connection, namespace }),
    async withWorker(activities, body, { taskQueue = uniqueName('time-skipping') } = {}) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace,
        taskQueue,
        ...workflows,
        activities,
      });
      return worker.runUntil(body(taskQueue));
    },
    endAfterTest(handle) {
      running.push(handle);
      return handle;
    },
    async endWorkflows() {
      await Promise.all(
        running.splice(0).map((handle) =>
          handle.terminate('the test is over').catch((error: unknown) => {
            // Ended already, as most do.
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          }),
        ),
      );
    },
    teardown: () => env.teardown(),
  };
}
