import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * "Why did this contact not sync?", answered from the API alone: the contact's state, its sync events, the
 * connection's health; then the repair: fix and retry, and a conflict decided the other way.
 */
describe('support: sync history, health and repair through the API', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account, { backfill: false });
    qbo = await harness.qboFor(connection.realmId);
  });
  afterAll(() => harness?.close());

  const put = (id: string, fields: Record<string, unknown>) =>
    harness.request('PUT', `/v1/contacts/${id}`, { body: { updatedAt: new Date().toISOString(), fields } });
  const contact = (id: string) =>
    harness.request('GET', `/v1/contacts/${id}`).then((response) => response.json);

  it('walks a support person from "it did not sync" to the cause and the fix', async () => {
    // The CRM sends a contact whose name QBO refuses (a colon) and whose email is malformed.
    expect((await put('crm-bad', { displayName: 'Acme: Main Office', email: 'not-an-email' })).status).toBe(
      202,
    );

    // 1. The contact says it was rejected, and why.
    const rejected = await eventually(
      () => contact('crm-bad'),
      (body) => body.sync.state === 'rejected',
      15_000,
    );
    expect(rejected.quickbooks).toBeNull();
    expect(rejected.sync.lastEvent.kind).toBe('rejected');

    // 2. Its history names each field and the rule it broke.
    const history = await harness.request('GET', '/v1/sync-events?crmContactId=crm-bad&status=failed');
    expect(history.json.data).toHaveLength(1);
    const [failure] = history.json.data;
    expect(failure).toMatchObject({ kind: 'rejected', source: 'crm', status: 'failed' });
    expect(failure.fields.sort()).toEqual(['displayName', 'email']);
    expect(JSON.stringify(failure.detail.problems)).toMatch(/DisplayName/);

    // 3. The connection's health counts it as failing.
    const health = await harness.request('GET', `/v1/connections/${connection.id}/health`);
    expect(health.json.records).toMatchObject({ failing: 1 });
    expect(health.json.tokens.state).toBe('ok');

    // 4. The CRM fixes the record; the retry endpoint queues every record still failing or pending.
    await put('crm-bad', { displayName: 'Acme Main Office', email: 'office@acme.example' });
    const retried = await harness.request('POST', `/v1/connections/${connection.id}/retry`, { body: {} });
    expect(retried.status).toBe(202);
    const fixed = await eventually(
      () => contact('crm-bad'),
      (body) => body.sync.state === 'synced',
      15_000,
    );
    expect(fixed.quickbooks.customerId).toEqual(expect.any(String));
    const after = await harness.request('GET', `/v1/connections/${connection.id}/health`);
    expect(after.json.records).toMatchObject({ failing: 0, inSync: 1, pending: 0 });
    expect(after.json.freshness.crmToQbo.samples).toBeGreaterThan(0);
    expect(after.json.apiBudget.usedThisMinute + after.json.apiBudget.usedLastMinute).toBeGreaterThan(0);
  });

  it('lists a conflict with both values, and writes the CRM’s value to QBO when the CRM chooses it', async () => {
    await put('crm-c', { displayName: 'Conflict Co', phone: '555-0000' });
    const linked = await eventually(
      () => contact('crm-c'),
      (body) => body.sync.state === 'synced',
      15_000,
    );
    const customerId: string = linked.quickbooks.customerId;
    // Both sides change the phone before the next sync: QBO wins, and the conflict is recorded.
    await harness.emulator.admin('POST', `/companies/${connection.realmId}/entities/customer`, {
      entity: { Id: customerId, PrimaryPhone: { FreeFormNumber: '555-QBO' } },
    });
    await put('crm-c', { displayName: 'Conflict Co', phone: '555-CRM' });
    const [conflict] = await eventually(
      async () =>
        (await harness.request('GET', '/v1/sync-events?status=conflict&crmContactId=crm-c')).json.data,
      (found: { id: string }[]) => found.length === 1,
      15_000,
    );
    expect(conflict).toMatchObject({
      source: 'both',
      fields: ['phone'],
      detail: expect.objectContaining({ qboValue: '555-QBO', crmValue: '555-CRM', applied: 'qbo' }),
    });

    const resolved = await harness.request('POST', `/v1/sync-events/${conflict!.id}/resolve`, {
      body: { choice: 'crm' },
    });
    expect(resolved.json).toMatchObject({ status: 'resolved', resolution: { choice: 'crm' } });
    await eventually(
      async () => (await qbo.read('Customer', customerId)).json.Customer.PrimaryPhone?.FreeFormNumber,
      (phone) => phone === '555-CRM',
      15_000,
    );
    const again = await harness.request('POST', `/v1/sync-events/${conflict!.id}/resolve`, {
      body: { choice: 'qbo' },
    });
    expect(again.json).toMatchObject({ status: 409, code: 'conflict_resolved' });
    // Another account cannot see or decide it.
    const other = await harness.newAccount('Support stranger');
    const theirs = await harness.request('POST', `/v1/sync-events/${conflict!.id}/resolve`, {
      key: other.key,
      body: { choice: 'crm' },
    });
    expect(theirs.status).toBe(404);
    expect((await harness.request('GET', '/v1/sync-events', { key: other.key })).json.data).toEqual([]);
    expect(
      (await harness.request('GET', `/v1/connections/${connection.id}/health`, { key: other.key })).status,
    ).toBe(404);
  });
});
