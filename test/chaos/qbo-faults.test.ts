import { syncEventModel } from '../../src/history/sync-events';
import { eventually } from '../support/env';
import { ChaosStack, EditLoad, chaosRandom, say, type ConnectedCompany } from './support';

/**
 * QuickBooks misbehaving under a two-way edit load: throttling storms, 5xx bursts, and writes committed whose answer
 * is lost (stale SyncTokens are stale-sync-tokens.test.ts). The engine-only version of the storm (QBO → CRM, no CRM
 * writes) is test/sync/faults.test.ts; a lost create answer at the client level is test/qbo/writes.test.ts.
 */
describe('chaos: QBO throttling, 5xx bursts and lost answers under load', () => {
  const random = chaosRandom('qbo faults');
  let stack: ChaosStack;
  let company: ConnectedCompany;

  beforeAll(async () => {
    stack = await ChaosStack.start({ name: 'qbo-faults', workers: 1, emulatorSeed: random.seed });
    company = await stack.connect({ backfill: false, pollIntervalSeconds: 10 });
  }, 120_000);
  afterAll(() => stack?.close(), 60_000);

  const setFaults = (faults: Record<string, unknown>) =>
    stack.emulator.admin('PUT', `/companies/${company.realmId}/faults`, faults);
  const statuses = async (since = 0): Promise<number[]> =>
    (await stack.emulator.admin('GET', `/companies/${company.realmId}/requests?limit=2000`)).json.requests
      .filter((request: { at: string }) => Date.parse(request.at) >= since)
      .map((request: { status: number }) => request.status);

  it('loses and duplicates nothing through a 429 storm and 5xx bursts', async () => {
    const load = new EditLoad(stack, company, random, { prefix: `st${random.seed}`, maxContacts: 10 });
    load.start();
    try {
      await eventually(
        () => Promise.resolve(load.stats),
        (stats) => stats.creates >= 5,
        20_000,
      );
      // A 429 storm, then a burst of 5xx: each lasts at least 4 s and until QBO has refused us that way 3 times.
      for (const [kind, errorRates, refused] of [
        ['429', { '429': 0.5 }, (status: number) => status === 429],
        ['5xx', { '500': 0.1, '502': 0.1, '503': 0.15, '504': 0.1 }, (status: number) => status >= 500],
      ] as const) {
        const started = Date.now();
        await setFaults({ errorRates });
        const seen = await eventually(
          () => statuses(started),
          (found) => Date.now() - started > 4000 && found.filter(refused).length >= 3,
          30_000,
        );
        say(
          `${kind}: ${seen.filter(refused).length} of ${seen.length} QBO requests refused (${load.describe()})`,
        );
        expect(seen.filter(refused).length).toBeGreaterThanOrEqual(3);
      }
    } finally {
      await setFaults({});
      await load.stop();
    }
    say(`429/5xx storm: ${load.describe()}`);
    await load.verify(90_000);
    const traffic = (await stack.emulator.admin('GET', `/companies/${company.realmId}/traffic`)).json.traffic;
    expect(traffic.peakInFlight).toBeLessThanOrEqual(10);
  }, 240_000);

  it('writes once when QBO commits a write and the answer is lost', async () => {
    const load = new EditLoad(stack, company, random, { prefix: `lo${random.seed}`, maxContacts: 10 });
    const armed = 3;
    const dropsLeft = () =>
      Promise.resolve(stack.emulator.state.realmFaults(company.realmId).dropResponsesAfterCommit ?? 0);
    load.start();
    try {
      // Armed while contacts are still being created, so creates and updates both lose answers.
      await eventually(
        () => Promise.resolve(load.stats.creates),
        (creates) => creates >= 3,
        20_000,
      );
      await setFaults({ dropResponsesAfterCommit: armed });
      await eventually(dropsLeft, (left) => left === 0, 60_000);
      // The load goes on a little once the answers are back.
      const edits = load.stats.crmEdits + load.stats.qboEdits;
      await eventually(
        () => Promise.resolve(load.stats.crmEdits + load.stats.qboEdits),
        (now) => now >= edits + 10,
        20_000,
      );
    } finally {
      await load.stop();
      await setFaults({});
    }
    say(`lost answers: ${armed} writes committed unanswered; ${load.describe()}`);
    expect(stack.emulator.state.realmFaults(company.realmId).dropResponsesAfterCommit ?? 0).toBe(0);
    await load.verify(90_000);
  }, 240_000);

  // The retried push re-reads QBO while the link's snapshot still holds the old base: unless it knows what it sent,
  // it takes its own committed write for a bookkeeper's edit, and records a conflict that QBO (our older value) wins.
  it("keeps the CRM's newer edit when QBO committed our previous write but its answer was lost", async () => {
    const id = `answer-${random.seed}`;
    const path = `/v1/contacts/${id}?connectionId=${company.id}`;
    const put = (phone: string) =>
      stack.request('PUT', path, {
        body: {
          updatedAt: new Date().toISOString(),
          fields: { displayName: `Lost Answer ${random.seed}`, email: `${id}@example.com`, phone },
        },
      });
    expect((await put('555-0300')).status).toBe(202);
    const synced = await eventually(
      () => stack.request('GET', path),
      (view) => view.json.sync.state === 'synced',
      15_000,
    );
    await setFaults({ dropResponsesAfterCommit: 1 });
    try {
      expect((await put('555-0301')).status).toBe(202);
      // QBO has the write; its answer is gone and the engine retries in a moment. The CRM edits again meanwhile.
      await eventually(
        () =>
          Promise.resolve(stack.emulator.state.realmFaults(company.realmId).dropResponsesAfterCommit ?? 0),
        (left) => left === 0,
        10_000,
      );
      expect((await put('555-0302')).status).toBe(202);
    } finally {
      await setFaults({});
    }
    const after = await eventually(
      () => stack.request('GET', path),
      (view) => view.json.sync.state === 'synced' && view.json.fields.phone === '555-0302',
      20_000,
    );
    const qbo = await stack.qbo(company.realmId);
    const customer = (await qbo.read('Customer', synced.json.quickbooks.customerId)).json.Customer;
    // The CRM's last accepted edit wins everywhere, and our own earlier write is no conflict with it: recording one
    // (QBO's value "applied") is what a lost CRM edit looks like once the CRM takes QBO's side of the merge.
    const conflicts = await syncEventModel(stack.mongo.connection)
      .find({ connectionId: company.id, crmContactId: id, kind: 'conflict' })
      .lean();
    expect({
      crm: after.json.fields.phone,
      qbo: customer.PrimaryPhone?.FreeFormNumber,
      conflicts: conflicts.map((conflict) => conflict.detail),
    }).toEqual({ crm: '555-0302', qbo: '555-0302', conflicts: [] });
  }, 60_000);

  // The same for a create: the retry finds the customer our lost create made (by its email) and links it with no base.
  // Unless it knows what the create sent, it takes the phone QBO holds from it for a bookkeeper's value set within the
  // skew tolerance of the CRM's newer edit: a tie, which QBO (our older value) wins.
  it("keeps the CRM's newer edit when QBO committed our create but its answer was lost", async () => {
    const id = `created-${random.seed}`;
    const path = `/v1/contacts/${id}?connectionId=${company.id}`;
    const put = (phone: string) =>
      stack.request('PUT', path, {
        body: {
          updatedAt: new Date().toISOString(),
          fields: { displayName: `Lost Create ${random.seed}`, email: `${id}@example.com`, phone },
        },
      });
    await setFaults({ dropResponsesAfterCommit: 1 });
    try {
      expect((await put('555-0400')).status).toBe(202);
      await eventually(
        () =>
          Promise.resolve(stack.emulator.state.realmFaults(company.realmId).dropResponsesAfterCommit ?? 0),
        (left) => left === 0,
        10_000,
        'the create committed and its answer dropped',
      );
      expect((await put('555-0401')).status).toBe(202);
    } finally {
      await setFaults({});
    }
    const after = await eventually(
      () => stack.request('GET', path),
      (view) => view.json.sync.state === 'synced' && view.json.quickbooks !== null,
      20_000,
      `${id} synced`,
    );
    const qbo = await stack.qbo(company.realmId);
    const named = (await qbo.query(`select * from Customer where DisplayName = 'Lost Create ${random.seed}'`))
      .json.QueryResponse.Customer;
    const conflicts = await syncEventModel(stack.mongo.connection)
      .find({ connectionId: company.id, crmContactId: id, kind: 'conflict' })
      .lean();
    expect({
      crm: after.json.fields.phone,
      customers: named.map((customer: any) => customer.Id),
      qbo: named[0]?.PrimaryPhone?.FreeFormNumber,
      conflicts: conflicts.map((conflict) => conflict.detail),
    }).toEqual({
      crm: '555-0401',
      customers: [after.json.quickbooks.customerId],
      qbo: '555-0401',
      conflicts: [],
    });
  }, 60_000);
});
