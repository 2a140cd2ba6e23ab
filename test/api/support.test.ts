import { createQboSyncClient, ok, type QboSyncClient } from '../../sdk/src';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * "Why did this contact not sync?", answered from the API alone: the contact's state, its sync events, the
 * connection's health; then the repair: fix and retry, and a conflict decided the other way. Every call goes
 * through the SDK (sdk/), as an integrator's code would.
 */
describe('support: sync history, health and repair through the API', () => {
  let harness: ApiHarness;
  let api: QboSyncClient;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    api = createQboSyncClient({ baseUrl: harness.url, apiKey: harness.account.key });
    connection = await harness.connect(harness.account, { backfill: false });
    qbo = await harness.qboFor(connection.realmId);
  });
  afterAll(() => harness?.close());

  const put = (crmContactId: string, fields: Record<string, string>) =>
    api.PUT('/v1/contacts/{crmContactId}', {
      params: { path: { crmContactId } },
      body: { updatedAt: new Date().toISOString(), fields },
    });
  const contact = (crmContactId: string) =>
    ok(api.GET('/v1/contacts/{crmContactId}', { params: { path: { crmContactId } } }));
  const health = () =>
    ok(api.GET('/v1/connections/{id}/health', { params: { path: { id: connection.id } } }));

  it('walks a support person from "it did not sync" to the cause and the fix', async () => {
    // The CRM sends a contact whose name QBO refuses (a colon) and whose email is malformed.
    const sent = await put('crm-bad', { displayName: 'Acme: Main Office', email: 'not-an-email' });
    expect(sent.response.status).toBe(202);

    // 1. The contact says it was rejected, and why.
    const rejected = await eventually(
      () => contact('crm-bad'),
      (body) => body.sync.state === 'rejected',
      15_000,
    );
    expect(rejected.quickbooks).toBeNull();
    expect(rejected.sync.lastEvent?.kind).toBe('rejected');

    // 2. Its history names each field and the rule it broke.
    const history = await ok(
      api.GET('/v1/sync-events', { params: { query: { crmContactId: 'crm-bad', status: 'failed' } } }),
    );
    expect(history.data).toHaveLength(1);
    const [failure] = history.data;
    expect(failure).toMatchObject({ kind: 'rejected', source: 'crm', status: 'failed' });
    expect(failure!.fields.sort()).toEqual(['displayName', 'email']);
    expect(JSON.stringify(failure!.detail.problems)).toMatch(/DisplayName/);

    // 3. The connection's health counts it as failing.
    const failing = await health();
    expect(failing.records).toMatchObject({ failing: 1 });
    expect(failing.tokens.state).toBe('ok');

    // 4. The CRM fixes the record; the retry endpoint queues every record still failing or pending.
    await put('crm-bad', { displayName: 'Acme Main Office', email: 'office@acme.example' });
    const retried = await api.POST('/v1/connections/{id}/retry', {
      params: { path: { id: connection.id } },
      body: {},
    });
    expect(retried.response.status).toBe(202);
    const fixed = await eventually(
      () => contact('crm-bad'),
      (body) => body.sync.state === 'synced',
      15_000,
    );
    expect(fixed.quickbooks?.customerId).toEqual(expect.any(String));
    const after = await health();
    expect(after.records).toMatchObject({ failing: 0, inSync: 1, pending: 0 });
    expect(after.freshness.crmToQbo.samples).toBeGreaterThan(0);
    expect(after.apiBudget.usedThisMinute + after.apiBudget.usedLastMinute).toBeGreaterThan(0);
  });

  it('lists a conflict with both values, and writes the CRM’s value to QBO when the CRM chooses it', async () => {
    await put('crm-c', { displayName: 'Conflict Co', phone: '555-0000' });
    const linked = await eventually(
      () => contact('crm-c'),
      (body) => body.sync.state === 'synced',
      15_000,
    );
    const customerId = linked.quickbooks!.customerId;
    // Both sides change the phone before the next sync: QBO wins, and the conflict is recorded.
    await harness.emulator.admin('POST', `/companies/${connection.realmId}/entities/customer`, {
      entity: { Id: customerId, PrimaryPhone: { FreeFormNumber: '555-QBO' } },
    });
    await put('crm-c', { displayName: 'Conflict Co', phone: '555-CRM' });
    const [conflict] = await eventually(
      async () =>
        (
          await ok(
            api.GET('/v1/sync-events', { params: { query: { status: 'conflict', crmContactId: 'crm-c' } } }),
          )
        ).data,
      (found) => found.length === 1,
      15_000,
    );
    expect(conflict).toMatchObject({
      source: 'both',
      fields: ['phone'],
      detail: expect.objectContaining({ qboValue: '555-QBO', crmValue: '555-CRM', applied: 'qbo' }),
    });

    const resolve = (choice: 'qbo' | 'crm', client = api) =>
      client.POST('/v1/sync-events/{id}/resolve', {
        params: { path: { id: conflict!.id } },
        body: { choice },
      });
    const resolved = await resolve('crm');
    expect(resolved.data).toMatchObject({ status: 'resolved', resolution: { choice: 'crm' } });
    expect(
      await eventually(
        async () => (await qbo.read('Customer', customerId)).json.Customer.PrimaryPhone?.FreeFormNumber,
        (phone) => phone === '555-CRM',
        15_000,
        "the CRM's value in QBO",
      ),
    ).toBe('555-CRM');
    const again = await resolve('qbo');
    expect(again.error).toMatchObject({ status: 409, code: 'conflict_resolved' });
    // Another account cannot see or decide it.
    const other = await harness.newAccount('Support stranger');
    const stranger = createQboSyncClient({ baseUrl: harness.url, apiKey: other.key });
    expect((await resolve('crm', stranger)).response.status).toBe(404);
    expect((await ok(stranger.GET('/v1/sync-events'))).data).toEqual([]);
    const theirHealth = await stranger.GET('/v1/connections/{id}/health', {
      params: { path: { id: connection.id } },
    });
    expect(theirHealth.error).toMatchObject({ status: 404, code: 'not_found' });
  });
});
