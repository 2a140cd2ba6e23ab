import { customersOf } from '../followups/engine';
import { followUpModel } from '../followups/models';
import { describeReminderSchedule } from '../temporal/reminder-schedules';
import { OpsContext, OpsError } from './context';
import { labelled, table, when, type Outcome } from './output';
import { countMatching } from '../db/count';

/** A connection's follow-up reminders: run them now, see what the next run would send, pause and resume them. */

const previewLimit = 50;

export async function runReminders(ctx: OpsContext, connectionId: string): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  if (connection.status === 'disconnected')
    throw new OpsError(`connection ${connectionId} is disconnected: it has no reminders to run`);
  if (connection.paused)
    throw new OpsError(
      `connection ${connectionId} is paused, so its books are not up to date; \`connections resume ${connectionId}\` first`,
    );
  const result = await (await ctx.followUpService()).runReminders(connection.accountId, connectionId);
  if (!result) throw new OpsError(`no connection ${connectionId}`);
  return {
    json: { connectionId, ...result },
    text: labelled([
      ['ran', `reminders of ${connectionId} as of ${when(result.asOf)}`],
      ['planned', `${result.planned} new follow-ups`],
      [
        'delivered',
        result.quiet
          ? '0: quiet hours in the company’s time zone; the next run outside them delivers'
          : `${result.delivered} follow-ups on every channel of the policy (CRM event recorded, email sent or skipped)`,
      ],
      ['cancelled', `${result.cancelled} (paid, voided, deleted or no longer due)`],
      ['contacts', `${result.contactsRecomputed} AR figures recomputed, ${result.tagChanges} tag changes`],
      ['events', `${result.eventsRecorded} recorded for the CRM`],
    ]),
  };
}

export async function previewReminders(ctx: OpsContext, connectionId: string): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  const db = await ctx.db();
  const service = await ctx.followUpService();
  const [policy, schedule, page, pendingCount] = await Promise.all([
    service.getPolicy(connection.accountId, connectionId),
    describeReminderSchedule(await ctx.temporal(), connectionId),
    service.listFollowUps(connection.accountId, { connectionId, status: 'pending' }, { limit: previewLimit }),
    countMatching(followUpModel(db), { connectionId, status: 'pending' }),
  ]);
  if (!policy) throw new OpsError(`no connection ${connectionId}`);
  const customers = await customersOf(
    db,
    connectionId,
    page.data.flatMap((followUp) => (followUp.qboCustomerId ? [followUp.qboCustomerId] : [])),
  );
  const pending = page.data.map((followUp) => {
    const customer = followUp.qboCustomerId ? customers.get(followUp.qboCustomerId) : undefined;
    const { document } = followUp;
    return {
      id: followUp.id,
      kind: followUp.kind,
      customer: followUp.customerName ?? customer?.name ?? null,
      document: `${document.type} ${document.number ?? document.qboId}`,
      amount: `${document.balance || document.total} ${document.currency}`,
      crm: policy.channels.crm ? 'followup.created event' : 'off',
      email: !policy.channels.email ? 'off' : (customer?.email ?? 'skipped: no address'),
    };
  });
  const quiet = policy.quietHours
    ? `quiet ${policy.quietHours.start}:00–${policy.quietHours.end}:00`
    : 'no quiet hours';
  const scheduleState = !schedule
    ? 'none (the connection is disconnected)'
    : schedule.state.paused
      ? `paused: ${schedule.state.note ?? 'no note'}`
      : `next run ${when(schedule.info.nextActionTimes[0])}`;
  return {
    json: {
      connectionId,
      policy,
      schedule: schedule && {
        paused: schedule.state.paused,
        note: schedule.state.note ?? null,
        nextRuns: schedule.info.nextActionTimes.slice(0, 3),
      },
      pendingCount,
      pending,
    },
    text: [
      labelled([
        ['reminders', `${connectionId} (${connection.companyName ?? connection.realmId})`],
        [
          'policy',
          `${policy.enabled ? 'on' : 'off'}; CRM events ${policy.channels.crm ? 'on' : 'off'}, ` +
            `email ${policy.channels.email ? 'on' : 'off'}; ${quiet} ${policy.timeZone}`,
        ],
        ['schedule', scheduleState],
        [
          'next run',
          `delivers the ${pendingCount} pending follow-ups below, and plans whatever has come due since the last run`,
        ],
      ]),
      '',
      table(
        ['KIND', 'CUSTOMER', 'DOCUMENT', 'AMOUNT', 'CRM', 'EMAIL'],
        pending.map((row) => [row.kind, row.customer ?? '', row.document, row.amount, row.crm, row.email]),
        'Nothing pending.',
      ),
      ...(pendingCount > pending.length ? [`… and ${pendingCount - pending.length} more`] : []),
    ].join('\n'),
  };
}

export async function holdReminders(
  ctx: OpsContext,
  connectionId: string,
  hold: { note: string } | 'lift',
): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  const outcome = await (await ctx.followUpService()).holdReminders(connection.accountId, connectionId, hold);
  switch (outcome) {
    case 'held':
      return {
        json: { connectionId, paused: true },
        text: `Paused the reminders of ${connectionId}; no run starts until \`reminders resume ${connectionId}\`.`,
      };
    case 'lifted':
      return { json: { connectionId, paused: false }, text: `Resumed the reminders of ${connectionId}.` };
    case 'disabled_by_policy':
      throw new OpsError(
        `the follow-up policy of ${connectionId} turns follow-ups off; enable them with ` +
          `PUT /v1/connections/${connectionId}/follow-up-policy`,
      );
    case 'connection_paused':
      throw new OpsError(
        `connection ${connectionId} is paused, and its reminders wait for it; \`connections resume ${connectionId}\` ` +
          'lifts both',
      );
    case 'no_schedule':
      throw new OpsError(`connection ${connectionId} has no reminder schedule (it is ${connection.status})`);
    case null:
      throw new OpsError(`no connection ${connectionId}`);
  }
}
