import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * Previews over real HTTP against the emulator: a preview writes nothing anywhere, predicts exactly what applying it
 * then does once the workflow has synced, and is refused once QuickBooks changed in a way that alters its plan.
 */
describe('POST /v1/connections/{id}/previews', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;
  const customers: Record<string, any> = {};

  const requests = async () =>
    (await harness.emulator.admin('GET', `/companies/${connection.realmId}/requests?limit=2000`)).json
      .requests as { method: string; path: string; body?: { Id?: string } }[];

  /** The workflow polls CDC on its own timer; anything else QuickBooks was asked is ours to explain. */
  /**
   * What QuickBooks was asked apart from the workflow's own work: its CDC polls, and its webhook fetches of single
   * customers (those created above may be fetched late on a loaded machine). A preview sends nothing at all.
   */
  const apartFromPolls = (sent: { path: string; method?: string }[]) =>
    sent.filter(
      (request) =>
        request.path !== '/cdc' && !(request.method === 'GET' && /^\/customer\/\d+$/.test(request.path)),
    );

  /** Waits until the projection holds the customer as QuickBooks has it now (its webhook has been applied). */
  const projected = async (customer: { Id: string; SyncToken: string }, field: string, value: unknown) =>
    eventually(
      async () =>
        (
          await harness.request(
            'GET',
            `/v1/contacts?changedSince=${encodeURIComponent(new Date(0).toISOString())}&limit=200`,
          )
        ).json.data as { qboCustomerId: string; fields: Record<string, unknown> }[],
      (feed) => feed.some((item) => item.qboCustomerId === customer.Id && item.fields[field] === value),
      20_000,
      `customer ${customer.Id} projected with ${field} ${String(value)}`,
    );

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account, { company: { companyName: 'Preview Ltd' } });
    await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json,
      (body) => body.backfill?.status === 'done' && body.workflow?.state === 'syncing',
      20_000,
      'Preview Ltd backfilled',
    );
    qbo = await harness.qboFor(connection.realmId);
    const make = async (key: string, body: Record<string, unknown>) => {
      customers[key] = await qbo.create('Customer', body);
    };
    await make('alpha', {
      DisplayName: 'Alpha Widgets',
      PrimaryEmailAddr: { Address: 'alpha@example.com' },
      PrimaryPhone: { FreeFormNumber: '555-010-1000' },
    });
    await make('bravo', { DisplayName: 'Bravo Ltd' });
    await make('charlie1', {
      DisplayName: 'Charlie One',
      PrimaryEmailAddr: { Address: 'shared@example.com' },
    });
    await make('charlie2', {
      DisplayName: 'Charlie Two',
      PrimaryEmailAddr: { Address: 'shared@example.com' },
    });
    await make('echo', { DisplayName: 'Echo Person', PrimaryEmailAddr: { Address: 'echo@example.com' } });
    await make('fox', { DisplayName: 'Foxtrot', PrimaryEmailAddr: { Address: 'fox@example.com' } });
    await make('golf', { DisplayName: 'Golf Club' });
    // An inactive customer still holds its name: a create by that name is refused with 6240.
    const echo = customers.echo;
    const inactive = await qbo.write('Customer', {
      Id: echo.Id,
      SyncToken: echo.SyncToken,
      sparse: true,
      Active: false,
    });
    expect(inactive.status).toBe(200);
    customers.echo = inactive.json.Customer;
    for (const customer of Object.values(customers))
      await projected(customer, 'displayName', customer.DisplayName);
    await eventually(
      async () =>
        (
          await harness.request(
            'GET',
            `/v1/contacts?changedSince=${encodeURIComponent(new Date(0).toISOString())}&limit=200`,
          )
        ).json.data as { qboCustomerId: string; active: boolean }[],
      (feed) => feed.some((item) => item.qboCustomerId === echo.Id && !item.active),
      20_000,
      'Echo Person projected inactive',
    );
  });
  afterAll(async () => {
    await harness?.close();
  });

  const contact = (
    crmContactId: string,
    fields: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => ({
    crmContactId,
    updatedAt: new Date().toISOString(),
    fields,
    ...extra,
  });

  it('writes nothing, predicts each contact, and apply then does exactly that', async () => {
    const sent = [
      contact('p-alpha', {
        displayName: 'Alpha Widgets Inc.',
        email: 'Alpha@Example.com',
        phone: '(555) 010-1000',
      }),
      contact('p-bravo', { displayName: 'Bravo', email: 'bravo@crm.example' }),
      contact(
        'p-golf',
        { displayName: 'Golf Club', website: 'https://golf.example' },
        { qboCustomerId: customers.golf.Id },
      ),
      contact('p-new', { givenName: 'New', familyName: 'Person', email: 'new@example.com' }),
      contact('p-shared', { displayName: 'Somebody Shared', email: 'shared@example.com' }),
      contact('p-echo', { displayName: 'Echo Person', email: 'other-echo@example.com' }),
      contact('p-alpha-again', { displayName: 'Alpha Again', email: 'alpha@example.com' }),
      contact('p-bad', { displayName: 'Bad: Name' }),
    ];
    const before = (await requests()).length;
    const created = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { contacts: sent },
    });
    expect(created.status).toBe(201);
    const preview = created.json;
    expect(preview.counts).toEqual({
      would_match: 3,
      would_create: 1,
      would_duplicate: 3,
      would_fail: 1,
      already_linked: 0,
    });

    // Nothing was written: QuickBooks was asked nothing but the workflow's own polls, and no contact is stored.
    expect(apartFromPolls((await requests()).slice(before))).toEqual([]);
    for (const { crmContactId } of sent)
      expect((await harness.request('GET', `/v1/contacts/${crmContactId}`)).status).toBe(404);

    // Every entry, paged.
    const entries: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await harness.request(
        'GET',
        `/v1/connections/${connection.id}/previews/${preview.id}?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      entries.push(...page.json.entries.data);
      cursor = page.json.entries.nextCursor;
    } while (cursor);
    const entry = Object.fromEntries(entries.map((item) => [item.crmContactId, item]));
    expect(entries.map((item) => item.crmContactId)).toEqual(sent.map((item) => item.crmContactId));
    expect(entry['p-alpha']).toMatchObject({
      outcome: 'would_match',
      qboCustomerId: customers.alpha.Id,
      by: 'email',
      evidence: { agrees: ['email', 'name', 'phone'], differs: [] },
    });
    expect(entry['p-alpha'].evidence.confidence).toBeGreaterThan(0.95);
    expect(entry['p-bravo']).toMatchObject({
      outcome: 'would_match',
      qboCustomerId: customers.bravo.Id,
      by: 'name',
    });
    expect(entry['p-bravo'].changes.toQbo).toContain('email');
    expect(entry['p-golf']).toMatchObject({
      outcome: 'would_match',
      qboCustomerId: customers.golf.Id,
      by: 'crm',
    });
    expect(entry['p-new']).toMatchObject({ outcome: 'would_create', displayName: 'New Person' });
    expect(entry['p-shared']).toMatchObject({
      outcome: 'would_duplicate',
      reason: 'ambiguous_match',
      candidates: [customers.charlie1.Id, customers.charlie2.Id].sort(),
    });
    expect(entry['p-echo']).toMatchObject({
      outcome: 'would_duplicate',
      reason: 'display_name_taken',
      qboCustomerId: customers.echo.Id,
      createdAs: 'Echo Person (other-echo@example.com)',
    });
    expect(entry['p-alpha-again']).toMatchObject({
      outcome: 'would_duplicate',
      reason: 'same_customer',
      qboCustomerId: customers.alpha.Id,
      otherContactId: 'p-alpha',
    });
    expect(entry['p-bad']).toMatchObject({
      outcome: 'would_fail',
      problems: [{ field: 'fields.displayName', problem: expect.stringContaining('colon') }],
    });
    const matchesOnly = await harness.request(
      'GET',
      `/v1/connections/${connection.id}/previews/${preview.id}?outcome=would_match`,
    );
    expect(matchesOnly.json.entries.data.map((item: any) => item.crmContactId)).toEqual([
      'p-alpha',
      'p-bravo',
      'p-golf',
    ]);

    // Apply: the plan, and nothing else.
    const applied = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/previews/${preview.id}/apply`,
    );
    expect(applied.status).toBe(200);
    expect(applied.json).toMatchObject({ status: 'applied', applied: { stored: 4, refused: [] } });
    for (const item of entries.filter((candidate) => candidate.outcome === 'would_match')) {
      const synced = await eventually(
        async () => (await harness.request('GET', `/v1/contacts/${item.crmContactId}`)).json,
        (body) => body.sync?.state === 'synced',
        20_000,
        `${item.crmContactId} synced`,
      );
      expect(synced.quickbooks.customerId).toBe(item.qboCustomerId);
      const held = (await qbo.read('Customer', item.qboCustomerId)).json.Customer;
      // The first merge wrote what the preview said it would.
      const sentFields = sent.find((candidate) => candidate.crmContactId === item.crmContactId)!.fields;
      const inQbo: Record<string, unknown> = {
        displayName: held.DisplayName,
        email: held.PrimaryEmailAddr?.Address,
        phone: held.PrimaryPhone?.FreeFormNumber,
        website: held.WebAddr?.URI,
      };
      for (const field of item.changes.toQbo)
        expect({ field, value: inQbo[field] }).toEqual({ field, value: sentFields[field] });
    }
    const made = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/p-new')).json,
      (body) => body.sync?.state === 'synced',
      20_000,
      'p-new synced',
    );
    expect((await qbo.read('Customer', made.quickbooks.customerId)).json.Customer.DisplayName).toBe(
      'New Person',
    );
    // The duplicates and the failure were left out, and the only customer created is p-new's.
    for (const crmContactId of ['p-shared', 'p-echo', 'p-alpha-again', 'p-bad'])
      expect((await harness.request('GET', `/v1/contacts/${crmContactId}`)).status).toBe(404);
    const creates = (await requests())
      .slice(before)
      .filter((request) => request.method === 'POST' && request.path === '/customer' && !request.body?.Id);
    expect(creates).toHaveLength(1);
  });

  it('refuses to apply once QuickBooks changed the matched customer, naming the contact and the customer', async () => {
    const fox = customers.fox;
    const created = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { contacts: [contact('p-fox', { displayName: 'Fox Contact', email: 'fox@example.com' })] },
    });
    expect(created.json.samples.would_match[0]).toMatchObject({ qboCustomerId: fox.Id, by: 'email' });
    const edited = await qbo.write('Customer', {
      Id: fox.Id,
      SyncToken: fox.SyncToken,
      sparse: true,
      PrimaryEmailAddr: { Address: 'fox-moved@example.com' },
    });
    expect(edited.status).toBe(200);
    await projected(fox, 'email', 'fox-moved@example.com');

    const refused = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/previews/${created.json.id}/apply`,
    );
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'preview_outdated' });
    expect(refused.json.errors).toEqual([
      {
        field: 'contacts.p-fox',
        message: expect.stringContaining(
          `customer ${fox.Id} changed (SyncToken ${fox.SyncToken} → ${edited.json.Customer.SyncToken})`,
        ),
      },
    ]);
    expect(refused.json.errors[0].message).toContain(
      `planned would_match customer ${fox.Id} by email, now would_create`,
    );
    expect((await harness.request('GET', '/v1/contacts/p-fox')).status).toBe(404);
    // Still ready: a preview made again is what the CRM applies.
    const again = await harness.request(
      'GET',
      `/v1/connections/${connection.id}/previews/${created.json.id}`,
    );
    expect(again.json.status).toBe('ready');
  });

  it('previews a mapping change on the linked contacts, and applying it saves it', async () => {
    // p-alpha is linked; with website out of the sync, its CRM value is not written to QuickBooks.
    await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { mappingPolicy: { website: 'none' } },
    });
    await harness.request('PUT', `/v1/contacts/p-alpha`, {
      body: {
        updatedAt: new Date().toISOString(),
        fields: {
          displayName: 'Alpha Widgets Inc.',
          email: 'Alpha@Example.com',
          phone: '(555) 010-1000',
          website: 'https://alpha.example',
        },
      },
    });
    await eventually(
      async () => (await harness.request('GET', '/v1/contacts/p-alpha')).json,
      (body) => body.sync?.state === 'synced' && body.fields.website === 'https://alpha.example',
      20_000,
      'p-alpha synced with its website',
    );
    const before = (await requests()).length;
    const created = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { mappingPolicy: {} },
    });
    expect(created.status).toBe(201);
    expect(created.json.mappingChange.effects).toEqual([
      { field: 'website', side: 'qbo', records: 1, samples: ['p-alpha'] },
    ]);
    expect(apartFromPolls((await requests()).slice(before))).toEqual([]);
    const applied = await harness.request(
      'POST',
      `/v1/connections/${connection.id}/previews/${created.json.id}/apply`,
    );
    expect(applied.status).toBe(200);
    expect(
      (await harness.request('GET', `/v1/connections/${connection.id}`)).json.settings.mappingPolicy,
    ).toEqual({});
    await eventually(
      async () => (await qbo.read('Customer', customers.alpha.Id)).json.Customer,
      (customer) => customer.WebAddr?.URI === 'https://alpha.example',
      20_000,
      'the website written to QuickBooks once the mapping was saved',
    );
  });

  it('refuses bad input naming the field, and another account’s preview is not found', async () => {
    const both = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { source: 'stored', contacts: [contact('x', { displayName: 'X' })] },
    });
    expect(both.status).toBe(400);
    expect(both.json.errors).toEqual([{ field: 'body.source', message: expect.any(String) }]);
    const twice = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { contacts: [contact('x', { displayName: 'X' }), contact('x', { displayName: 'Y' })] },
    });
    expect(twice.status).toBe(400);
    expect(twice.json.errors[0].field).toBe('body.contacts.1.crmContactId');
    const nothing = await harness.request('POST', `/v1/connections/${connection.id}/previews`, { body: {} });
    expect(nothing.status).toBe(400);
    const stored = await harness.request('POST', `/v1/connections/${connection.id}/previews`, {
      body: { source: 'stored' },
    });
    expect(stored.status).toBe(201);
    expect(stored.json.counts.already_linked).toBeGreaterThanOrEqual(4);
    const other = await harness.newAccount('Preview stranger');
    const foreign = await harness.request(
      'GET',
      `/v1/connections/${connection.id}/previews/${stored.json.id}`,
      {
        key: other.key,
      },
    );
    expect(foreign.status).toBe(404);
  });

  it('connected "preview first", writes no contact until the preview of the stored ones is applied', async () => {
    const crm = await harness.newAccount('Preview first CRM');
    const waiting = await harness.connect(crm, {
      company: { companyName: 'Careful Co' },
      previewFirst: true,
    });
    expect(waiting.awaitingPreview).toBe(true);
    const careful = await harness.qboFor(waiting.realmId);
    const existing = await careful.create('Customer', {
      DisplayName: 'Careful Customer',
      PrimaryEmailAddr: { Address: 'careful@example.com' },
    });
    const put = await harness.request('PUT', '/v1/contacts/careful-1', {
      key: crm.key,
      body: {
        updatedAt: new Date().toISOString(),
        fields: { displayName: 'Careful One', email: 'careful@example.com' },
      },
    });
    expect(put.status).toBe(202);
    // The workflow has run a poll since the contact was stored (it saw the customer), and was never told of it.
    const status = async () =>
      (await harness.request('GET', `/v1/connections/${waiting.id}`, { key: crm.key })).json;
    const polledAt = Date.now();
    await harness.request('POST', `/v1/connections/${waiting.id}/sync`, { key: crm.key });
    const after = await eventually(
      status,
      (body) =>
        body.workflow?.state === 'syncing' &&
        body.workflow.lastPollAt !== null &&
        Date.parse(body.workflow.lastPollAt) >= polledAt &&
        body.counts.customers >= 1,
      20_000,
      'a poll after the contact was stored, with the customer projected',
    );
    expect(after).toMatchObject({ awaitingPreview: true, counts: { linkedContacts: 0 } });
    expect(after.workflow).toMatchObject({ pushesInFlight: 0, contactsWaiting: 0 });
    expect(after.workflow.totals.pushed ?? 0).toBe(0);
    expect((await harness.request('GET', '/v1/contacts/careful-1', { key: crm.key })).json.sync.state).toBe(
      'pending',
    );

    const preview = await harness.request('POST', `/v1/connections/${waiting.id}/previews`, {
      key: crm.key,
      body: { source: 'stored' },
    });
    expect(preview.json.samples.would_match).toEqual([
      expect.objectContaining({ crmContactId: 'careful-1', qboCustomerId: existing.Id, by: 'email' }),
    ]);
    const applied = await harness.request(
      'POST',
      `/v1/connections/${waiting.id}/previews/${preview.json.id}/apply`,
      {
        key: crm.key,
      },
    );
    expect(applied.status).toBe(200);
    const synced = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/careful-1', { key: crm.key })).json,
      (body) => body.sync?.state === 'synced',
      20_000,
      'careful-1 synced once the preview was applied',
    );
    expect(synced.quickbooks.customerId).toBe(existing.Id);
    expect((await status()).awaitingPreview).toBe(false);
  });
  /**
   * The connection's mapped QBO custom fields, planned as the fixed fields are: a direction change and a field coming
   * back from `none` measured on the linked contacts and then written by apply exactly so, and contacts sent with
   * custom values matched, checked and applied with them. Its own CRM account and company.
   */
  describe('with mapped custom fields', () => {
    let crm: { id: string; key: string };
    let custom: { id: string; realmId: string };
    let books: QboClient;
    let tierId: string;
    let seatsId: string;
    let tier: string;
    let seats: string;
    /** The customers cf-1 and cf-2 are linked to. */
    let oneId: string;
    let twoId: string;

    const as = (method: string, path: string, body?: unknown) =>
      harness.request(method, path, { key: crm.key, ...(body === undefined ? {} : { body }) });
    const contactOf = async (crmContactId: string) => (await as('GET', `/v1/contacts/${crmContactId}`)).json;
    const customerFields = async (customerId: string) =>
      ((
        await books.request('GET', `/customer/${customerId}`, {
          query: { include: 'enhancedAllCustomFields' },
        })
      ).json.Customer.CustomField ?? []) as {
        DefinitionId: string;
        StringValue?: string;
        NumberValue?: number;
      }[];
    const valueIn = (entries: Awaited<ReturnType<typeof customerFields>>, definitionId: string) => {
      const entry = entries.find((candidate) => candidate.DefinitionId === definitionId);
      return entry?.StringValue ?? entry?.NumberValue ?? null;
    };
    type Sent = { method: string; path: string; body?: { Id?: string } };
    const requestLog = async () =>
      (await harness.emulator.admin('GET', `/companies/${custom.realmId}/requests?limit=2000`)).json
        .requests as Sent[];
    const sentSince = async (count: number) => apartFromPolls((await requestLog()).slice(count));
    const requestCount = async () => (await requestLog()).length;
    /** The customers written (updates name theirs) since `count` requests. */
    const customerWritesSince = async (count: number) =>
      ((await sentSince(count)) as Sent[])
        .filter((request) => request.method === 'POST' && request.path === '/customer')
        .map((request) => request.body?.Id ?? null);
    const synced = (crmContactId: string, accept: (contact: any) => boolean, what: string) =>
      eventually(
        () => contactOf(crmContactId),
        (body) => body.sync?.state === 'synced' && accept(body),
        45_000,
        what,
      );
    const projectedCustomer = (customerId: string) =>
      eventually(
        async () =>
          (
            await as(
              'GET',
              `/v1/contacts?changedSince=${encodeURIComponent(new Date(0).toISOString())}&limit=200`,
            )
          ).json.data as { qboCustomerId: string }[],
        (feed) => feed.some((item) => item.qboCustomerId === customerId),
        20_000,
        `customer ${customerId} projected`,
      );
    /** Previews a mapping change, checks it wrote nothing, and applies it. */
    const previewAndApply = async (mappingPolicy: Record<string, string>) => {
      const before = await requestCount();
      const created = await as('POST', `/v1/connections/${custom.id}/previews`, { mappingPolicy });
      expect(created.status).toBe(201);
      expect(await sentSince(before)).toEqual([]);
      const applying = await requestCount();
      const applied = await as('POST', `/v1/connections/${custom.id}/previews/${created.json.id}/apply`);
      expect(applied.status).toBe(200);
      return { effects: created.json.mappingChange.effects, applying };
    };

    beforeAll(async () => {
      crm = await harness.newAccount('Custom preview CRM');
      custom = await harness.connect(crm, { company: { companyName: 'Custom Preview Co' } });
      books = await harness.qboFor(custom.realmId);
      await eventually(
        () => as('GET', `/v1/connections/${custom.id}/custom-fields`),
        (response) => response.json.refreshedAt !== null,
        60_000,
        'the backfill’s read of the custom field definitions',
      );
      const define = async (field: Record<string, unknown>) =>
        (await harness.emulator.admin('POST', `/companies/${custom.realmId}/custom-fields`, field)).json
          .legacyId as string;
      tierId = await define({
        label: 'Tier',
        type: 'dropdown',
        options: ['Gold', 'Silver'],
        entities: ['Customer'],
      });
      seatsId = await define({ label: 'Seats', type: 'number', entities: ['Customer'] });
      tier = `custom.${tierId}`;
      seats = `custom.${seatsId}`;
      expect(
        (await as('POST', `/v1/connections/${custom.id}/custom-fields/refresh`)).json.problem,
      ).toBeNull();
      const mapped = await as('PATCH', `/v1/connections/${custom.id}`, {
        customFields: { tier: tierId, seats: seatsId },
        mappingPolicy: { [tier]: 'none', [seats]: 'qbo-to-crm' },
      });
      expect(mapped.status).toBe(200);

      // cf-1's customer is created from it: QBO gets neither value (tier is not synced, seats only flows to the CRM).
      expect(
        (
          await as('PUT', '/v1/contacts/cf-1', {
            updatedAt: new Date().toISOString(),
            fields: { displayName: 'CF One', email: 'cf1@example.com' },
            customFields: { tier: 'Gold', seats: 5 },
          })
        ).status,
      ).toBe(202);
      oneId = (await synced('cf-1', () => true, 'cf-1 synced')).quickbooks.customerId;
      // cf-2 is matched to a customer whose tier QBO holds.
      const two = await books.create('Customer', {
        DisplayName: 'CF Two',
        PrimaryEmailAddr: { Address: 'cf2@example.com' },
        CustomField: [{ DefinitionId: tierId, StringValue: 'Silver' }],
      });
      await projectedCustomer(two.Id);
      expect(
        (
          await as('PUT', '/v1/contacts/cf-2', {
            updatedAt: new Date().toISOString(),
            fields: { displayName: 'CF Two', email: 'cf2@example.com' },
          })
        ).status,
      ).toBe(202);
      twoId = (await synced('cf-2', (body) => body.quickbooks?.customerId === two.Id, 'cf-2 linked'))
        .quickbooks.customerId;
      expect(await customerFields(oneId)).toEqual([]);
      expect((await contactOf('cf-2')).customFields).toEqual({ tier: null, seats: null });
    }, 180_000);

    it('measures a custom field’s direction change and its return from none, and apply writes exactly that', async () => {
      // Seats from qbo-to-crm to crm-to-qbo: cf-1's 5, which QBO lacks, goes to QBO.
      const direction = await previewAndApply({ [tier]: 'none', [seats]: 'crm-to-qbo' });
      expect(direction.effects).toEqual([{ field: seats, side: 'qbo', records: 1, samples: ['cf-1'] }]);
      await eventually(
        () => customerFields(oneId),
        (entries) => valueIn(entries, seatsId) === 5,
        45_000,
        'cf-1’s seats written to QBO once the direction was saved',
      );
      // The only customer written is cf-1's, once; its tier (not synced) stayed out of QBO.
      expect(await customerWritesSince(direction.applying)).toEqual([oneId]);
      expect(valueIn(await customerFields(oneId), tierId)).toBeNull();

      // Tier back from none: each side's value fills the other's empty one.
      const reenabled = await previewAndApply({ [seats]: 'crm-to-qbo' });
      expect(reenabled.effects).toEqual(
        [
          { field: tier, side: 'qbo', records: 1, samples: ['cf-1'] },
          { field: tier, side: 'crm', records: 1, samples: ['cf-2'] },
        ].sort((a, b) => a.side.localeCompare(b.side)),
      );
      expect((await as('GET', `/v1/connections/${custom.id}`)).json.settings.mappingPolicy).toEqual({
        [seats]: 'crm-to-qbo',
      });
      await eventually(
        () => customerFields(oneId),
        (entries) => valueIn(entries, tierId) === 'Gold',
        45_000,
        'cf-1’s tier written to QBO',
      );
      await synced(
        'cf-2',
        (body) => body.customFields.tier === 'Silver',
        'cf-2’s tier from QBO on the contact',
      );
      expect(await customerWritesSince(reenabled.applying)).toEqual([oneId]);
      expect(valueIn(await customerFields(twoId), tierId)).toBe('Silver');
    }, 180_000);

    it('plans contacts with their custom values, fails one QBO would refuse, and applies them with the values', async () => {
      const three = await books.create('Customer', {
        DisplayName: 'CF Three',
        PrimaryEmailAddr: { Address: 'cf3@example.com' },
      });
      await projectedCustomer(three.Id);
      const created = await as('POST', `/v1/connections/${custom.id}/previews`, {
        contacts: [
          contact(
            'cf-3',
            { displayName: 'CF Three', email: 'cf3@example.com' },
            { customFields: { tier: 'Gold', seats: 7 } },
          ),
          contact('cf-bad', { displayName: 'CF Bad' }, { customFields: { tier: 'Platinum' } }),
        ],
      });
      expect(created.status).toBe(201);
      expect(created.json.counts).toMatchObject({ would_match: 1, would_fail: 1, would_create: 0 });
      const [matched] = created.json.samples.would_match;
      expect(matched).toMatchObject({
        crmContactId: 'cf-3',
        qboCustomerId: three.Id,
        by: 'email',
        changes: { toQbo: [seats, tier], toCrm: [] },
      });
      expect(created.json.samples.would_fail[0]).toMatchObject({
        crmContactId: 'cf-bad',
        problems: [{ field: 'customFields.tier', problem: expect.stringContaining('not an option') }],
      });

      const applied = await as('POST', `/v1/connections/${custom.id}/previews/${created.json.id}/apply`);
      expect(applied.status).toBe(200);
      expect(applied.json.applied).toMatchObject({ stored: 1, refused: [] });
      const synced3 = await synced(
        'cf-3',
        (body) => body.quickbooks?.customerId === three.Id,
        'cf-3 linked to its customer',
      );
      expect(synced3.customFields).toEqual({ tier: 'Gold', seats: 7 });
      // The first merge wrote to QBO what the preview said it would.
      const held = await customerFields(three.Id);
      const sentValues: Record<string, unknown> = { [tier]: 'Gold', [seats]: 7 };
      for (const field of matched.changes.toQbo)
        expect({ field, value: valueIn(held, field.slice('custom.'.length)) }).toEqual({
          field,
          value: sentValues[field],
        });
      expect((await as('GET', '/v1/contacts/cf-bad')).status).toBe(404);
    }, 120_000);
  });
});
