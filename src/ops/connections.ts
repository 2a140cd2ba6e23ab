import { PauseError, type PauseOutcome } from '../connections/service';
import { connectionModel, pauseView, type ConnectionRecord } from '../db/models/connection';
import { connectionHealth } from '../health/connection-health';
import { queryConnectionStatus } from '../temporal/connection-workflows';
import { describeReminderSchedule } from '../temporal/reminder-schedules';
import type { ConnectionWorkflowStatus } from '../workflows/connection-messages';
import { OpsContext, OpsError } from './context';
import { labelled, table, when, type Outcome } from './output';

/** Connections (one per CRM account and QuickBooks company): list, status, sync now, pause, resume, disconnect. */

function summary(connection: ConnectionRecord) {
  return {
    id: connection._id,
    accountId: connection.accountId,
    companyName: connection.companyName ?? null,
    realmId: connection.realmId,
    status: connection.status,
    statusReason: connection.statusReason ?? null,
    paused: pauseView(connection),
    lastPolledAt: connection.lastPolledAt ?? null,
  };
}

/** The status column and line: the record's status, and the pause beside it. */
function statusText({ status, paused }: ReturnType<typeof summary>): string {
  return paused ? `${status}, paused` : status;
}

export async function listConnections(ctx: OpsContext, filter: { accountId?: string }): Promise<Outcome> {
  const connections = await connectionModel(await ctx.db())
    .find(filter.accountId ? { accountId: filter.accountId } : {})
    .sort({ accountId: 1, _id: 1 })
    .lean();
  const data = connections.map(summary);
  return {
    json: data,
    text: table(
      ['CONNECTION', 'ACCOUNT', 'COMPANY', 'REALM', 'STATUS', 'LAST POLL'],
      data.map((row) => [
        row.id,
        row.accountId,
        row.companyName ?? '',
        row.realmId,
        statusText(row),
        when(row.lastPolledAt),
      ]),
      filter.accountId ? `Account ${filter.accountId} has no connections.` : 'No connections yet.',
    ),
  };
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

export async function connectionStatus(ctx: OpsContext, connectionId: string): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  const client = await ctx.temporal();
  const [health, workflow, schedule] = await Promise.all([
    connectionHealth(await ctx.db(), connection, ctx.now()),
    queryConnectionStatus(client, connectionId, ctx.config.DEPENDENCY_TIMEOUT_MS),
    describeReminderSchedule(client, connectionId),
  ]);
  const reminders = schedule && {
    scheduleId: schedule.scheduleId,
    paused: schedule.state.paused,
    note: schedule.state.note ?? null,
    nextRuns: schedule.info.nextActionTimes.slice(0, 3),
  };
  const { records, freshness, tokens } = health;
  return {
    json: { ...summary(connection), workflow, health, reminders },
    text: labelled([
      [
        'connection',
        `${connection._id}  (${connection.companyName ?? 'company'}, realm ${connection.realmId})`,
      ],
      ['account', connection.accountId],
      [
        'status',
        connection.statusReason ? `${connection.status}: ${connection.statusReason}` : connection.status,
      ],
      ...(connection.paused ? [['paused', pausedText(connection.paused)] as [string, string]] : []),
      [
        'workflow',
        workflow
          ? `${workflow.state}${workflow.paused ? ' (paused)' : ''}; ${workflow.totals.polls} polls, ` +
            `${workflow.totals.applied} changes applied` +
            (workflow.lastError ? `; last error: ${workflow.lastError}` : '')
          : 'not running, or did not answer',
      ],
      ['backlog', workflow ? backlogText(workflow) : '—'],
      [
        'contacts',
        `${records.inSync} in sync, ${records.pending} pending, ${records.failing} failing, ${records.excluded} excluded`,
      ],
      [
        'freshness',
        `QuickBooks → CRM p50 ${seconds(freshness.qboToCrm.p50Ms)}, p95 ${seconds(freshness.qboToCrm.p95Ms)}; ` +
          `CRM → QuickBooks p50 ${seconds(freshness.crmToQbo.p50Ms)}, p95 ${seconds(freshness.crmToQbo.p95Ms)}`,
      ],
      ['last poll', when(health.lastPolledAt)],
      ['last webhook', when(health.lastWebhookAt)],
      ['tokens', `${tokens.state}; refresh token until ${when(tokens.refreshExpiresAt)}`],
      [
        'reminders',
        reminders
          ? reminders.paused
            ? `paused (${reminders.note ?? 'no note'})`
            : `next run ${when(reminders.nextRuns[0])}`
          : 'no schedule',
      ],
    ]),
  };
}

function pausedText(paused: NonNullable<ConnectionRecord['paused']>): string {
  return `since ${when(paused.since)}${paused.note ? ` (${paused.note})` : ''}`;
}

function backlogText(workflow: ConnectionWorkflowStatus): string {
  return (
    `CRM → QuickBooks ${workflow.pushesInFlight ?? 0} writing, ${workflow.contactsWaiting ?? 0} waiting; ` +
    `QuickBooks → CRM ${workflow.pullsInFlight ?? 0} merging, ${workflow.customersWaiting ?? 0} waiting`
  );
}

export async function syncNow(ctx: OpsContext, connectionId: string): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  if (connection.status !== 'active')
    throw new OpsError(
      `connection ${connectionId} is ${connection.status}` +
        (connection.status === 'needs_reauth' ? ': the company must be connected again' : ''),
    );
  if (connection.paused)
    throw new OpsError(
      `connection ${connectionId} is paused; \`connections resume ${connectionId}\` syncs it, with a poll`,
    );
  await (await ctx.connectionService()).syncNow(connection.accountId, connectionId);
  return {
    json: { connectionId, syncRequested: true },
    text: `Asked ${connectionId} to poll QuickBooks now; \`connections status ${connectionId}\` shows the poll.`,
  };
}

export async function disconnect(
  ctx: OpsContext,
  connectionId: string,
  confirmed: boolean,
): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  if (!confirmed)
    throw new OpsError(
      `disconnecting revokes ${connectionId}'s tokens at Intuit and stops its sync and reminders (history is ` +
        'kept; connecting the company again resumes it). Add --yes to go ahead.',
    );
  const updated = await (await ctx.connectionService()).disconnect(connection.accountId, connectionId);
  return {
    json: summary(updated ?? connection),
    text: `Disconnected ${connectionId} (${connection.companyName ?? connection.realmId}).`,
  };
}

/** Pauses a connection's sync (`note` says why), or resumes it, through the same service as the API. */
export async function pauseConnection(
  ctx: OpsContext,
  connectionId: string,
  change: { note: string } | 'resume',
): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  const service = await ctx.connectionService();
  let outcome: PauseOutcome | null;
  try {
    outcome =
      change === 'resume'
        ? await service.resume(connection.accountId, connectionId)
        : await service.pause(connection.accountId, connectionId, change.note);
  } catch (error) {
    if (error instanceof PauseError) throw new OpsError(`${connectionId}: ${error.message}`);
    throw error;
  }
  if (!outcome) throw new OpsError(`no connection ${connectionId}`);
  const { workflow } = outcome;
  const backlog = workflow ? `; ${backlogText(workflow)}` : '; its workflow is not running';
  return {
    json: { ...summary(outcome.connection), workflow },
    text: outcome.connection.paused
      ? `Paused ${connectionId} ${pausedText(outcome.connection.paused)}: nothing goes to or comes from ` +
        `QuickBooks, and its reminders wait, until \`connections resume ${connectionId}\`${backlog}.`
      : `Resumed ${connectionId}: what waited is syncing now, after a poll for changes${backlog}.`,
  };
}
