/**
 * Records the history of every workflow type through its typical paths, as fixtures for
 * test/workflows/replay.test.ts, which replays them against the current workflow code: `npm run record-histories`.
 *
 * Each scenario drives a workflow on Temporal's time-skipping test server with fake activities, so the histories
 * hold no real data and the clock skips the waits. A fixture already recorded is kept, never overwritten: it
 * stands for the runs it was recorded from, which may still be running in production. After a workflow change
 * (behind `patched()`, see "Replay safety" in docs/architecture.md), record the new paths beside the old ones with
 * `npm run record-histories -- --as <label> [--only <workflow folder>]`, which writes `<case>.<label>.json`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Activities } from '../src/activities';
import { failureTypes } from '../src/activities/failure-types';
import { defaultFollowUpPolicy } from '../src/followups/policy';
import { companyDay } from '../src/followups/engine';
import { addDays } from '../src/followups/stages';
import { connectionWorkflowId, startConnectionWorkflow } from '../src/temporal/connection-workflows';
import { documentWorkflowId } from '../src/temporal/document-workflows';
import { queueWebhookDelivery } from '../src/temporal/webhook-dispatch';
import {
  contactsChangedSignal,
  disconnectSignal,
  inboxWaitingSignal,
  pauseUpdate,
  reconnectedSignal,
  resumeUpdate,
  settingsChangedSignal,
  statusQuery,
  syncNowSignal,
  type ConnectionWorkflowStatus,
} from '../src/workflows/connection-messages';
import type { connectionWorkflow } from '../src/workflows/connection';
import { releaseSelfTestSignal } from '../src/workflows/self-test';
import { eventually } from '../test/support/env';
import { historyToJson } from '../test/support/histories';
import { startTimeSkipping, type TimeSkippingEnvironment } from '../test/support/time-skipping';
import {
  fakeBackfillActivities,
  fakeConnectionActivities,
  fakeDispatchActivities,
  fakeDocumentActivities,
  fakeReminderActivities,
  fakeSelfTestActivities,
} from '../test/support/workflow-fakes';

type Result<Name extends keyof Activities> = Awaited<ReturnType<Activities[Name]>>;

const fixturesDir = path.resolve(__dirname, '..', 'test', 'fixtures', 'histories');
const minute = 60_000;

/** A path through one or more workflows, and the fixtures (`<workflow folder>/<case>`) of the runs it ends with. */
interface Scenario {
  fixtures: string[];
  /** Drives the workflows; returns the runs to record, in the order of `fixtures`. */
  run(temporal: TimeSkippingEnvironment): Promise<WorkflowHandle[]>;
}

