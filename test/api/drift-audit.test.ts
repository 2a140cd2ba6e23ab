import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { salesLine, type QboClient } from '../support/emulator';
import { markAuditRunning, recordAuditResult } from '../../src/audit/store';
import { describeAuditSchedule, driftAuditWorkflowId } from '../../src/temporal/drift-audit';
import { eventually } from '../support/env';

/**
 * The drift audit through the public API: a bookkeeper's edit the engine never heard of (Intuit's webhooks dropped,
 * polls an hour apart) is found by the audit, healed through the sync (recorded, the CRM's contact updated), and
 * the audit's counts say so; an unlinked customer is named.
 */
describe('the drift audit', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account);
    qbo = await harness.qboFor(connection.realmId);
    const settings = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { pollIntervalSeconds: 3600, activePollIntervalSeconds: 3600 },
    });
    expect(settings.status).toBe(200);
  });
  afterAll(() => harness?.close());

  const contact = async (id: string) => (await harness.request('GET', `/v1/contacts/${id}`)).json;
  const synced = (id: string, accept: (found: any) => boolean) =>
    eventually(
      () => contact(id),
      (found) => found.sync?.state === 'synced' && found.quickbooks !== null && accept(found),
      20_000,
      `${id} synced`,
    );
  const audit = () => harness.request('GET', `/v1/connections/${connection.id}/audit`);
  /** An audit run on a queue no worker polls, so it stays open; the previous test's audit may still be closing. */
  const startUnservedAudit = () =>
    harness.temporal.workflow.start('driftAuditWorkflow', {
      workflowId: driftAuditWorkflowId(connection.id),
      taskQueue: `${harness.taskQueue}-nobody`,
      args: [{ connectionId: connection.id }],
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
  const runAuditFinished = async () =>
    (await eventually(audit, (response) => response.json.status !== 'running', 30_000, 'the audit to finish'))
      .json;
  const runAudit = async () => {
    const started = await harness.request('POST', `/v1/connections/${connection.id}/audit`);
    expect(started.status).toBe(202);
    expect(started.json.status).toBe('running');
    return runAuditFinished();
  };

  it('answers 404 before any audit has run', async () => {
    const response = await audit();
    expect(response.status).toBe(404);
    expect(response.json.code).toBe('not_found');
  });

  it('finds an edit made behind the engine’s back and heals it through the sync', async () => {
    const put = await harness.request('PUT', '/v1/contacts/drifter', {
      body: {
        updatedAt: new Date(Date.now() - 60_000).toISOString(),
        fields: { displayName: 'Dora Drifter', phone: '555-0100' },
      },
    });
    expect(put.status).toBe(202);
    const qboId = (await synced('drifter', () => true)).quickbooks.customerId;
    // A customer created in QBO before the webhooks stop is one no contact is linked to.
    const stranger = await qbo.write('Customer', { DisplayName: 'Sam Stranger' });
    expect(stranger.status).toBe(200);
    await eventually(
      async () =>
        (await harness.request('GET', `/v1/contacts?changedSince=1970-01-01T00:00:00Z&limit=100`)).json.data,
      (items: { qboCustomerId: string }[]) =>
        items.some((item) => item.qboCustomerId === stranger.json.Customer.Id),
      20_000,
      'the unlinked customer in our copy',
    );

    await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, {
      webhooks: { dropRate: 1 },
    });
    const current = (await qbo.read('Customer', qboId)).json.Customer;
    const edited = await qbo.write('Customer', {
      Id: qboId,
      SyncToken: current.SyncToken,
      sparse: true,
      PrimaryPhone: { FreeFormNumber: '555-0199' },
    });
    expect(edited.status).toBe(200);
    // The engine has not seen it: the contact still has the old phone (the audit below is what changes that).
    expect((await contact('drifter')).fields.phone).toBe('555-0100');

    const result = await runAudit();
    expect(result).toMatchObject({ status: 'completed', error: null });
    expect(result.counts).toMatchObject({
      drifted: 1,
      healed: 1,
      byKind: expect.objectContaining({ projection_behind: 1, contact_differs: 1 }),
      unlinkedCustomers: expect.any(Number),
    });
    expect(result.counts.compared).toBeGreaterThanOrEqual(1);
    expect(result.counts.qboRequests).toBeGreaterThanOrEqual(1);
    expect(result.rate).toBeCloseTo(1 / result.counts.compared);
    expect(result.samples).toEqual([
      {
        kinds: ['projection_behind', 'contact_differs'],
        qboCustomerId: qboId,
        crmContactId: 'drifter',
        fields: [{ field: 'phone', qbo: '555-0199', projection: '555-0100', crm: '555-0100' }],
        healed: true,
        mergedInto: null,
      },
    ]);
    expect(result.unlinkedSamples).toContain(stranger.json.Customer.Id);

    // Healed the normal way: the contact has QBO's phone, and the history says the audit brought it.
    expect((await contact('drifter')).fields.phone).toBe('555-0199');
    const events = (
      await harness.request('GET', `/v1/sync-events?connectionId=${connection.id}&kind=updated_crm&limit=100`)
    ).json.data.filter((event: { crmContactId: string }) => event.crmContactId === 'drifter');
    expect(events[0]).toMatchObject({
      fields: ['phone'],
      detail: expect.objectContaining({ channel: 'audit', qboSyncToken: edited.json.Customer.SyncToken }),
    });
    const lineage = await harness.request('GET', '/v1/contacts/drifter/lineage');
    expect(lineage.json.fields.find((field: { field: string }) => field.field === 'phone')).toMatchObject({
      side: 'qbo',
      change: { channel: 'audit', eventId: events[0].id },
    });

    const health = await harness.request('GET', `/v1/connections/${connection.id}/health`);
    expect(health.json.drift).toEqual({
      auditedAt: result.finishedAt,
      drifted: 1,
      compared: result.counts.compared,
      rate: result.rate,
      healed: 1,
    });

    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toMatch(/^qbo_sync_drifted_links\{kind="contact_differs"\} 1$/m);

    // Audited again, nothing has drifted.
    const again = await runAudit();
    expect(again.counts).toMatchObject({ drifted: 0, healed: 0 });
    expect(again.rate).toBe(0);
    // Both audits are in its history, oldest first: the drift rate over time.
    expect(
      again.history.map(({ drifted, rate }: { drifted: number; rate: number }) => ({ drifted, rate })),
    ).toEqual([
      { drifted: 1, rate: result.rate },
      { drifted: 0, rate: 0 },
    ]);
  }, 120_000);

  it('reports a link to a customer made inactive in QBO, and leaves it for a person', async () => {
    const put = await harness.request('PUT', '/v1/contacts/retiree', {
      body: { updatedAt: new Date().toISOString(), fields: { displayName: 'Rita Retiree' } },
    });
    expect(put.status).toBe(202);
    const qboId = (await synced('retiree', () => true)).quickbooks.customerId;
    const current = (await qbo.read('Customer', qboId)).json.Customer;
    const retired = await qbo.write('Customer', {
      Id: qboId,
      SyncToken: current.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(retired.status).toBe(200);
    // Intuit's webhooks are still dropped: only the audit sees this.

    const result = await runAudit();
    expect(result.counts).toMatchObject({
      drifted: 1,
      healed: 0,
      byKind: expect.objectContaining({ link_to_inactive: 1, projection_behind: 1, contact_differs: 0 }),
    });
    expect(result.samples).toEqual([
      {
        kinds: ['projection_behind', 'link_to_inactive'],
        qboCustomerId: qboId,
        crmContactId: 'retiree',
        fields: [],
        healed: false,
        mergedInto: null,
      },
    ]);
    // Our copy took QBO's version through the sync all the same: the next audit finds only the inactive link.
    const again = await runAudit();
    expect(again.counts).toMatchObject({
      drifted: 1,
      byKind: expect.objectContaining({ projection_behind: 0 }),
    });
  }, 120_000);

  it('finds transactions missing from a folder, behind QBO or deleted in QBO, and heals each', async () => {
    await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, {
      webhooks: { dropRate: 0 },
    });
    const put = await harness.request('PUT', '/v1/contacts/ledger', {
      body: { updatedAt: new Date().toISOString(), fields: { displayName: 'Lena Ledger' } },
    });
    expect(put.status).toBe(202);
    const customerId = (await synced('ledger', () => true)).quickbooks.customerId;
    const invoice = () =>
      qbo.create('Invoice', { CustomerRef: { value: customerId }, Line: [salesLine(80)] });
    const folder = async () =>
      (await harness.request('GET', '/v1/contacts/ledger/quickbooks/transactions?limit=100')).json.data as {
        qboId: string;
        status: string;
        total: number;
      }[];
    const [edited, deleted] = [await invoice(), await invoice()];
    await eventually(
      folder,
      (found) => [edited.Id, deleted.Id].every((id) => found.some((held) => held.qboId === id)),
      20_000,
      'both invoices in the folder (webhooks on)',
    );

    // Behind the engine's back: an invoice changed, one created, one deleted.
    await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, {
      webhooks: { dropRate: 1 },
    });
    const changed = await qbo.write('Invoice', {
      Id: edited.Id,
      SyncToken: edited.SyncToken,
      sparse: true,
      Line: [salesLine(95)],
    });
    expect(changed.status).toBe(200);
    const created = await invoice();
    const removed = await qbo.write(
      'Invoice',
      { Id: deleted.Id, SyncToken: deleted.SyncToken },
      { operation: 'delete' },
    );
    expect(removed.status).toBe(200);
    const before = await folder();
    expect(before.find((held) => held.qboId === edited.Id)?.total).toBe(80);
    expect(before.some((held) => held.qboId === created.Id)).toBe(false);
    expect(before.find((held) => held.qboId === deleted.Id)?.status).not.toBe('deleted');

    const result = await runAudit();
    expect(result.counts.transactions).toEqual({
      read: expect.any(Number),
      missing: 1,
      behind: 1,
      deleted: 1,
      healed: 3,
    });
    expect(result.counts.transactions.read).toBeGreaterThanOrEqual(2);
    expect(result.transactionSamples).toEqual(
      expect.arrayContaining([
        {
          kind: 'transaction_behind',
          entity: 'Invoice',
          qboId: edited.Id,
          customerQboId: customerId,
          healed: true,
        },
        {
          kind: 'transaction_missing',
          entity: 'Invoice',
          qboId: created.Id,
          customerQboId: customerId,
          healed: true,
        },
        {
          kind: 'transaction_deleted',
          entity: 'Invoice',
          qboId: deleted.Id,
          customerQboId: customerId,
          healed: true,
        },
      ]),
    );
    expect(result.transactionSamples).toHaveLength(3);

    // The folder now agrees with QBO.
    const after = await folder();
    expect(after.find((held) => held.qboId === edited.Id)?.total).toBe(95);
    expect(after.some((held) => held.qboId === created.Id)).toBe(true);
    expect(after.find((held) => held.qboId === deleted.Id)?.status ?? 'deleted').toBe('deleted');
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toMatch(/^qbo_sync_drifted_transactions\{kind="transaction_missing"\} 1$/m);
  }, 120_000);

  it('starts a new audit when the last one has recorded its result but its run is still closing', async () => {
    // A run that recorded its result and has not closed yet: here one on a queue no worker polls, so it stays open.
    const closing = await startUnservedAudit();
    const db = harness.db.mongoose.connection;
    await markAuditRunning(db, connection.id, new Date());
    await recordAuditResult(db, connection.id, { samples: [] }, new Date());
    expect((await audit()).json.status).toBe('completed');

    const result = await runAudit();
    expect(result).toMatchObject({ status: 'completed', error: null });
    expect(result.counts.customers).toBeGreaterThanOrEqual(1);
    const replaced = harness.temporal.workflow.getHandle(closing.workflowId, closing.firstExecutionRunId);
    expect((await replaced.describe()).status.name).toBe('TERMINATED');
  }, 120_000);

  it('joins an audit that has started and not yet said so, rather than starting a second', async () => {
    // Started after the last audit finished (as the daily schedule starts one), on a queue no worker polls.
    const started = await startUnservedAudit();
    try {
      const response = await harness.request('POST', `/v1/connections/${connection.id}/audit`);
      expect(response.status).toBe(202);
      expect(response.json.status).toBe('running');
      const open = await started.describe();
      expect(open.status.name).toBe('RUNNING');
      expect(open.runId).toBe(started.firstExecutionRunId);
    } finally {
      await started.terminate('the test is over');
    }
  });

  it('stays running while Temporal retries a failed attempt, and says failed once the retries are spent', async () => {
    // QBO answering 503 (a page it throttles the audit asks for again itself; an outage is Temporal's to retry).
    await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, {
      errorRates: { '503': 1 },
    });
    try {
      const started = await harness.request('POST', `/v1/connections/${connection.id}/audit`);
      expect(started.status).toBe(202);
      const run = harness.temporal.workflow.getHandle(driftAuditWorkflowId(connection.id));
      const retrying = await eventually(
        () => run.describe(),
        (described) => (described.raw.pendingActivities?.[0]?.attempt ?? 0) >= 2,
        30_000,
        'the audit’s second attempt',
      );
      expect(retrying.raw.pendingActivities?.[0]?.lastFailure?.message).toMatch(/HTTP 503/);
      expect((await audit()).json.status).toBe('running');

      const result = await runAuditFinished();
      expect(result).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/HTTP 503/),
      });
      await expect(run.result()).rejects.toThrow('Workflow execution failed');
    } finally {
      await harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, { errorRates: {} });
    }
  }, 120_000);

  it('audits every connection daily through a schedule of its own, which disconnecting deletes', async () => {
    const company = await harness.connect(harness.account);
    const described = await describeAuditSchedule(harness.temporal, company.id);
    expect(described?.spec.intervals).toEqual([expect.objectContaining({ every: 86_400_000 })]);
    expect(described?.action).toMatchObject({
      workflowType: 'driftAuditWorkflow',
      args: [{ connectionId: company.id }],
    });
    const disconnected = await harness.request('DELETE', `/v1/connections/${company.id}`);
    expect(disconnected.status).toBe(200);
    expect(await describeAuditSchedule(harness.temporal, company.id)).toBeNull();
  });

  it('answers 404 for another account’s connection', async () => {
    const other = await harness.newAccount('other');
    const response = await harness.request('POST', `/v1/connections/${connection.id}/audit`, {
      key: other.key,
    });
    expect(response.status).toBe(404);
  });
});
