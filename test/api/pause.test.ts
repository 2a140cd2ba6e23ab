import { inboxModel } from '../../src/ingest/inbox';
import { describeReminderSchedule } from '../../src/temporal/reminder-schedules';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * Pausing a connection through the public API, on the real API, worker, Temporal, database and emulator: while
 * paused nothing reaches QuickBooks and nothing comes back, yet the contact and the webhook are kept; on resume
 * both are synced.
 */
describe('pausing a connection', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  const detail = async () => {
    const response = await harness.request('GET', `/v1/connections/${connection.id}`);
    expect(response.status).toBe(200);
    return response.json;
  };
  const contact = async (id: string) => {
    const response = await harness.request('GET', `/v1/contacts/${id}`);
    expect(response.status).toBe(200);
    return response.json;
  };
  const put = async (id: string, fields: Record<string, string>) => {
    const response = await harness.request('PUT', `/v1/contacts/${id}`, {
      body: { updatedAt: new Date().toISOString(), fields },
    });
    if (response.status !== 202)
      throw new Error(`PUT ${id} answered ${response.status}: ${JSON.stringify(response.json)}`);
    return response.json;
  };
  const requestsSince = async (since: number) =>
    (
      (await harness.emulator.admin('GET', `/companies/${connection.realmId}/requests?limit=2000`)).json
        .requests as { at: string; method: string; path: string; query: Record<string, unknown> }[]
    ).filter((request) => Date.parse(request.at) >= since);
  /** Webhook events of the realm about this customer, and whether the connection has yet to apply each. */
  const inboxFor = async (customerId: string) =>
    (
      await inboxModel(harness.db.mongoose.connection)
        .find({ realmId: connection.realmId, entity: 'Customer', entityId: customerId })
        .lean()
    ).map((event) => ({
      operation: event.operation,
      occurredAt: event.occurredAt.getTime(),
      pending: event.pendingFor.includes(connection.id),
    }));

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account);
    qbo = await harness.qboFor(connection.realmId);
    const changed = Date.now();
    // Polls only when asked, so every request QuickBooks sees is one the test caused.
    const settings = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { pollIntervalSeconds: 3600, activePollIntervalSeconds: 3600 },
    });
    expect(settings.status).toBe(200);
    await eventually(
      detail,
      (found) =>
        found.backfill?.status === 'done' &&
        found.workflow?.state === 'syncing' &&
        found.lastPolledAt !== null &&
        Date.parse(found.lastPolledAt) >= changed,
      30_000,
      'the backfill done and the poll the new settings ask for',
    );
  });
  afterAll(() => harness?.close());

  it('holds both directions while paused, keeps what arrives, and syncs it all on resume', async () => {
    await put('before-pause', { displayName: 'Paula Before', email: 'p@old.example' });
    const linked = await eventually(
      () => contact('before-pause'),
      (found) => found.sync.state === 'synced' && found.quickbooks !== null,
      20_000,
      'the first contact synced',
    );
    const customerId: string = linked.quickbooks.customerId;
    // Its creation's webhook is applied before the pause, so no drain of it is running when the pause lands.
    await eventually(
      () => inboxFor(customerId),
      (events) => events.length > 0 && events.every((event) => !event.pending),
      20_000,
      'the webhook of the customer’s creation applied',
    );
    const current = (await qbo.read('Customer', customerId)).json.Customer;

    const paused = await harness.request('POST', `/v1/connections/${connection.id}/pause`, {
      body: { note: 'month-end close' },
    });
    const pausedAt = Date.now();
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({
      id: connection.id,
      status: 'active',
      paused: { note: 'month-end close', since: expect.any(String) },
      workflow: { paused: true, state: 'syncing' },
    });
    const again = await harness.request('POST', `/v1/connections/${connection.id}/pause`, {
      body: { note: 'another note' },
    });
    expect(again.status).toBe(200);
    expect(again.json.paused).toEqual(paused.json.paused);

    const schedule = await describeReminderSchedule(harness.temporal, connection.id);
    expect(schedule?.state).toMatchObject({ paused: true, note: expect.stringContaining('sync is paused') });
    const health = await harness.request('GET', `/v1/connections/${connection.id}/health`);
    expect(health.json.paused).toEqual(paused.json.paused);
    const syncNow = await harness.request('POST', `/v1/connections/${connection.id}/sync`);
    expect(syncNow.status).toBe(409);
    expect(syncNow.json.code).toBe('connection_paused');

    // CRM → QBO: the contact is stored and says why it waits.
    const stored = await put('while-paused', { displayName: 'Wes While', email: 'wes@example.com' });
    expect(stored.sync).toMatchObject({ state: 'pending', waitingFor: 'connection_paused' });
    // QBO → CRM: a bookkeeper's edit, whose webhook reaches the inbox.
    const edited = await qbo.write(
      'Customer',
      {
        Id: customerId,
        SyncToken: current.SyncToken,
        sparse: true,
        PrimaryEmailAddr: { Address: 'p@qbo.example' },
      },
      { requestid: 'pause-test-edit' },
    );
    expect(edited.status).toBe(200);
    await eventually(
      () => inboxFor(customerId),
      (events) => events.some((event) => event.operation === 'Update' && event.pending),
      20_000,
      'the edit’s webhook stored for the connection',
    );
    // The workflow holds both: the contact queued in its lane, the webhook waiting.
    const held = await eventually(
      detail,
      (found) => found.workflow?.contactsWaiting === 1 && found.workflow.webhooksWaiting === true,
      20_000,
      'the workflow holding the contact and the webhook',
    );
    expect(held.workflow).toMatchObject({ paused: true, pushesInFlight: 0, pullsInFlight: 0 });

    // Nothing went to QuickBooks but the test's own edit, and nothing came back to the CRM.
    const sent = await requestsSince(pausedAt);
    expect(sent.filter((request) => request.query.requestid !== 'pause-test-edit')).toEqual([]);
    expect((await contact('before-pause')).fields.email).toBe('p@old.example');
    expect((await contact('while-paused')).quickbooks).toBeNull();

    // Taken before asking: the resume's poll can start before the API's answer arrives (on a loaded machine, by
    // more than a second).
    const resumeAskedAt = Date.now();
    const resumed = await harness.request('POST', `/v1/connections/${connection.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json.paused).toBeNull();
    expect(resumed.json.workflow.paused).toBe(false);
    const twice = await harness.request('POST', `/v1/connections/${connection.id}/resume`);
    expect(twice.status).toBe(200);
    expect(twice.json.paused).toBeNull();

    const written = await eventually(
      () => contact('while-paused'),
      (found) => found.sync.state === 'synced' && found.quickbooks !== null,
      20_000,
      'the contact stored while paused written to QuickBooks',
    );
    expect((await qbo.read('Customer', written.quickbooks.customerId)).json.Customer.DisplayName).toBe(
      'Wes While',
    );
    await eventually(
      () => contact('before-pause'),
      (found) => found.fields.email === 'p@qbo.example',
      20_000,
      'the bookkeeper’s edit merged into the contact',
    );
    await eventually(
      () => inboxFor(customerId),
      (events) => events.every((event) => !event.pending),
      20_000,
      'the inbox drained',
    );
    // And a poll covered the gap.
    const after = await eventually(
      detail,
      (found) => found.lastPolledAt !== null && Date.parse(found.lastPolledAt) >= resumeAskedAt,
      20_000,
      'a poll after the resume',
    );
    expect(after.paused).toBeNull();
    expect((await describeReminderSchedule(harness.temporal, connection.id))?.state.paused).toBe(false);
  });

  it('answers 404 for a connection the account does not have, and 400 naming a bad note', async () => {
    for (const action of ['pause', 'resume']) {
      const missing = await harness.request('POST', `/v1/connections/conn_nope/${action}`);
      expect(missing.status).toBe(404);
      expect(missing.json.code).toBe('not_found');
    }
    const other = await harness.newAccount('Someone else');
    const foreign = await harness.request('POST', `/v1/connections/${connection.id}/pause`, {
      key: other.key,
    });
    expect(foreign.status).toBe(404);
    const long = await harness.request('POST', `/v1/connections/${connection.id}/pause`, {
      body: { note: 'x'.repeat(501) },
    });
    expect(long.status).toBe(400);
    expect(long.json.field).toBe('body.note');
    expect((await detail()).paused).toBeNull();
  });

  it('refuses with 409 a connection that is disconnected, or still backfilling', async () => {
    const account = await harness.newAccount('Pause conflicts');
    const gone = await harness.connect(account, { backfill: false });
    expect((await harness.request('DELETE', `/v1/connections/${gone.id}`, { key: account.key })).status).toBe(
      200,
    );
    for (const action of ['pause', 'resume']) {
      const refused = await harness.request('POST', `/v1/connections/${gone.id}/${action}`, {
        key: account.key,
      });
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('connection_inactive');
    }

    // Every QuickBooks answer a second late keeps the backfill going while the pause is asked for.
    const slow = (realmId: string, faults: Record<string, unknown>) =>
      harness.emulator.admin('PUT', `/companies/${realmId}/faults`, faults);
    const backfilling = await harness.connect(account, {
      company: { companyName: 'Slow Co' },
      beforeConnect: async (realmId) => void (await slow(realmId, { latencyMs: 1000 })),
    });
    const refused = await harness.request('POST', `/v1/connections/${backfilling.id}/pause`, {
      key: account.key,
    });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('backfill_running');
    const state = await harness.request('GET', `/v1/connections/${backfilling.id}`, { key: account.key });
    expect(state.json.paused).toBeNull();
    expect(state.json.workflow?.state).toBe('backfilling');
    await slow(backfilling.realmId, {});
  });
});
