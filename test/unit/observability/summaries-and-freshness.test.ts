import type { Connection as MongoConnection } from 'mongoose';
import { summarize } from '../../../src/observability/activity-summaries';
import { onFreshness, reportFreshness, type FreshnessDirection } from '../../../src/history/freshness';

// The summaries below read nothing; one that touched the database would fail on this.
const noDatabase = {} as MongoConnection;

describe('activity summaries: one line per run, at info only when something happened', () => {
  const pushCounts = {
    created: 1,
    linked: 0,
    updated: 2,
    unchanged: 4,
    rejected: 1,
    deleted: 0,
    gone: 0,
    conflicts: 1,
    eventsRecorded: 3,
  };

  it('counts a push turn: written, conflicts, refused', async () => {
    await expect(summarize('pushContacts', pushCounts, { connectionId: 'c1' }, noDatabase)).resolves.toEqual({
      level: 'info',
      message: 'contacts pushed to QuickBooks: 3 written, 1 conflicts, 1 refused',
      fields: { counts: pushCounts },
    });
  });

  it('keeps an empty poll at debug, out of the info log', async () => {
    const summary = await summarize(
      'pollChanges',
      {
        applied: 0,
        unchanged: 3,
        deleted: 0,
        contactsUpdated: 0,
        conflicts: 0,
        eventsRecorded: 0,
        cursor: 'x',
        cappedEntities: [],
        reconcileNeeded: false,
      },
      { connectionId: 'c1' },
      noDatabase,
    );
    expect(summary.level).toBe('debug');
  });

  it('counts a turn of QBO changes: applied, deleted, contacts updated, conflicts', async () => {
    const counts = {
      applied: 2,
      unchanged: 0,
      deleted: 1,
      contactsUpdated: 1,
      conflicts: 1,
      eventsRecorded: 2,
    };
    await expect(
      summarize('drainInbox', { ...counts, remaining: false }, { connectionId: 'c1' }, noDatabase),
    ).resolves.toEqual({
      level: 'info',
      message:
        'changes applied from QuickBooks (webhooks): 2 applied, 1 deleted, 1 contacts updated, 1 conflicts',
      fields: counts,
    });
  });

  it('names the customer a pull merged into its contact, and keeps a pull that changed nothing at debug', async () => {
    const input = { connectionId: 'c1', qboCustomerId: '58', channel: 'webhook' as const };
    await expect(
      summarize('pullCustomer', { contactsUpdated: 1, conflicts: 0, eventsRecorded: 1 }, input, noDatabase),
    ).resolves.toEqual({
      level: 'info',
      message: 'customer 58 pulled into its contact: 1 updated, 0 conflicts',
      fields: { contactsUpdated: 1, conflicts: 0, eventsRecorded: 1, channel: 'webhook' },
    });
    const unchanged = await summarize(
      'pullCustomer',
      { contactsUpdated: 0, conflicts: 0, eventsRecorded: 0 },
      input,
      noDatabase,
    );
    expect(unchanged.level).toBe('debug');
  });

  it('warns when deliveries to the CRM fail', async () => {
    const summary = await summarize(
      'deliverWebhooks',
      { delivered: 2, failed: 3, nextDueAt: '2026-12-07T14:00:00.000Z' },
      { accountId: 'a1' },
      noDatabase,
    );
    expect(summary).toMatchObject({
      level: 'warn',
      message: 'webhook deliveries failing: 3 failed, 2 delivered',
    });
  });

  it('says reminders were held in quiet hours', async () => {
    const summary = await summarize(
      'deliverFollowUps',
      { delivered: 0, cancelled: 0, eventsRecorded: 0, quiet: true },
      { connectionId: 'c1', asOf: '2026-12-07T03:00:00Z' },
      noDatabase,
    );
    expect(summary.message).toBe('reminders held: quiet hours in the company’s time zone');
  });

  it('gives an activity without a summary a debug line naming it', async () => {
    await expect(summarize('announceEvents', undefined, { accountIds: ['a1'] }, noDatabase)).resolves.toEqual(
      {
        level: 'debug',
        message: 'announceEvents completed',
      },
    );
  });
});

describe('freshness: applied changes reported by direction', () => {
  it('tells listeners the direction of a change that landed, ignores other kinds, and stops when asked', () => {
    const heard: [FreshnessDirection, number][] = [];
    const stop = onFreshness((direction, lagMs) => heard.push([direction, lagMs]));
    reportFreshness('created', 120);
    reportFreshness('updated_qbo', 80);
    reportFreshness('updated_crm', 900);
    reportFreshness('conflict', 5);
    stop();
    reportFreshness('updated_crm', 1);
    expect(heard).toEqual([
      ['crm_to_qbo', 120],
      ['crm_to_qbo', 80],
      ['qbo_to_crm', 900],
    ]);
  });
});
