import type { Context as ActivityContext } from '@temporalio/activity';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptors,
  ActivityOutboundCallsInterceptor,
  GetLogAttributesInput,
  Next,
} from '@temporalio/worker';
import type { Connection as MongoConnection } from 'mongoose';
import type { Logger } from 'pino';
import { outcomeOf, toActivityFailure, willRetry } from './activity-failure';
import { summarize } from './activity-summaries';
import { connectionLabels } from './connection-labels';
import type { WorkerMetrics } from './metrics';
import { recordIdsOf } from './record-ids';

export interface ActivityObservability {
  db: MongoConnection;
  log: Logger;
  metrics: WorkerMetrics;
}

/** Well inside the shortest heartbeat timeout of any activity (20 s, the backfill's). */
const heartbeatEveryMs = 5_000;

/**
 * What every activity run goes through, so activities hold domain logic only:
 * - its log lines carry the connection, realm, account, contacts, entity and attempt (Temporal's activity logger
 *   gets them too, without the task token);
 * - a heartbeat from a timer says "this worker is alive", so one slow step (a page of writes on a loaded database)
 *   is not timed out and retried from the start; a stuck run still ends at its start-to-close timeout;
 * - a failure becomes the one Temporal should act on (activity-failure.ts), logged once;
 * - its result becomes one line saying what happened (activity-summaries.ts), and its duration and outcome a metric.
 */
export function activityInterceptors(
  deps: ActivityObservability,
): (ctx: ActivityContext) => ActivityInterceptors {
  const labelsOf = connectionLabels(deps.db);
  return (ctx) => {
    let bindings: Record<string, unknown> = {};
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
        const activity = ctx.info.activityType;
        const argument = input.args[0];
        bindings = { ...(await runBindings(argument, labelsOf)), activity, attempt: ctx.info.attempt };
        const log = deps.log.child(bindings);
        const startedAt = performance.now();
        const beat = setInterval(() => ctx.heartbeat(), heartbeatEveryMs);
        const finished = (outcome: string) =>
          deps.metrics.activityFinished(activity, outcome, (performance.now() - startedAt) / 1000);
        try {
          const result: unknown = await next(input);
          finished('completed');
          const summary = await summarize(activity, result, argument, deps.db).catch(
            (): undefined => undefined,
          );
          if (summary) log[summary.level](summary.fields ?? {}, summary.message);
          return result;
        } catch (error) {
          const failure = toActivityFailure(error);
          const outcome = outcomeOf(failure);
          finished(outcome);
          const retrying = willRetry(failure);
          if (outcome !== 'cancelled')
            log[retrying ? 'warn' : 'error'](
              { err: error, outcome, retrying },
              retrying ? `${activity} failed; Temporal retries it` : `${activity} failed for good`,
            );
          throw failure;
        } finally {
          clearInterval(beat);
        }
      },
    };
    // Temporal's own activity log lines (ctx.log) get the same fields, and never the task token.
    const outbound: ActivityOutboundCallsInterceptor = {
      getLogAttributes(
        input: GetLogAttributesInput,
        next: Next<ActivityOutboundCallsInterceptor, 'getLogAttributes'>,
      ) {
        const { taskToken: _taskToken, ...attributes } = next(input);
        return { ...attributes, ...bindings };
      },
    };
    return { inbound, outbound };
  };
}

/** The fields every line of a run carries, from its argument: whatever of them the activity names. */
async function runBindings(
  argument: unknown,
  labelsOf: ReturnType<typeof connectionLabels>,
): Promise<Record<string, unknown>> {
  if (typeof argument !== 'object' || argument === null) return {};
  const { connectionId, accountId, entity, qboCustomerId } = argument as Record<string, unknown>;
  const records = recordIdsOf(argument);
  return {
    ...(typeof connectionId === 'string' ? { connectionId, ...(await labelsOf(connectionId)) } : {}),
    ...(typeof accountId === 'string' ? { accountId } : {}),
    ...(records.length === 1 ? { crmContactId: records[0] } : {}),
    ...(records.length > 1 ? { crmContactIds: records } : {}),
    ...(typeof qboCustomerId === 'string' ? { qboCustomerId } : {}),
    ...(typeof entity === 'string' ? { entity } : {}),
  };
}
