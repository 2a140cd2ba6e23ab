import { launchChromium } from '../support/chromium';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

/**
 * The API's contract: every route is in the OpenAPI document (responses are checked against it on every call by
 * the harness), bad input is a 4xx problem naming the field, keys authenticate and scope, POSTs are idempotent,
 * and the reference at /docs renders in a real browser.
 */
describe('API contract: OpenAPI, errors, auth, idempotency', () => {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await startApiHarness();
  });
  afterAll(() => harness?.close());

  it('serves an OpenAPI 3.1 document with every route, and every $ref resolves', async () => {
    const response = await harness.request('GET', '/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const document = response.json;
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths as Record<string, object>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of [
      'GET /v1/account',
      'PATCH /v1/account',
      'POST /v1/connections/quickbooks',
      'GET /v1/oauth/quickbooks/callback',
      'GET /v1/connections',
      'GET /v1/connections/{id}',
      'PATCH /v1/connections/{id}',
      'POST /v1/connections/{id}/sync',
      'POST /v1/connections/{id}/previews',
      'GET /v1/connections/{id}/previews/{previewId}',
      'POST /v1/connections/{id}/previews/{previewId}/apply',
      'DELETE /v1/connections/{id}',
      'PUT /v1/contacts/{crmContactId}',
      'POST /v1/contacts/batch',
      'DELETE /v1/contacts/{crmContactId}',
      'GET /v1/contacts/{crmContactId}',
      'GET /v1/contacts',
      'GET /v1/contacts/{crmContactId}/quickbooks',
      'GET /v1/contacts/{crmContactId}/quickbooks/transactions',
      'POST /v1/contacts/{crmContactId}/quickbooks/embed-token',
      'GET /v1/webhook-endpoint',
      'PUT /v1/webhook-endpoint',
      'GET /v1/events',
      'GET /v1/events/{id}',
      'POST /v1/events/{id}/redeliver',
      'GET /v1/connections/{id}/health',
      'POST /v1/connections/{id}/retry',
      'GET /v1/sync-events',
      'POST /v1/sync-events/{id}/resolve',
      'GET /v1/connections/{id}/follow-up-policy',
      'PUT /v1/connections/{id}/follow-up-policy',
      'GET /v1/follow-ups',
      'GET /v1/follow-ups/{id}',
      'POST /v1/follow-ups/{id}/complete',
      'POST /v1/follow-ups/{id}/dismiss',
      'GET /v1/connections/{id}/email-opt-outs',
      'DELETE /v1/connections/{id}/email-opt-outs/{qboCustomerId}',
    ])
      expect(documented).toContain(route);
    const refs = JSON.stringify(document).match(/"#\/components\/[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const [, , section, name] = JSON.parse(ref).split('/');
      expect({ ref, found: Boolean(document.components?.[section]?.[name]) }).toEqual({ ref, found: true });
    }
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('renders the interactive reference at /docs in a browser, without any outside asset', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const outside: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(harness.url)) outside.push(request.url());
      });
      await page.goto(`${harness.url}/docs`);
      await page.getByText('qbo-sync API').first().waitFor({ timeout: 15_000 });
      await page.getByText('/v1/contacts/{crmContactId}', { exact: true }).first().waitFor();
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('exposes Prometheus metrics: requests by route pattern and status, and the state of the data', async () => {
    await harness.request('GET', '/v1/connections');
    await harness.request('GET', '/v1/contacts/some-id', { key: null });
    const response = await fetch(`${harness.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(
      /qbo_sync_http_requests_total\{method="GET",route="\/v1\/connections",status="200"\} \d+/,
    );
    // Ids never become label values: the route pattern is recorded.
    expect(text).toContain('route="/v1/contacts/:crmContactId",status="401"');
    expect(text).not.toContain('some-id');
    expect(text).toMatch(/# TYPE qbo_sync_connections gauge/);
    expect(text).toMatch(/qbo_sync_process_cpu_seconds_total/);
  });

  it('asks for a key, and refuses a malformed, unknown or revoked one', async () => {
    const missing = await harness.request('GET', '/v1/connections', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(missing.json).toMatchObject({ code: 'authentication_required', field: 'header.Authorization' });
    for (const key of ['nonsense', `qbs_0000000000000000_${'a'.repeat(43)}`, `${harness.account.key}x`]) {
      const refused = await harness.request('GET', '/v1/connections', { key });
      expect(refused.json).toMatchObject({ status: 401, code: 'invalid_api_key' });
    }
  });

  it('names every offending field, rejects unknown ones, and stores nothing from a bad request', async () => {
    const other = await harness.newAccount('Validation');
    const bad = await harness.request('PUT', '/v1/webhook-endpoint', {
      key: other.key,
      body: { url: 'not a url', enabled: 'yes', colour: 'blue' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('validation_failed');
    expect(bad.json.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'body.colour',
      'body.enabled',
      'body.url',
    ]);
    expect((await harness.request('GET', '/v1/webhook-endpoint', { key: other.key })).json).toEqual({
      url: null,
      enabled: false,
    });

    const badQuery = await harness.request('GET', '/v1/connections?limit=0', { key: other.key });
    expect(badQuery.json).toMatchObject({ status: 400, field: 'query.limit' });
    const badCursor = await harness.request('GET', '/v1/connections?cursor=zzz', { key: other.key });
    expect(badCursor.json).toMatchObject({ status: 400, code: 'invalid_cursor', field: 'query.cursor' });
    const notJson = await harness.request('PUT', '/v1/webhook-endpoint', { key: other.key, body: '{"url":' });
    expect(notJson.json).toMatchObject({ status: 400, code: 'invalid_json' });
    const huge = await harness.request('PUT', '/v1/webhook-endpoint', {
      key: other.key,
      body: { url: `https://example.com/${'x'.repeat(200_000)}` },
    });
    expect(huge.json).toMatchObject({ status: 413, code: 'body_too_large' });
    const contact = await harness.request('PUT', '/v1/contacts/c-1', {
      key: other.key,
      body: { updatedAt: 'yesterday', fields: { displayName: 'X', favouriteColour: 'blue' } },
    });
    expect(contact.json.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'body.fields.favouriteColour',
      'body.updatedAt',
    ]);
    const unknownRoute = await harness.request('GET', '/v1/nothing-here', { key: other.key });
    expect(unknownRoute.json).toMatchObject({ status: 404, code: 'route_not_found' });
  });

  it('replays a POST with the same Idempotency-Key, and refuses the key with another body', async () => {
    const headers = { 'Idempotency-Key': 'connect-once' };
    const first = await harness.request('POST', '/v1/connections/quickbooks', { body: {}, headers });
    const again = await harness.request('POST', '/v1/connections/quickbooks', { body: {}, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const different = await harness.request('POST', '/v1/connections/quickbooks', {
      body: { backfill: false },
      headers,
    });
    expect(different.json).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    // Keys are per account: another account's identical key is its own request.
    const other = await harness.newAccount('Idempotency');
    const theirs = await harness.request('POST', '/v1/connections/quickbooks', {
      key: other.key,
      body: {},
      headers,
    });
    expect(theirs.json.state).not.toBe(first.json.state);
  });

  it('rotates keys: several live at once, a revoked one stops working at once', async () => {
    const { issueApiKey, revokeApiKey } = await import('../../src/accounts/keys');
    const conn = harness.db.mongoose.connection;
    const second = await issueApiKey(conn, harness.account.id, 'rotation');
    expect((await harness.request('GET', '/v1/connections', { key: second.key })).status).toBe(200);
    expect((await harness.request('GET', '/v1/connections')).status).toBe(200);
    expect(await revokeApiKey(conn, harness.account.id, second.id)).toBe(true);
    expect((await harness.request('GET', '/v1/connections', { key: second.key })).status).toBe(401);
    const stored = await conn.collection('api_keys').findOne({ _id: second.id as never });
    // The secret may itself contain `_`: it is everything after `qbs_<id>_`.
    const secret = second.key.slice(`qbs_${second.id}_`.length);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });
});
