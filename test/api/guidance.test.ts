import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { withLastCharacterChanged } from '../support/forgery';

/**
 * Errors that guide: each usual slip of an integrator (the key without `Bearer`, a body without its JSON content
 * type, a missing required parameter, the bare address, an ambiguous company) is answered with what to do.
 */
describe('API answers that say what to do', () => {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await startApiHarness();
  });
  afterAll(() => harness?.close());

  const withHeader = (authorization: string) =>
    harness.request('GET', '/v1/connections', { key: null, headers: { authorization } });

  it('tells a caller how to send the key', async () => {
    const key = harness.account.key;
    expect((await withHeader(key)).json).toMatchObject({
      status: 401,
      code: 'invalid_api_key',
      field: 'header.Authorization',
      detail: 'put `Bearer ` before the key: `Authorization: Bearer qbs_…`',
    });
    expect((await withHeader(`Token ${key}`)).json.detail).toBe(
      'use the Bearer scheme, not Token: `Authorization: Bearer qbs_…`',
    );
    expect((await withHeader(`Bearer ${key.slice(0, -5)}`)).json.detail).toMatch(
      /^this is not a whole API key/,
    );
    expect((await withHeader(`Bearer ${withLastCharacterChanged(key)}`)).json.detail).toMatch(
      /^the API key is unknown or was revoked: .*npm run ops -- keys create <accountId>/,
    );
    expect((await harness.request('GET', '/v1/connections', { key: null })).json.detail).toBe(
      'send your API key as `Authorization: Bearer qbs_…`',
    );
    // The key itself, right or wrong, is never echoed back.
    expect(JSON.stringify((await withHeader(`Bearer ${withLastCharacterChanged(key)}`)).json)).not.toContain(
      key.slice(20, -1),
    );
  });

  it('refuses a body without Content-Type: application/json instead of reading it as empty', async () => {
    const sent = JSON.stringify({ backfill: false });
    for (const headers of [{ 'content-type': 'text/plain' }, {} as Record<string, string>]) {
      const response = await fetch(`${harness.url}/v1/connections/quickbooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${harness.account.key}`, ...headers },
        // A Blob without a type: fetch then sends no Content-Type at all.
        body: headers['content-type'] ? sent : new Blob([sent]),
      });
      expect(response.status).toBe(415);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await response.json()).toMatchObject({
        code: 'unsupported_media_type',
        field: 'header.Content-Type',
        detail: expect.stringMatching(
          headers['content-type']
            ? /^send the body as JSON with `Content-Type: application\/json` \(this request says text\/plain\)$/
            : /\(this request has no Content-Type\)$/,
        ),
      });
    }
    // The same request with its content type goes through, and a body-less POST is still judged by its schema.
    const json = await harness.request('POST', '/v1/connections/quickbooks', { body: { backfill: false } });
    expect(json.status).toBe(201);
    const empty = await fetch(`${harness.url}/v1/connections/quickbooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.account.key}` },
    });
    expect(empty.status).toBe(201);
    // Each operation with a body declares the 415.
    const document = (await harness.request('GET', '/openapi.json', { key: null })).json;
    expect(document.paths['/v1/connections/quickbooks'].post.responses['415'].description).toContain(
      'unsupported_media_type',
    );
    expect(document.paths['/v1/connections'].get.responses['415']).toBeUndefined();
  });

  it('says a missing parameter is required and what it is for', async () => {
    const missing = await harness.request('GET', '/v1/contacts');
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({
      code: 'validation_failed',
      field: 'query.changedSince',
      detail:
        'query.changedSince: is required (Only changes after this ISO 8601 time; `1970-01-01T00:00:00Z` reads every customer.)',
    });
    // A value that is present but wrong keeps zod's own message.
    const malformed = await harness.request('GET', '/v1/contacts?changedSince=yesterday');
    expect(malformed.json.detail).toMatch(/^query\.changedSince: Invalid ISO datetime/);
  });

  it('points the bare address and unknown routes at the reference and the console', async () => {
    const index = await harness.request('GET', '/', { key: null });
    expect(index.status).toBe(200);
    expect(index.json).toMatchObject({ docs: '/docs', openapi: '/openapi.json', console: '/console' });
    const page = await fetch(`${harness.url}/`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<a href="/docs">API reference</a>');
    expect(html).toContain('<a href="/console">Admin console</a>');
    const unknown = await harness.request('GET', '/v1/nothing-here');
    expect(unknown.json).toMatchObject({
      status: 404,
      code: 'route_not_found',
      detail: 'no route for GET /v1/nothing-here: the routes are listed at /docs (and /openapi.json)',
    });
  });

  it('lists the account’s connections when it must name one, and mints an absolute panel URL', async () => {
    const account = await harness.newAccount('Two companies');
    const first = await harness.connect(account, { company: { companyName: 'Alder Co' }, backfill: false });
    const second = await harness.connect(account, { company: { companyName: 'Birch Co' }, backfill: false });
    const body = { updatedAt: '2026-11-25T12:00:00Z', fields: { displayName: 'Ada Lovelace' } };
    const ambiguous = await harness.request('PUT', '/v1/contacts/crm-ada', { key: account.key, body });
    expect(ambiguous.status).toBe(400);
    const [a, b] = [first, second].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(ambiguous.json).toMatchObject({
      code: 'connection_required',
      field: 'query.connectionId',
      detail: `this account has several QuickBooks companies: name one with connectionId, one of ${a.id} (${a.companyName}), ${b.id} (${b.companyName})`,
    });

    const stored = await harness.request('PUT', `/v1/contacts/crm-ada?connectionId=${first.id}`, {
      key: account.key,
      body,
    });
    expect(stored.status).toBe(202);
    const minted = await harness.request(
      'POST',
      `/v1/contacts/crm-ada/quickbooks/embed-token?connectionId=${first.id}`,
      { key: account.key, body: {} },
    );
    expect(minted.status).toBe(201);
    expect(minted.json.url).toMatch(new RegExp(`^${harness.url}/embed/contacts/crm-ada/quickbooks\\?token=`));
    const panel = await fetch(minted.json.url);
    expect(panel.status).toBe(200);
    expect(panel.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });
});
