import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayResult, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import * as workflowTypes from '../../src/workflows';
import { tracingSinks } from '../../src/observability/tracing';
import { workflowInterceptorModules, workflowsPath } from '../../src/worker/workflow-bundle';
import { workflowBundlePath } from '../support/env';
import { historyFromJson } from '../support/histories';

/**
 * Replay safety: every recorded history (test/fixtures/histories, made by `npm run record-histories`) must replay
 * on the current workflow code. A change that makes a workflow issue different commands for the same history
 * would break every run of it in flight; such a change goes behind `patched()` (docs/architecture.md).
 */
const fixturesDir = path.resolve(__dirname, '..', 'fixtures', 'histories');

/**
 * A fixture is `{ workflowId, history }`: the history in the JSON the Temporal CLI exports, and the id its run had
 * (a child's id is derived from it, so a replay under another id would differ).
 */
function readFixture(file: string): { workflowId: string; history: History } {
  const { workflowId, history } = JSON.parse(readFileSync(file, 'utf8')) as {
    workflowId: string;
    history: unknown;
  };
  return { workflowId, history: historyFromJson(history) };
}

const fixtures = readdirSync(fixturesDir, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ name: file.replace(/\.json$/, ''), file: path.join(fixturesDir, file) }))
  .map(({ name, file }) => ({ name, ...readFixture(file) }));

const bundle = workflowBundlePath();
const replayOptions: ReplayWorkerOptions = {
  // The workflow interceptors every worker runs (tracing), so the histories are replayed as a worker would.
  ...(bundle
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath, interceptors: { workflowModules: workflowInterceptorModules } }),
  sinks: tracingSinks(),
  replayName: 'history fixtures',
};

/** Replays the histories on one replay worker; the results are in the same order. */
async function replay(histories: { workflowId: string; history: History }[]): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories(replayOptions, histories)) results.push(result);
  return results;
}

const workflowTypeOf = (history: History): string | null | undefined =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

describe('replaying the recorded histories on the current workflow code', () => {
  let results: ReplayResult[];
  // Some twenty histories through one replay worker: half a minute alone, minutes beside a loaded suite.
  beforeAll(async () => {
    results = await replay(fixtures);
  }, 180_000);

  it('has a history of every workflow type the worker serves', () => {
    const recorded = new Set(fixtures.map(({ history }) => workflowTypeOf(history)));
    expect(Object.keys(workflowTypes).filter((type) => !recorded.has(type))).toEqual([]);
  });

  it.each(fixtures.map(({ name }, index) => [name, index] as const))(
    '%s replays without nondeterminism',
    (_name, index) => {
      expect(results).toHaveLength(fixtures.length);
      expect(results[index]!.error).toBeUndefined();
    },
  );

  it('fails a history whose commands the code no longer issues', async () => {
    const { workflowId, history } = JSON.parse(
      readFileSync(path.join(fixturesDir, 'reminders', 'nothing-due.json'), 'utf8'),
    );
    // As if the workflow had once begun with another activity: the code now schedules a different one there.
    const scheduled = history.events.find((event: any) => event.activityTaskScheduledEventAttributes);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'sendFollowUpsTheOldWay';
    const [outcome] = await replay([{ workflowId, history: historyFromJson(history) }]);
    expect(outcome?.error).toBeInstanceOf(DeterminismViolationError);
  });
});
