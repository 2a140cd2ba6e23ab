import { execFile } from 'node:child_process';
import path from 'node:path';
import { redeemConsoleSignInToken } from '../../src/accounts/console-sign-in';
import { connectionTokensModel } from '../../src/db/models/connection';
import { recordSyncEvents, syncEventModel } from '../../src/history/sync-events';
import { describeReminderSchedule } from '../../src/temporal/reminder-schedules';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { salesLine } from '../support/emulator';
import { eventually } from '../support/env';

const repoRoot = path.join(__dirname, '..', '..');
// Each command is a node process of its own: seconds alone, tens of seconds each when the whole suite loads the cores.
jest.setTimeout(240_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * `npm run ops` as an operator runs it: a process of its own (src/ops/cli.ts under tsx), configured only through
 * the environment, against the shared test stack's database and Temporal, with a real API and worker beside it.
 */
describe('the ops CLI, run as a process', () => {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await startApiHarness();
  });
  afterAll(() => harness?.close());

  function ops(...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'src/ops/cli.ts'), ...args],
        { cwd: repoRoot, env: harness.serviceEnv, timeout: 60_000 },
        (error, stdout, stderr) => {
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, json });
        },
      );
    });
  }

  /** Runs a command that must succeed; a failure shows what it printed. */
  async function ok(...args: string[]): Promise<Run> {
    const run = await ops(...args);
    expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
    return run;
  }

  /** A test that connects a company and runs a dozen CLI processes (each a Node start under tsx) on two cores. */
  const connectedTestTimeoutMs = 150_000;

  /** An account of the test's own with one connected company: each test stands alone. */
  async function connectedAccount(companyName: string) {
    const account = await harness.newAccount(`${companyName} CRM`);
    const connection = await harness.connect(account, { company: { companyName } });
    return {
      accountId: account.id,
      apiKey: account.key,
      connectionId: connection.id,
      realmId: connection.realmId,
    };
  }

  /** A bookkeeper's overdue invoice in QuickBooks, for a customer with an email address to remind. */
  async function addOverdueInvoice(realmId: string) {
    const qbo = await harness.qboFor(realmId);
    const customer = await qbo.create('Customer', {
      DisplayName: 'Overdue Outfitters',
      PrimaryEmailAddr: { Address: 'ap@outfitters.example' },
    });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      TxnDate: '2026-01-02',
      DueDate: '2026-01-20',
      Line: [salesLine(420)],
    });
    return { customer, invoice };
  }

  /** Waits until the engine has pulled a QuickBooks customer into the account's contacts. */
  const pulled = (apiKey: string, customerId: string) =>
    eventually(
      () => harness.request('GET', `/v1/contacts?changedSince=1970-01-01T00:00:00Z`, { key: apiKey }),
      (page) => page.json.data?.some((item: { qboCustomerId: string }) => item.qboCustomerId === customerId),
      20_000,
      `customer ${customerId} among the contacts`,
    );

  it('creates an account whose key works, lists accounts, and rotates keys', async () => {
    const created = await ok('accounts', 'create', 'Ops', 'CRM', '--json');
    const { accountId, apiKey } = created.json as { accountId: string; apiKey: string };
    expect(created.json).toMatchObject({ name: 'Ops CRM', apiKey: expect.stringMatching(/^qbs_/) });
    expect((await harness.request('GET', '/v1/connections', { key: apiKey })).status).toBe(200);

    const accounts = await ok('accounts', 'list', '--json');
    expect(accounts.json).toContainEqual(
      expect.objectContaining({ id: accountId, name: 'Ops CRM', liveKeys: 1, connections: 0 }),
    );
    expect((await ok('accounts', 'list')).stdout).toMatch(new RegExp(`${accountId}\\s+Ops CRM\\s+1\\s+0`));

    const second = await ok('keys', 'create', accountId, 'rotation', '--json');
    const keys = await ok('keys', 'list', accountId, '--json');
    expect(keys.json.map((key: { id: string }) => key.id)).toEqual([created.json.keyId, second.json.keyId]);
    expect(keys.stdout).not.toContain('secretHash');
    expect((await ok('keys', 'list', accountId)).stdout).toMatch(/rotation/);

    await ok('keys', 'revoke', accountId, second.json.keyId);
    expect((await harness.request('GET', '/v1/connections', { key: second.json.apiKey })).status).toBe(401);
    const again = await ops('keys', 'revoke', accountId, second.json.keyId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`account ${accountId} has no live key ${second.json.keyId}`);
  });

  it('says what to do about an unknown account and a command line it does not understand', async () => {
    const unknown = await ops('keys', 'list', 'acct_nope');
    expect(unknown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'no account acct_nope: list the accounts with `npm run ops -- accounts list`\n',
    });
    const usage = await ops('keys');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/keys list <accountId>[\s\S]*name a keys command/);
    expect((await ops('resolve', '0123456789abcdef01234567', 'both')).code).toBe(2);
  });

  it('prints a one-time console sign-in link on the API’s public address', async () => {
    const { id: accountId } = await harness.newAccount('Ops console CRM');
    const link = await ok('console', 'link', accountId, '--ttl', '120', '--json');
    expect(link.json.url).toMatch(new RegExp(`^${harness.url}/console#signInToken=qcs_`));
    const token = new URLSearchParams(new URL(link.json.url).hash.slice(1)).get('signInToken')!;
    const conn = harness.db.mongoose.connection;
    expect(await redeemConsoleSignInToken(conn, token)).toMatchObject({ ok: true, accountId });
    expect(await redeemConsoleSignInToken(conn, token)).toEqual({ ok: false, reason: 'used' });
  });

  it(
    'lists connections, shows a connection’s status, and syncs it now',
    async () => {
      const { accountId, apiKey, connectionId, realmId } = await connectedAccount('Ops Co');
      const listed = await ok('connections', 'list', '--account', accountId, '--json');
      expect(listed.json).toEqual([
        expect.objectContaining({ id: connectionId, accountId, companyName: 'Ops Co', status: 'active' }),
      ]);
      expect((await ok('connections', 'list')).stdout).toMatch(
        new RegExp(`${connectionId}\\s+${accountId}\\s+Ops Co`),
      );

      const status = await ok('connections', 'status', connectionId, '--json');
      expect(status.json).toMatchObject({
        id: connectionId,
        status: 'active',
        workflow: { state: expect.stringMatching(/^(backfilling|syncing)$/) },
        health: { records: expect.any(Object), tokens: { state: 'ok' } },
        reminders: { paused: false },
      });
      expect((await ok('connections', 'status', connectionId)).stdout).toMatch(
        /^tokens +ok; refresh token until/m,
      );

      // A bookkeeper adds an overdue invoice in QuickBooks; `sync` makes the workflow poll for it now.
      const { customer } = await addOverdueInvoice(realmId);
      const polls = async () =>
        (await harness.request('GET', `/v1/connections/${connectionId}`, { key: apiKey })).json.workflow
          ?.totals.polls as number;
      await eventually(polls, (count) => count >= 1, 30_000);
      const before = await polls();
      await ok('connections', 'sync', connectionId);
      expect(await eventually(polls, (count) => count > before)).toBeGreaterThan(before);
      expect((await pulled(apiKey, customer.Id)).status).toBe(200);
    },
    connectedTestTimeoutMs,
  );

  it(
    'previews, runs, pauses and resumes the reminders through the connection’s schedule',
    async () => {
      const { apiKey, connectionId, realmId } = await connectedAccount('Ops Reminders');
      const { customer } = await addOverdueInvoice(realmId);
      expect(
        (await harness.request('POST', `/v1/connections/${connectionId}/sync`, { key: apiKey })).status,
      ).toBe(202);
      await pulled(apiKey, customer.Id);
      // The test may run at any hour: no quiet hours, so the run delivers what it plans.
      const policy = await harness.request('PUT', `/v1/connections/${connectionId}/follow-up-policy`, {
        key: apiKey,
        body: { quietHours: null },
      });
      expect(policy.status).toBe(200);
      const before = await ok('reminders', 'preview', connectionId, '--json');
      expect(before.json).toMatchObject({ pendingCount: 0, pending: [], schedule: { paused: false } });
      expect((await ok('reminders', 'preview', connectionId)).stdout).toMatch(
        /^next run +delivers the 0 pending/m,
      );

      const run = await ok('reminders', 'run', connectionId, '--json');
      expect(run.json).toMatchObject({ connectionId, quiet: false });
      expect(run.json.planned).toBeGreaterThanOrEqual(1);
      expect(run.json.delivered).toBe(run.json.planned);
      const followUps = await harness.request('GET', `/v1/follow-ups?connectionId=${connectionId}`, {
        key: apiKey,
      });
      expect(followUps.json.data).toContainEqual(
        expect.objectContaining({
          kind: 'invoice_overdue',
          customerName: 'Overdue Outfitters',
          status: 'sent',
        }),
      );

      await ok('reminders', 'pause', connectionId, '--note', 'customer asked for a break');
      const paused = await describeReminderSchedule(harness.temporal, connectionId);
      expect(paused?.state).toMatchObject({
        paused: true,
        note: 'Paused by an operator: customer asked for a break',
      });
      // A policy edit keeps an operator's hold.
      await harness.request('PUT', `/v1/connections/${connectionId}/follow-up-policy`, {
        key: apiKey,
        body: { quietHours: null, minimumAmount: 1 },
      });
      expect((await describeReminderSchedule(harness.temporal, connectionId))?.state.paused).toBe(true);
      expect((await ok('reminders', 'preview', connectionId)).stdout).toMatch(
        /^schedule +paused: Paused by an operator: customer asked for a break$/m,
      );
      await ok('reminders', 'resume', connectionId);
      expect((await describeReminderSchedule(harness.temporal, connectionId))?.state.paused).toBe(false);

      // Resuming does not override a policy that turns follow-ups off.
      await harness.request('PUT', `/v1/connections/${connectionId}/follow-up-policy`, {
        key: apiKey,
        body: { enabled: false },
      });
      const refused = await ops('reminders', 'resume', connectionId);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`PUT /v1/connections/${connectionId}/follow-up-policy`);
    },
    connectedTestTimeoutMs,
  );

  it(
    'retries contacts and decides a conflict the CRM’s way, through the sync engine',
    async () => {
      const { apiKey, connectionId, realmId } = await connectedAccount('Ops Retries');
      const put = await harness.request('PUT', '/v1/contacts/crm-ops-1', {
        key: apiKey,
        body: {
          updatedAt: '2026-11-25T12:00:00Z',
          fields: { displayName: 'Opal Operator', email: 'opal@ops.example', phone: '555-0100' },
        },
      });
      expect(put.status).toBe(202);
      const linked = await eventually(
        () => harness.request('GET', '/v1/contacts/crm-ops-1', { key: apiKey }),
        (contact) => contact.json.sync?.state === 'synced',
      );
      const customerId: string = linked.json.quickbooks.customerId;

      const unknown = await ops('retry', connectionId, 'crm-nobody');
      expect(unknown).toMatchObject({ code: 1, stderr: 'No contact crm-nobody in this account.\n' });
      expect((await ok('retry', connectionId, 'crm-ops-1', '--json')).json).toEqual({
        connectionId,
        queued: ['crm-ops-1'],
      });
      expect((await ok('retry', connectionId)).stdout).toContain('Nothing to retry');

      // QuickBooks' phone won a conflict (as the engine records one); the operator keeps the CRM's instead.
      const conn = harness.db.mongoose.connection;
      await recordSyncEvents(
        conn,
        [
          {
            connectionId,
            crmContactId: 'crm-ops-1',
            qboCustomerId: customerId,
            kind: 'conflict',
            fields: ['phone'],
            detail: { qboValue: '555-0100', crmValue: '555-0199', applied: 'qbo' },
            at: new Date(),
          },
        ],
        90,
      );
      const conflict = await syncEventModel(conn).findOne({ connectionId, kind: 'conflict' }).lean();
      const id = String(conflict!._id);
      const resolved = await ok('resolve', id, 'crm', '--json');
      expect(resolved.json).toMatchObject({ id, resolution: { choice: 'crm' } });
      const qbo = await harness.qboFor(realmId);
      const customer = await eventually(
        async () =>
          (await qbo.query(`select * from Customer where Id = '${customerId}'`)).json.QueryResponse
            .Customer[0],
        (found) => found?.PrimaryPhone?.FreeFormNumber === '555-0199',
      );
      expect(customer.PrimaryPhone.FreeFormNumber).toBe('555-0199');
      const twice = await ops('resolve', id, 'qbo');
      expect(twice).toMatchObject({ code: 1, stderr: 'already resolved: crm kept\n' });
    },
    connectedTestTimeoutMs,
  );

  it(
    'pauses and resumes a connection’s sync, shows it in status and list, and keeps an operator’s reminder hold',
    async () => {
      const account = await harness.newAccount('Ops Pausers CRM');
      const { id: connectionId } = await harness.connect(account, {
        company: { companyName: 'Ops Pausers' },
        backfill: false,
      });
      const paused = await ok('connections', 'pause', connectionId, '--note', 'migrating the CRM', '--json');
      expect(paused.json).toMatchObject({
        id: connectionId,
        status: 'active',
        paused: { note: 'migrating the CRM' },
        workflow: { paused: true, contactsWaiting: 0, customersWaiting: 0 },
      });
      // Pausing again is a no-op: the first pause's time and note stand.
      const again = await ok('connections', 'pause', connectionId, '--json');
      expect(again.json.paused).toEqual(paused.json.paused);

      const status = await ok('connections', 'status', connectionId);
      expect(status.stdout).toMatch(/^paused +since .* \(migrating the CRM\)$/m);
      expect(status.stdout).toMatch(/^workflow +syncing \(paused\);/m);
      expect(status.stdout).toMatch(
        /^backlog +CRM → QuickBooks 0 writing, 0 waiting; QuickBooks → CRM 0 merging/m,
      );
      expect(status.stdout).toMatch(/^reminders +paused \(The connection’s sync is paused/m);
      expect((await ok('connections', 'list', '--account', account.id)).stdout).toMatch(
        new RegExp(`${connectionId}.*active, paused`),
      );
      const sync = await ops('connections', 'sync', connectionId);
      expect(sync.code).toBe(1);
      expect(sync.stderr).toContain(`\`connections resume ${connectionId}\``);
      const lift = await ops('reminders', 'resume', connectionId);
      expect(lift.code).toBe(1);
      expect(lift.stderr).toMatch(/is paused, and its reminders wait for it/);

      // An operator's own hold outlives the connection's pause and resume.
      await ok('reminders', 'pause', connectionId, '--note', 'quiet month');
      const resumed = await ok('connections', 'resume', connectionId, '--json');
      expect(resumed.json).toMatchObject({ paused: null, workflow: { paused: false } });
      expect((await describeReminderSchedule(harness.temporal, connectionId))?.state).toMatchObject({
        paused: true,
        note: 'Paused by an operator: quiet month',
      });
      expect((await ok('connections', 'resume', connectionId)).stdout).toMatch(/^Resumed /);
      const missing = await ops('connections', 'pause', 'conn_missing');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/conn_missing/);
    },
    connectedTestTimeoutMs,
  );

  it(
    'disconnects only when told --yes, revoking the tokens',
    async () => {
      const { connectionId } = await connectedAccount('Ops Leavers');
      const asked = await ops('connections', 'disconnect', connectionId);
      expect(asked.code).toBe(1);
      expect(asked.stderr).toMatch(/Add --yes to go ahead/);
      expect((await ok('connections', 'status', connectionId, '--json')).json.status).toBe('active');

      const done = await ok('connections', 'disconnect', connectionId, '--yes', '--json');
      expect(done.json).toMatchObject({ id: connectionId, status: 'disconnected' });
      expect(
        await connectionTokensModel(harness.db.mongoose.connection).exists({ _id: connectionId }),
      ).toBeNull();
      expect(await describeReminderSchedule(harness.temporal, connectionId)).toBeNull();
      const sync = await ops('connections', 'sync', connectionId);
      expect(sync).toMatchObject({ code: 1, stderr: `connection ${connectionId} is disconnected\n` });
    },
    connectedTestTimeoutMs,
  );
});