/** Polls `read` until `accept` holds; throws with the last value after 30 s. */
async function waitFor<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const value = await eventually(read, accept, 30_000);
  if (!accept(value)) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)}`);
  return value;
}

/** A connection workflow started the way the API starts one, with the handle of its first run. */
async function startConnection(
  temporal: TimeSkippingEnvironment,
  taskQueue: string,
  name: string,
  options: { backfill?: boolean; activePollIntervalSeconds?: number } = {},
) {
  await startConnectionWorkflow(
    temporal.client,
    { _id: `conn-${name}`, realmId: `realm-${name}`, accountId: `acct-${name}` },
    // The same interval active or idle, so the counts of polls a scenario waits for do not race the active one.
    { taskQueue, pollIntervalSeconds: 300, activePollIntervalSeconds: 300, ...options },
  );
  const latest = temporal.client.workflow.getHandle(connectionWorkflowId(`conn-${name}`));
  const { runId: firstRunId } = await latest.describe();
  const status = (accept: (status: ConnectionWorkflowStatus) => boolean, what: string) =>
    waitFor(`${name}: ${what}`, () => latest.query(statusQuery), accept);
  return {
    latest,
    firstRunId,
    firstRun: temporal.client.workflow.getHandle<typeof connectionWorkflow>(latest.workflowId, firstRunId),
    status,
  };
}

async function disconnect(handle: WorkflowHandle<typeof connectionWorkflow>): Promise<void> {
  await handle.signal(disconnectSignal);
  const outcome = await handle.result();
  if (outcome !== 'disconnected') throw new Error(`${handle.workflowId} ended ${String(outcome)}`);
}

const needsReauth = () => ApplicationFailure.nonRetryable('refresh token revoked', failureTypes.needsReauth);

/** One reminders pass over invoices that fell due yesterday. */
function remindersScenario(
  name: string,
  overdueInvoices: string[],
  announceEvents?: () => Promise<void>,
): Scenario {
  return {
    fixtures: [`reminders/${name}`],
    async run(temporal) {
      const today = companyDay(new Date(await temporal.env.currentTimeMs()), defaultFollowUpPolicy);
      const invoices = overdueInvoices.map((qboId) => ({ qboId, dueDate: addDays(today, -1), balance: 100 }));
      const { activities } = fakeReminderActivities(invoices, `acct-${name}`);
      return temporal.withWorker(
        { ...activities, ...(announceEvents && { announceEvents }) },
        async (taskQueue) => {
          const handle = await temporal.client.workflow.start('remindersWorkflow', {
            taskQueue,
            workflowId: `reminders:conn-${name}`,
            args: [{ connectionId: `conn-${name}` }],
          });
          // Skips the retries' backoff, when there are any.
          await temporal.env.sleep(minute);
          await handle.result();
          return [handle];
        },
      );
    },
  };
}

const scenarios: Scenario[] = [
  {
    // A new connection: backfill, then every signal the API sends, the poll timer, and a disconnect.
    fixtures: ['connection/backfill-then-sync', 'backfill/complete'],
    async run(temporal) {
      const connection = fakeConnectionActivities();
      const backfill = fakeBackfillActivities((entity) => (entity === 'Customer' ? 2 : 1));
      const activities = { ...connection.activities, ...backfill.activities };
      return temporal.withWorker(activities, async (taskQueue) => {
        const { firstRun, status } = await startConnection(temporal, taskQueue, 'backfill-then-sync', {
          backfill: true,
        });
        await status((current) => current.totals.polls === 1, 'the first poll after the backfill');
        // Idle at 300 s, the sweep's to poll: the workflow's own timer fires every five intervals.
        await temporal.env.sleep(51 * minute);
        await status((current) => current.totals.polls === 3, 'two polls on the timer');
        await firstRun.signal(contactsChangedSignal, { crmContactIds: ['crm-1', 'crm-2'] });
        await status((current) => current.totals.pushed === 2, 'the contacts pushed');
        await firstRun.signal(inboxWaitingSignal);
        await waitFor(
          'the inbox drained',
          () => Promise.resolve(connection.calls.drains.length),
          (n) => n === 2,
        );
        await firstRun.signal(settingsChangedSignal, { pollIntervalSeconds: 600 });
        await status((current) => current.totals.polls === 4, 'a poll on the new interval');
        await firstRun.signal(syncNowSignal);
        await status((current) => current.totals.polls === 5, 'a poll on request');
        await disconnect(firstRun);
        return [firstRun, temporal.client.workflow.getHandle(`${firstRun.workflowId}/backfill`)];
      });
    },
  },
  {
    // Paused: a contact and a webhook are queued but nothing runs, nor does the poll timer; resumed, both are
    // synced after a poll.
    fixtures: ['connection/pause-then-resume'],
    async run(temporal) {
      const connection = fakeConnectionActivities();
      return temporal.withWorker(connection.activities, async (taskQueue) => {
        const { firstRun, status } = await startConnection(temporal, taskQueue, 'pause-then-resume');
        await status((current) => current.totals.polls === 1, 'the first poll');
        await firstRun.executeUpdate(pauseUpdate);
        await firstRun.signal(contactsChangedSignal, { crmContactIds: ['crm-1'] });
        await firstRun.signal(inboxWaitingSignal);
        await status(
          (current) => current.contactsWaiting === 1 && current.webhooksWaiting === true,
          'the contact and the webhook held',
        );
        await temporal.env.sleep(11 * minute);
        const held = await status((current) => current.paused === true, 'still paused');
        if (
          held.totals.polls !== 1 ||
          connection.calls.pushes.length > 0 ||
          connection.calls.drains.length > 1
        )
          throw new Error(`a paused run did work: ${JSON.stringify(held)}`);
        await firstRun.executeUpdate(resumeUpdate);
        await status(
          (current) => current.totals.pushed === 1 && current.totals.polls === 2 && !current.webhooksWaiting,
          'the held work synced after a poll',
        );
        await disconnect(firstRun);
        return [firstRun];
      });
    },
  },
  {
    // A dead grant parks the connection, a reconnect resumes it, and QBO refuses a contact.
    fixtures: ['connection/needs-reauth-then-reconnect'],
    async run(temporal) {
      const { activities } = fakeConnectionActivities();
      let revoked = true;
      const pushContact: typeof activities.pushContact = (input) => {
        if (revoked) throw needsReauth();
        if (input.crmContactId === 'crm-refused')
          throw ApplicationFailure.nonRetryable('Duplicate Name Exists Error', failureTypes.qboRejected);
        return activities.pushContact(input);
      };
      return temporal.withWorker({ ...activities, pushContact }, async (taskQueue) => {
        const { firstRun, status } = await startConnection(
          temporal,
          taskQueue,
          'needs-reauth-then-reconnect',
        );
        await firstRun.signal(contactsChangedSignal, { crmContactIds: ['crm-1'] });
        await status((current) => current.state === 'needs_reauth', 'needs_reauth');
        revoked = false;
        await firstRun.signal(reconnectedSignal);
        await status((current) => current.totals.pushed === 1, 'the kept contact pushed');
        await firstRun.signal(contactsChangedSignal, { crmContactIds: ['crm-refused'] });
        await status((current) => current.lastError !== undefined, 'the refusal recorded');
        await disconnect(firstRun);
        return [firstRun];
      });
    },
  },
  {
    // The grant dies during the backfill: the child stops where it was, the connection parks, and a reconnect
    // resumes the backfill (a second run of the child) before the connection syncs.
    fixtures: ['connection/needs-reauth-in-backfill', 'backfill/needs-reauth'],
    async run(temporal) {
      const connection = fakeConnectionActivities();
      const backfill = fakeBackfillActivities((entity) => (entity === 'Customer' ? 2 : 1));
      const grant = { alive: true, revoked: false };
      const backfillPages: typeof backfill.activities.backfillPages = (input) => {
        if (input.startPosition > 1 && !grant.revoked) Object.assign(grant, { alive: false, revoked: true });
        if (!grant.alive) throw needsReauth();
        return backfill.activities.backfillPages(input);
      };
      const activities = { ...connection.activities, ...backfill.activities, backfillPages };
      return temporal.withWorker(activities, async (taskQueue) => {
        const { firstRun, status } = await startConnection(temporal, taskQueue, 'needs-reauth-in-backfill', {
          backfill: true,
        });
        await status((current) => current.state === 'needs_reauth', 'needs_reauth');
        const interrupted = temporal.client.workflow.getHandle(`${firstRun.workflowId}/backfill`);
        const { runId } = await interrupted.describe();
        grant.alive = true;
        await firstRun.signal(reconnectedSignal);
        await status((current) => current.totals.polls === 1, 'a poll after the reconnect');
        await disconnect(firstRun);
        return [firstRun, temporal.client.workflow.getHandle(interrupted.workflowId, runId)];
      });
    },
  },
  {
    // Past its history limit, with contacts still to push and (with the QBO → CRM lane) customers still to pull:
    // continue-as-new, and the next run pushes and pulls the rest.
    fixtures: ['connection/continue-as-new', 'connection/continued'],
    async run(temporal) {
      const taskQueue = 'record-continue-as-new';
      const { firstRun, firstRunId, latest, status } = await startConnection(
        temporal,
        taskQueue,
        'continue-as-new',
      );
      // Before a worker is up, each signal is one event: enough of them pass the limit (2,000) in one turn.
      const contacts = Array.from({ length: 30 }, (_, index) => `crm-${index}`);
      await Promise.all(
        contacts.map((id) => firstRun.signal(contactsChangedSignal, { crmContactIds: [id] })),
      );
      const { historyLength } = await firstRun.describe();
      await Promise.all(
        Array.from({ length: 2_001 - historyLength }, () =>
          firstRun.signal(contactsChangedSignal, { crmContactIds: [] }),
        ),
      );
      const { activities } = fakeConnectionActivities();
      const customers = Array.from({ length: 10 }, (_, index) => `qbo-${index}`);
      let handedOver = false;
      // The first poll finds more linked customers changed than the lane runs at once.
      const pollChanges = async (input: { fanOut?: boolean }): Promise<Result<'pollChanges'>> => {
        const result = await activities.pollChanges();
        if (!input.fanOut || handedOver) return result;
        handedOver = true;
        return { ...result, customersToPull: customers };
      };
      return temporal.withWorker(
        { ...activities, pollChanges },
        async () => {
          await status((current) => current.totals.pushed === contacts.length, 'every contact pushed');
          if (handedOver)
            await status((current) => current.totals.pulled === customers.length, 'every customer pulled');
          const { runId } = await latest.describe();
          if (runId === firstRunId) throw new Error('the connection did not continue as new');
          const nextRun = temporal.client.workflow.getHandle<typeof connectionWorkflow>(
            latest.workflowId,
            runId,
          );
          await disconnect(nextRun);
          return [firstRun, nextRun];
        },
        { taskQueue },
      );
    },
  },
  {
    // The lanes: a webhook makes the company active (polls every 10 s) until it goes idle again; a contact that
    // changes during its own push is pushed again after it, beside another contact's push.
    fixtures: ['connection/active-then-idle'],
    async run(temporal) {
      const { activities } = fakeConnectionActivities();
      let slowPushes = 1;
      const pushContact: typeof activities.pushContact = async (input) => {
        if (input.crmContactId === 'crm-busy' && slowPushes > 0) {
          slowPushes -= 1;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        return activities.pushContact(input);
      };
      return temporal.withWorker({ ...activities, pushContact }, async (taskQueue) => {
        const { firstRun, status } = await startConnection(temporal, taskQueue, 'active-then-idle', {
          activePollIntervalSeconds: 10,
        });
        await status((current) => current.totals.polls === 1, 'the first poll');
        await firstRun.signal(contactsChangedSignal, { crmContactIds: ['crm-busy'] });
        await firstRun.signal(contactsChangedSignal, { crmContactIds: ['crm-busy', 'crm-other'] });
        await status(
          (current) => current.totals.pushed === 3,
          'the busy contact pushed twice, the other once',
        );
        await temporal.env.sleep(7 * minute);
        await status((current) => current.pollEverySeconds === 300, 'idle again');
        await disconnect(firstRun);
        return [firstRun];
      });
    },
  },
  {
    // An idle company left to the sweep: no poll of its own until the sweep wakes it (syncNow), then idle again.
    fixtures: ['connection/idle-woken-by-sweep'],
    async run(temporal) {
      const { activities } = fakeConnectionActivities();
      return temporal.withWorker(activities, async (taskQueue) => {
        const { firstRun, status } = await startConnection(temporal, taskQueue, 'idle-woken-by-sweep');
        await status((current) => current.totals.polls === 1, 'the first poll');
        await temporal.env.sleep(10 * minute);
        await firstRun.signal(syncNowSignal);
        await status((current) => current.totals.polls === 2, 'the poll the sweep asked for');
        await disconnect(firstRun);
        return [firstRun];
      });
    },
  },
  {
    // The task queue's idle-poll sweep: a tick that swept, one whose sweep failed, and the next.
    fixtures: ['idle-poll-sweep/ticks'],
    async run(temporal) {
      let sweeps = 0;
      const sweepIdlePolls = (): Promise<Result<'sweepIdlePolls'>> => {
        sweeps += 1;
        return sweeps === 2
          ? Promise.reject(new Error('the database is away'))
          : Promise.resolve({ due: 2, unchanged: 1, woken: 1 });
      };
      return temporal.withWorker({ sweepIdlePolls }, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('idlePollSweepWorkflow', {
          taskQueue,
          workflowId: 'idle-poll-sweep:recorded',
        });
        await temporal.env.sleep(25_000);
        await waitFor(
          'three sweeps',
          () => Promise.resolve(sweeps),
          (count) => count >= 3,
        );
        await handle.terminate('recorded');
        return [handle];
      });
    },
  },
  {
    // A company larger than one run's page budget (100 pages): continue-as-new mid-entity, then finish.
    fixtures: ['backfill/continue-as-new', 'backfill/continued'],
    async run(temporal) {
      const { activities } = fakeBackfillActivities((entity) => (entity === 'Customer' ? 102 : 1));
      return temporal.withWorker(activities, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('backfillWorkflow', {
          taskQueue,
          workflowId: 'connection:conn-large/backfill',
          args: [{ connectionId: 'conn-large' }],
        });
        await handle.result();
        const { runId } = await handle.describe();
        return [
          temporal.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
          temporal.client.workflow.getHandle(handle.workflowId, runId),
        ];
      });
    },
  },
  // Two follow-ups due: delivered over two pages, then the dispatcher woken.
  remindersScenario('delivered-in-pages', ['1001', '1002']),
  remindersScenario('nothing-due', []),
  // The dispatcher cannot be woken: three attempts, then a warning, and the run still ends well.
  remindersScenario('announce-fails', ['1001'], () =>
    Promise.reject(new Error('Temporal frontend unavailable')),
  ),
  {
    // Deliveries with a retry due later, an idle wait broken by new events, then idle until it ends.
    fixtures: ['webhook-dispatch/retry-then-idle'],
    async run(temporal) {
      const { activities, runs } = fakeDispatchActivities([
        { delivered: 2, failed: 1, retryInMs: 30_000 },
        { delivered: 1, failed: 0 },
      ]);
      return temporal.withWorker(activities, async (taskQueue) => {
        await queueWebhookDelivery(temporal.client, 'acct-dispatch', taskQueue);
        const handle = temporal.client.workflow.getHandle('webhooks:acct-dispatch');
        await temporal.env.sleep(minute);
        await waitFor(
          'the retry run',
          () => Promise.resolve(runs.length),
          (n) => n === 2,
        );
        await queueWebhookDelivery(temporal.client, 'acct-dispatch', taskQueue);
        await waitFor(
          'the run for new events',
          () => Promise.resolve(runs.length),
          (n) => n === 3,
        );
        await temporal.env.sleep(11 * minute);
        await handle.result();
        return [handle];
      });
    },
  },
  {
    // A document from the CRM: QBO unavailable once, the write retried, then written.
    fixtures: ['document/written-after-retry'],
    async run(temporal) {
      const { activities } = fakeDocumentActivities(1);
      return temporal.withWorker(activities, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('documentWorkflow', {
          taskQueue,
          workflowId: documentWorkflowId('conn-recorded:invoice:deal-1', '0'),
          args: [
            {
              accountId: 'acct-recorded',
              connectionId: 'conn-recorded',
              documentId: 'conn-recorded:invoice:deal-1',
            },
          ],
        });
        await handle.result();
        return [handle];
      });
    },
  },
  {
    // An audit on demand: one activity, whose counts are the workflow's result.
    fixtures: ['drift-audit/completed'],
    async run(temporal) {
      const auditConnection = () =>
        Promise.resolve({ customers: 2, compared: 1, drifted: 0 } as unknown as Result<'auditConnection'>);
      return temporal.withWorker({ auditConnection }, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('driftAuditWorkflow', {
          taskQueue,
          workflowId: 'audit:conn-recorded',
          args: [{ connectionId: 'conn-recorded' }],
        });
        await handle.result();
        return [handle];
      });
    },
  },
  {
    // An audit whose attempts are throttled until its retries are spent: the failure recorded, then the run failed.
    fixtures: ['drift-audit/failed'],
    async run(temporal) {
      const auditConnection = () =>
        Promise.reject(ApplicationFailure.retryable('QBO throttled (HTTP 429)', 'QboUnavailable'));
      const recordAuditFailed = () => Promise.resolve();
      return temporal.withWorker({ auditConnection, recordAuditFailed }, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('driftAuditWorkflow', {
          taskQueue,
          workflowId: 'audit:conn-recorded:failed',
          args: [{ connectionId: 'conn-recorded' }],
        });
        await handle.result().catch(() => undefined);
        return [handle];
      });
    },
  },
  {
    // A bulk undo of two events: the first undone, the second refused for a field QuickBooks changed since.
    fixtures: ['undo/undone-and-conflict'],
    async run(temporal) {
      const undoSyncEvent = ({ eventId }: { eventId: string }) =>
        Promise.resolve<Result<'undoSyncEvent'>>(
          eventId === 'event-1'
            ? { eventId, outcome: 'undone', undoEventId: 'event-3', eventsRecorded: 1 }
            : {
                eventId,
                outcome: 'conflict',
                conflicts: [{ field: 'email', wrote: 'a@x.test', now: 'b@x.test' }],
              },
        );
      return temporal.withWorker({ undoSyncEvent }, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('undoWorkflow', {
          taskQueue,
          workflowId: 'undo:conn-recorded:bulk:1',
          args: [{ connectionId: 'conn-recorded', eventIds: ['event-1', 'event-2'] }],
        });
        await handle.result();
        return [handle];
      });
    },
  },
  {
    // The launcher's probe, parked between its steps until released, as the crash tests use it.
    fixtures: ['self-test/released'],
    async run(temporal) {
      const { activities, steps } = fakeSelfTestActivities();
      return temporal.withWorker(activities, async (taskQueue) => {
        const handle = await temporal.client.workflow.start('selfTestWorkflow', {
          taskQueue,
          workflowId: 'self-test:recorded',
          args: [{ probeId: 'self-test:recorded', waitForRelease: true }],
        });
        await waitFor(
          'the first step',
          () => Promise.resolve(steps.get('self-test:recorded') ?? []),
          (s) => s.length === 1,
        );
        await handle.signal(releaseSelfTestSignal);
        await handle.result();
        return [handle];
      });
    },
  },
];

const fixtureFile = (name: string, label: string | undefined): string =>
  path.join(fixturesDir, `${name}${label ? `.${label}` : ''}.json`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { as: { type: 'string' }, only: { type: 'string' } } });
  const { as: label, only } = values;
  if (label !== undefined && !/^[\w.-]+$/.test(label))
    throw new Error(`--as ${label}: use letters, digits, dots and dashes only`);
  const wanted = (name: string): boolean => !only || name.startsWith(`${only}/`);
  const folders = new Set(scenarios.flatMap(({ fixtures }) => fixtures.map((name) => name.split('/')[0])));
  if (only && !folders.has(only))
    throw new Error(`--only ${only}: no such workflow folder; use one of ${[...folders].join(', ')}`);

  // A kept fixture stands for runs that may still be in flight; a scenario with nothing left to record is skipped.
  const toRun: { scenario: Scenario; absent: string[] }[] = [];
  for (const scenario of scenarios) {
    const names = scenario.fixtures.filter(wanted);
    const absent = names.filter((name) => !existsSync(fixtureFile(name, label)));
    for (const name of names.filter((name) => !absent.includes(name)))
      process.stdout.write(`kept      ${path.relative(process.cwd(), fixtureFile(name, label))}\n`);
    if (absent.length > 0) toRun.push({ scenario, absent });
  }
  if (toRun.length === 0) return;

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const temporal = await startTimeSkipping();
  try {
    for (const { scenario, absent } of toRun) {
      const runs = await scenario.run(temporal);
      for (const [index, name] of scenario.fixtures.entries()) {
        if (!absent.includes(name)) continue;
        const run = runs[index]!;
        const file = fixtureFile(name, label);
        const history = historyToJson(await run.fetchHistory());
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, `${JSON.stringify({ workflowId: run.workflowId, history }, null, 2)}\n`);
        process.stdout.write(`recorded  ${path.relative(process.cwd(), file)}\n`);
      }
    }
  } finally {
    await temporal.teardown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`record-histories failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
