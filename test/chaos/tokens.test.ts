import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { temporal as proto } from '@temporalio/proto';
import { connectionTokensModel } from '../../src/db/models/connection';
import { qboCustomerModel } from '../../src/projections/models';
import { connectionWorkflowId } from '../../src/temporal/connection-workflows';
import { eventually } from '../support/env';
import { ChaosStack, chaosRandom, say, verifierToken, type ConnectedCompany } from './support';

const { EventType } = proto.api.enums.v1;

/**
 * OAuth under pressure: an expired token needed by several worker processes at the same moment, and a refresh token
 * revoked at Intuit. The single-process race (three MongoDB connections in one process) and needs_reauth at the
 * ConnectionTokens level are test/oauth/connection-tokens.test.ts; here the racers are separate processes running the
 * production QBO access path, next to a real worker, and needs_reauth is watched through the CRM's API.
 */
describe('chaos: concurrent token refresh across processes, and a revoked refresh token', () => {
  const random = chaosRandom('tokens');
  let stack: ChaosStack;
  let company: ConnectedCompany;
  // Long-lived probe processes, started once: a Node process costs more than a second of CPU to load.
  let probes: Probe[] = [];
  beforeAll(async () => {
    stack = await ChaosStack.start({ name: 'tokens', workers: 1, emulatorSeed: random.seed });
    company = await stack.connect({ backfill: false, pollIntervalSeconds: 10 });
    // Intuit may rotate the refresh token on any refresh: a second, uncoordinated refresh would burn the first.
    await stack.emulator.admin('PUT', '/oauth', { refreshTokenRotation: 'every-refresh' });
  }, 120_000);
  afterAll(async () => {
    for (const probe of probes) probe.child.kill('SIGKILL');
    await stack?.close();
  }, 60_000);

  const metrics = async (): Promise<{ refreshes: number; invalidGrants: number }> =>
    (await stack.emulator.admin('GET', '/oauth/metrics')).json;
  const storedTokens = async (connectionId = company.id) =>
    (await connectionTokensModel(stack.mongo.connection).findById(connectionId).lean()) ?? undefined;

  /** What a probe prints after each race: its calls that succeeded, and why the others failed. */
  interface ProbeOutcome {
    ok: number;
    failures: string[];
  }

  interface Probe {
    child: ChildProcess;
    /** Resolves with the next JSON line the probe prints. */
    nextResult: () => Promise<ProbeOutcome>;
  }

  async function startProbe(): Promise<Probe> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'token-probe.ts')], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, ...stack.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => stack.log(`probe[${child.pid}]: ${chunk.toString().trim()}`));
    const lines = createInterface({ input: child.stdout });
    const waiting: ((result: ProbeOutcome) => void)[] = [];
    const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
    lines.on('line', (line) => {
      if (line.startsWith('{')) waiting.shift()?.(JSON.parse(line) as ProbeOutcome);
    });
    await ready;
    return {
      child,
      nextResult: () => new Promise((resolve) => waiting.push(resolve)),
    };
  }

  /**
   * Lets `count` probe processes make `calls` QBO calls each at the same moment. A probe still running after
   * `timeoutMs` is killed (and replaced for the next race) and reported as timed out.
   */
  async function race(
    count: number,
    calls: number,
    options: { timeoutMs?: number; connectionId?: string } = {},
  ): Promise<ProbeOutcome[]> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    probes = probes.filter((probe) => probe.child.exitCode === null && probe.child.signalCode === null);
    const missing = Math.max(count - probes.length, 0);
    probes.push(...(await Promise.all(Array.from({ length: missing }, startProbe))));
    const racers = probes.slice(0, count);
    const command = `${JSON.stringify({ connectionId: options.connectionId ?? company.id, calls })}\n`;
    const results = racers.map((probe) => probe.nextResult());
    for (const probe of racers) probe.child.stdin!.write(command);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
    );
    const outcomes = await Promise.all(
      racers.map(async (probe, index) => {
        const outcome = await Promise.race([results[index]!, timedOut]);
        if (outcome !== 'timeout') return outcome;
        probe.child.kill('SIGKILL');
        return { ok: 0, failures: [`no answer within ${timeoutMs} ms`] };
      }),
    );
    clearTimeout(timer);
    return outcomes;
  }

  it.each([
    ['the stored access token has expired', 'stored'],
    ['QBO refuses the access token (401)', 'revoked at QBO'],
    ['Intuit rotates the refresh token but its answer is lost', 'lost'],
  ])(
    'refreshes once when %s and four processes need it at once',
    async (_what, how) => {
      const before = await metrics();
      const version = (await storedTokens())!.version;
      if (how === 'lost') await stack.emulator.admin('PUT', '/oauth', { dropNextTokenResponses: 1 });
      if (how === 'stored' || how === 'lost') {
        await connectionTokensModel(stack.mongo.connection).updateOne(
          { _id: company.id },
          { $set: { accessExpiresAt: new Date(0) } },
        );
      } else {
        await stack.emulator.admin('POST', `/companies/${company.realmId}/expire-access-tokens`);
      }
      // Three probes of 10 calls each, and the real worker polling CDC at the same moment.
      const [outcomes] = await Promise.all([
        race(3, 10),
        stack.request('POST', `/v1/connections/${company.id}/sync`),
      ]);
      say(`token race (${how}): ${JSON.stringify(outcomes)}`);
      expect(outcomes).toEqual([
        { ok: 10, failures: [] },
        { ok: 10, failures: [] },
        { ok: 10, failures: [] },
      ]);
      const after = await metrics();
      // One refresh across all processes; when its answer is lost, intuit-oauth resends the same refresh token once
      // and Intuit's grace period for a superseded token honours it.
      expect(after.refreshes - before.refreshes).toBe(how === 'lost' ? 2 : 1);
      expect(after.invalidGrants).toBe(before.invalidGrants);
      expect((await storedTokens())!.version).toBe(version + 1);
      // The worker carries on with the stored token: its next poll succeeds without another refresh.
      const polls = async () =>
        (await stack.request('GET', `/v1/connections/${company.id}`)).json.workflow?.totals?.polls ?? 0;
      const polled = await polls();
      await stack.request('POST', `/v1/connections/${company.id}/sync`);
      await eventually(polls, (count) => count > polled, 15_000);
      const detail = (await stack.request('GET', `/v1/connections/${company.id}`)).json;
      expect({
        status: detail.status,
        workflow: detail.workflow.state,
        refreshes: (await metrics()).refreshes,
      }).toEqual({ status: 'active', workflow: 'syncing', refreshes: after.refreshes });
    },
    90_000,
  );

  // The API stamps the connection's last webhook while a worker rotates the tokens: each write sets only its own
  // fields, so neither may lose the other's.
  it('keeps the rotated tokens when webhooks update the connection while it refreshes', async () => {
    // A connection of its own: a lost write here leaves a refresh lease behind for 30 s.
    const own = await stack.connect({ company: { companyName: 'Chaos Token Webhooks' }, backfill: false });
    // Intuit notifies about an entity the engine does not sync, eight deliveries at a time: each is stored and
    // stamps the realm's lastWebhookAt while the token races run.
    let storming = true;
    let sent = 0;
    let stored = 0;
    const deliver = async () => {
      while (storming) {
        sent += 1;
        const body = JSON.stringify({
          eventNotifications: [
            {
              realmId: own.realmId,
              dataChangeEvent: {
                entities: [
                  {
                    name: 'Item',
                    id: '1',
                    operation: 'Update',
                    lastUpdated: new Date(Date.UTC(2026, 0, 1) + sent).toISOString(),
                  },
                ],
              },
            },
          ],
        });
        const response = await fetch(`${stack.url}/v1/webhooks/quickbooks`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'intuit-signature': createHmac('sha256', verifierToken).update(body).digest('base64'),
          },
          body,
        });
        expect(response.status).toBe(200);
        stored += 1;
      }
    };
    const rounds: {
      refreshes: number;
      version: number;
      fresh: boolean;
      calls: number[];
      /** Webhooks were stored, stamping the connection's realm, while this round refreshed. */
      stormed: boolean;
    }[] = [];
    const storm = Promise.all(Array.from({ length: 8 }, deliver));
    try {
      for (let round = 0; round < 3; round += 1) {
        const before = await metrics();
        const version = (await storedTokens(own.id))!.version;
        const storedBefore = stored;
        // QBO refuses the current access token (no write of ours to the connection, which the storm could undo).
        await stack.emulator.admin('POST', `/companies/${own.realmId}/expire-access-tokens`);
        // A refresh takes well under a second; the others wait for the stored version to move (a lost write of it
        // leaves them waiting out the 30 s refresh lease).
        const outcomes = await race(3, 5, { timeoutMs: 10_000, connectionId: own.id });
        const tokens = (await storedTokens(own.id))!;
        rounds.push({
          refreshes: (await metrics()).refreshes - before.refreshes,
          version: tokens.version - version,
          fresh: tokens.accessExpiresAt.getTime() > Date.now(),
          calls: outcomes.map((outcome) => outcome.ok),
          stormed: stored > storedBefore,
        });
        if (tokens.version === version) break; // the lease of the lost version blocks the next round
      }
    } finally {
      storming = false;
      await storm;
    }
    say(`token races under ${stored} stored webhook deliveries: ${JSON.stringify(rounds)}`);
    // Each refresh happened once, and the connection holds its result: the next version, a token good for an hour.
    expect(rounds).toEqual(
      Array.from({ length: 3 }, () => ({
        refreshes: 1,
        version: 1,
        fresh: true,
        calls: [5, 5, 5],
        stormed: true,
      })),
    );
  }, 90_000);

  it('parks a connection whose refresh token was revoked, tells the CRM once, and resumes on reconnect', async () => {
    await stack.emulator.admin('POST', `/companies/${company.realmId}/revoke-refresh-tokens`);
    await stack.emulator.admin('POST', `/companies/${company.realmId}/expire-access-tokens`);
    expect((await stack.request('POST', `/v1/connections/${company.id}/sync`)).status).toBe(202);
    const parked = await eventually(
      async () => (await stack.request('GET', `/v1/connections/${company.id}`)).json,
      (detail) => detail.status === 'needs_reauth' && detail.workflow?.state === 'needs_reauth',
      20_000,
    );
    expect(parked).toMatchObject({
      status: 'needs_reauth',
      statusReason: expect.stringContaining('invalid_grant'),
      workflow: { state: 'needs_reauth' },
    });
    const statuses = async () =>
      (await stack.events(`type=connection.status_changed&connectionId=${company.id}`)).map(
        (event) => event.data.status,
      );
    expect((await statuses()).filter((status) => status === 'needs_reauth')).toHaveLength(1);
    const refreshesWhileParked = (await metrics()).refreshes;

    // A contact sent while parked is accepted, waits, and is written after the user reconnects.
    const contactPath = `/v1/contacts/parked-${random.seed}?connectionId=${company.id}`;
    const put = await stack.request('PUT', contactPath, {
      body: {
        updatedAt: new Date().toISOString(),
        fields: { displayName: `Parked ${random.seed}`, email: `parked-${random.seed}@example.com` },
      },
    });
    expect(put.status).toBe(202);
    expect((await stack.request('POST', `/v1/connections/${company.id}/sync`)).json).toMatchObject({
      status: 409,
      code: 'connection_inactive',
    });
    // Nothing asked Intuit for tokens while the connection was parked, though its workflow handled the contact's
    // signal (a workflow task completed after it).
    const handled = await eventually(
      async () => {
        const { events } = await stack.temporal.workflow
          .getHandle(connectionWorkflowId(company.id))
          .fetchHistory();
        const types = (events ?? []).map((event) => event.eventType);
        return {
          signalled: types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
          taskCompleted: types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        };
      },
      ({ signalled, taskCompleted }) => signalled >= 0 && taskCompleted > signalled,
      10_000,
      "the parked workflow's handling of the contact's signal",
    );
    expect(handled.taskCompleted).toBeGreaterThan(handled.signalled);
    expect((await metrics()).refreshes).toBe(refreshesWhileParked);

    const reconnected = await stack.authorize(company.realmId, false);
    expect(reconnected.id).toBe(company.id);
    const synced = await eventually(
      () => stack.request('GET', contactPath),
      (view) => view.json.sync.state === 'synced',
      20_000,
    );
    const qbo = await stack.qbo(company.realmId);
    const created = (await qbo.read('Customer', synced.json.quickbooks.customerId)).json.Customer;
    expect(created.DisplayName).toBe(`Parked ${random.seed}`);
    expect((await stack.request('GET', `/v1/connections/${company.id}`)).json).toMatchObject({
      status: 'active',
      workflow: { state: 'syncing' },
    });
    const after = await statuses();
    expect(after.filter((status) => status === 'needs_reauth')).toHaveLength(1);
    expect(after.at(-1)).toBe('active');
  }, 90_000);

  it('resumes a backfill the grant interrupted once the user reconnects, and says meanwhile that it waits', async () => {
    // Five pages of customers, each a second slow at QBO, so that the grant dies between two of them.
    const created = await stack.emulator.admin('POST', '/companies', {
      companyName: `Chaos backfill ${random.seed}`,
      seed: { customers: 4000, transactions: 0, seed: random.seed },
    });
    expect(created.status).toBe(201);
    const realmId: string = created.json.realmId;
    const customers: number = created.json.counts.Customer;
    await stack.emulator.admin('PUT', `/companies/${realmId}/faults`, { latencyMs: 1000 });
    const connection = await stack.authorize(realmId, true);
    const detail = async () => (await stack.request('GET', `/v1/connections/${connection.id}`)).json;
    const reading = await eventually(
      detail,
      (found) => (found.backfill?.counts?.Customer ?? 0) > 0,
      30_000,
      'the first page of customers stored',
    );
    expect(reading.backfill.status).toBe('running');
    await stack.emulator.admin('POST', `/companies/${realmId}/revoke-refresh-tokens`);
    await stack.emulator.admin('POST', `/companies/${realmId}/expire-access-tokens`);
    const parked = await eventually(
      detail,
      (found) => found.status === 'needs_reauth' && found.workflow?.state === 'needs_reauth',
      30_000,
      'the connection parked as needs_reauth',
    );
    // Its status does not lie: the backfill is not running, it waits for the reconnect.
    expect(parked.backfill).toMatchObject({ status: 'waiting_for_reconnect', finishedAt: null });
    expect(parked.backfill.counts.Customer).toBeLessThan(customers);

    await stack.emulator.admin('PUT', `/companies/${realmId}/faults`, {});
    const reconnected = await stack.authorize(realmId, false);
    expect(reconnected.id).toBe(connection.id);
    const done = await eventually(
      detail,
      // The workflow moves on to syncing a turn after the backfill records its end.
      (found) => found.backfill?.status === 'done' && found.workflow?.state === 'syncing',
      60_000,
      'the backfill resumed to its end, and the connection syncing',
    );
    expect(done).toMatchObject({ status: 'active', workflow: { state: 'syncing' } });
    expect(done.backfill.counts.Customer).toBe(customers);
    expect(
      await qboCustomerModel(stack.mongo.connection).countDocuments({ connectionId: connection.id }),
    ).toBe(customers);
    // The CRM heard the connection park, then that the initial load is ready once it resumed.
    const statuses = (await stack.events(`type=connection.status_changed&connectionId=${connection.id}`)).map(
      (event) => event.data.status as string,
    );
    expect(statuses.slice(statuses.indexOf('needs_reauth'))).toEqual([
      'needs_reauth',
      'active',
      'backfill_completed',
    ]);
  }, 150_000);
});
