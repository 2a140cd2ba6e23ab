import { connect } from 'node:net';
import { signState } from '../../src/security/signed-state';
import { approveConsent } from '../../src/stack/demo';
import { startApiHarness, type ApiHarness, type TestAccount } from '../support/api-harness';

/**
 * The API's doors, as production runs them (OUTBOUND_ALLOW_PRIVATE_NETWORKS off, NODE_ENV not development):
 * webhook endpoints only at public addresses over https, the connect flow returns only to registered origins, no
 * control character gets in, and requests nothing can serve (wrong method, oversized, not HTTP) get problem JSON.
 */
describe('API security: no door left open', () => {
  let harness: ApiHarness;
  beforeAll(async () => {
    harness = await startApiHarness({ outbound: { allowPrivateNetworks: false } });
  });
  afterAll(() => harness?.close());

  describe('PUT /v1/webhook-endpoint (SSRF)', () => {
    it('refuses internal addresses however they are written, saying why, and stores nothing', async () => {
      const account = await harness.newAccount('SSRF');
      const loopback = 'its host is 127.0.0.1, a loopback address';
      const cases: [string, string][] = [
        ['https://127.0.0.1/hooks', loopback],
        ['https://2130706433/hooks', loopback],
        ['https://0x7f.1/hooks', loopback],
        ['https://0177.0.0.1/hooks', loopback],
        ['https://[::1]/hooks', 'its host is ::1, a loopback address'],
        ['https://[::ffff:127.0.0.1]/hooks', loopback],
        [
          'https://169.254.169.254/latest/meta-data/',
          'its host is 169.254.169.254, a link-local address (where cloud metadata services live)',
        ],
        ['https://[::ffff:a9fe:a9fe]/', 'its host is 169.254.169.254, a link-local address'],
        ['https://10.0.0.8/hooks', 'its host is 10.0.0.8, a private-network address'],
        ['https://192.168.1.20/hooks', 'its host is 192.168.1.20, a private-network address'],
        ['https://[fd12::1]/hooks', 'its host is fd12::1, a private-network address'],
        ['https://0.0.0.0/hooks', 'its host is 0.0.0.0, the unspecified address'],
        ['https://localhost/hooks', 'its host localhost resolves to'],
        ['https://93.184.215.14@127.0.0.1/hooks', 'must not carry a user name or password'],
        ['https://user:secret@93.184.215.14/hooks', 'must not carry a user name or password'],
        ['http://93.184.215.14/hooks', 'must be an https URL (this one is http:)'],
      ];
      const answers = [];
      for (const [url, reason] of cases) {
        const response = await harness.request('PUT', '/v1/webhook-endpoint', {
          key: account.key,
          body: { url },
        });
        answers.push({
          url,
          status: response.status,
          code: response.json.code,
          field: response.json.field,
          detail: response.json.detail,
        });
        expect({ url, detail: response.json.detail }).toEqual({
          url,
          detail: expect.stringContaining(reason),
        });
      }
      expect(
        answers.filter(
          (answer) =>
            answer.status !== 400 || answer.code !== 'validation_failed' || answer.field !== 'body.url',
        ),
      ).toEqual([]);
      expect((await harness.request('GET', '/v1/webhook-endpoint', { key: account.key })).json).toEqual({
        url: null,
        enabled: false,
      });
    });

    it('accepts a public address over https', async () => {
      const account = await harness.newAccount('Public endpoint');
      const response = await harness.request('PUT', '/v1/webhook-endpoint', {
        key: account.key,
        body: { url: 'https://93.184.215.14/crm/hooks', enabled: false },
      });
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ url: 'https://93.184.215.14/crm/hooks', enabled: false });
    });
  });

  describe('the connect flow’s returnUrl (open redirect)', () => {
    /** Starts connecting: the authorize URL to send the person to. */
    async function startConnect(account: TestAccount, returnUrl?: string): Promise<string> {
      const started = await harness.request('POST', '/v1/connections/quickbooks', {
        key: account.key,
        body: { backfill: false, ...(returnUrl ? { returnUrl } : {}) },
      });
      expect(started.status).toBe(201);
      return started.json.authorizeUrl;
    }

    /** The person approves a fresh emulator company on the consent page; Intuit sends them to the callback. */
    async function finishConnect(authorizeUrl: string) {
      const company = await harness.emulator.admin('POST', '/companies', { companyName: 'Return Co' });
      const callback = new URL(await approveConsent(authorizeUrl, company.json.realmId));
      return harness.request('GET', `${callback.pathname}${callback.search}`, { key: null });
    }

    it('refuses javascript:, data: and unregistered origins, naming the field', async () => {
      const account = await harness.newAccount('Open redirect');
      const refusals = [];
      for (const returnUrl of [
        'javascript:alert(document.cookie)',
        'data:text/html,<script>alert(1)</script>',
        'https://evil.example/phish',
        'https://crm.example.com.evil.example/',
        'http://crm.example.com/',
      ]) {
        const response = await harness.request('POST', '/v1/connections/quickbooks', {
          key: account.key,
          body: { returnUrl },
        });
        refusals.push({
          returnUrl,
          status: response.status,
          field: response.json.field,
          detail: response.json.detail,
        });
      }
      expect(refusals).toEqual([
        {
          returnUrl: 'javascript:alert(document.cookie)',
          status: 400,
          field: 'body.returnUrl',
          detail: 'body.returnUrl: must be an https URL (this one is javascript:)',
        },
        {
          returnUrl: 'data:text/html,<script>alert(1)</script>',
          status: 400,
          field: 'body.returnUrl',
          detail: 'body.returnUrl: must be an https URL (this one is data:)',
        },
        ...[
          ['https://evil.example/phish', 'https://evil.example'],
          ['https://crm.example.com.evil.example/', 'https://crm.example.com.evil.example'],
          ['http://crm.example.com/', 'http://crm.example.com'],
        ].map(([returnUrl, origin]) => ({
          returnUrl,
          status: 400,
          field: 'body.returnUrl',
          detail: `body.returnUrl: must be on an origin the account registered (PATCH /v1/account, allowedReturnOrigins); ${origin} is not one`,
        })),
      ]);
      // The API's own origin (the console's) is always allowed.
      const own = await harness.request('POST', '/v1/connections/quickbooks', {
        key: account.key,
        body: { returnUrl: `${harness.url}/console/connections` },
      });
      expect(own.status).toBe(201);
    });

    it('registers origins on the account: https only (http on loopback only in development), origins only', async () => {
      const account = await harness.newAccount('Origins');
      expect((await harness.request('GET', '/v1/account', { key: account.key })).json).toEqual({
        id: account.id,
        name: 'Origins',
        allowedReturnOrigins: [],
      });
      const bad = await harness.request('PATCH', '/v1/account', {
        key: account.key,
        body: {
          allowedReturnOrigins: [
            'https://crm.example.com',
            'http://localhost:5173',
            'javascript:alert(1)',
            'https://crm.example.com/callback',
            'https://user@crm.example.com',
          ],
        },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors).toEqual([
        { field: 'body.allowedReturnOrigins.1', message: 'must be https' },
        { field: 'body.allowedReturnOrigins.2', message: 'must be https' },
        {
          field: 'body.allowedReturnOrigins.3',
          message: 'must be an origin only, such as https://crm.example.com: no path, query or user name',
        },
        {
          field: 'body.allowedReturnOrigins.4',
          message: 'must be an origin only, such as https://crm.example.com: no path, query or user name',
        },
      ]);
      expect(
        (await harness.request('GET', '/v1/account', { key: account.key })).json.allowedReturnOrigins,
      ).toEqual([]);

      const good = await harness.request('PATCH', '/v1/account', {
        key: account.key,
        body: { allowedReturnOrigins: ['https://CRM.example.com:443/', 'https://crm.example.com'] },
      });
      expect(good.status).toBe(200);
      expect(good.json.allowedReturnOrigins).toEqual(['https://crm.example.com']);
    });

    it('sends the person back to a registered origin, and only while it is registered', async () => {
      const account = await harness.newAccount('Registered return');
      await harness.request('PATCH', '/v1/account', {
        key: account.key,
        body: { allowedReturnOrigins: ['https://crm.example.com'] },
      });
      const returnUrl = 'https://crm.example.com/settings/quickbooks?tab=sync';
      const back = await finishConnect(await startConnect(account, returnUrl));
      expect(back.status).toBe(303);
      const location = new URL(back.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe('https://crm.example.com/settings/quickbooks');
      expect(location.searchParams.get('tab')).toBe('sync');
      expect(location.searchParams.get('connectionId')).toMatch(/^conn_/);

      // The origin is dropped between the start and the callback: connected, but not sent there.
      const authorizeUrl = await startConnect(account, returnUrl);
      await harness.request('PATCH', '/v1/account', { key: account.key, body: { allowedReturnOrigins: [] } });
      const late = await finishConnect(authorizeUrl);
      expect(late.headers.get('location')).toBeNull();
      expect(late.status).toBe(200);
      expect(late.json).toMatchObject({ id: expect.stringMatching(/^conn_/), status: 'active' });
    });

    it('never redirects the callback to a returnUrl the account may not use, even in a validly signed state', async () => {
      const account = await harness.newAccount('Signed javascript');
      // A state signed before returnUrl was checked: the secret is the harness's, so this is one we issued.
      const forged = (authorizeUrl: string): string => {
        const url = new URL(authorizeUrl);
        url.searchParams.set(
          'state',
          signState(
            harness.serviceEnv.OAUTH_STATE_SECRET!,
            { accountId: account.id, backfill: 0, returnUrl: 'javascript:alert(document.cookie)' },
            15 * 60_000,
            Date.now(),
          ),
        );
        return url.toString();
      };
      const done = await finishConnect(forged(await startConnect(account)));
      expect(done.headers.get('location')).toBeNull();
      expect(done.status).toBe(200);
      expect(done.json).toMatchObject({ id: expect.stringMatching(/^conn_/), status: 'active' });
    });
  });

  describe('requests that cannot be served are answered as problems', () => {
    it('refuses control characters in any field, naming each, and stores nothing', async () => {
      const account = await harness.newAccount('Control characters');
      await harness.connect(account, { backfill: false });
      const refused = await harness.request('PUT', '/v1/contacts/crm-nul', {
        key: account.key,
        body: {
          updatedAt: '2026-11-25T12:00:00Z',
          fields: {
            givenName: 'Ann\u0000ie',
            familyName: 'Ruiz',
            billingAddress: { line1: '1 Main St\u0007' },
            notes: 'fine',
          },
        },
      });
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ code: 'validation_failed', field: 'body.fields.givenName' });
      expect(refused.json.errors).toEqual([
        {
          field: 'body.fields.givenName',
          message: 'must not contain control characters (U+0000 at character 4)',
        },
        {
          field: 'body.fields.billingAddress.line1',
          message: 'must not contain control characters (U+0007 at character 10)',
        },
      ]);
      expect((await harness.request('GET', '/v1/contacts/crm-nul', { key: account.key })).status).toBe(404);

      const inPath = await harness.request('GET', '/v1/contacts/crm%00nul', { key: account.key });
      expect(inPath.json).toMatchObject({
        status: 400,
        field: 'path.crmContactId',
        detail: 'path.crmContactId: must not contain control characters (U+0000 at character 4)',
      });

      // Line breaks and tabs are text people type (a note's lines): they are kept.
      const notes = 'VIP\r\n\tmet at the trade show';
      const stored = await harness.request('PUT', '/v1/contacts/crm-nul', {
        key: account.key,
        body: {
          updatedAt: '2026-11-25T12:00:00Z',
          fields: { givenName: 'Annie', familyName: 'Ruiz', notes },
        },
      });
      expect(stored.status).toBe(202);
      expect(stored.json.fields).toMatchObject({ givenName: 'Annie', notes });
    });

    it('answers an unsupported method on a known path with 405 and Allow, an unknown path with 404', async () => {
      const answers = [];
      for (const [method, path] of [
        ['DELETE', '/v1/webhook-endpoint'],
        ['PATCH', '/v1/contacts/crm-1'],
        ['PUT', '/v1/connections'],
        ['DELETE', '/v1/account'],
        ['POST', '/healthz'],
        ['GET', '/v1/webhooks/quickbooks'],
        ['DELETE', '/v1/nothing-here'],
      ] as const) {
        const response = await harness.request(method, path);
        answers.push({
          request: `${method} ${path}`,
          status: response.status,
          type: response.headers.get('content-type'),
          allow: response.headers.get('allow'),
          code: response.json.code,
        });
      }
      const problem = 'application/problem+json; charset=utf-8';
      const notAllowed = { status: 405, type: problem, code: 'method_not_allowed' };
      expect(answers).toEqual([
        { request: 'DELETE /v1/webhook-endpoint', ...notAllowed, allow: 'GET, HEAD, PUT' },
        { request: 'PATCH /v1/contacts/crm-1', ...notAllowed, allow: 'DELETE, GET, HEAD, PUT' },
        { request: 'PUT /v1/connections', ...notAllowed, allow: 'GET, HEAD' },
        { request: 'DELETE /v1/account', ...notAllowed, allow: 'GET, HEAD, PATCH' },
        { request: 'POST /healthz', ...notAllowed, allow: 'GET, HEAD' },
        { request: 'GET /v1/webhooks/quickbooks', ...notAllowed, allow: 'POST' },
        {
          request: 'DELETE /v1/nothing-here',
          status: 404,
          type: problem,
          allow: null,
          code: 'route_not_found',
        },
      ]);
      const detail = (await harness.request('DELETE', '/v1/webhook-endpoint')).json.detail;
      expect(detail).toBe(
        'DELETE is not allowed on /v1/webhook-endpoint; it answers GET, HEAD, PUT (see /docs)',
      );
    });

    it('answers a 20,000-character path with 431 in problem JSON', async () => {
      const response = await harness.request('GET', `/v1/contacts/${'x'.repeat(20_000)}`);
      expect({
        status: response.status,
        type: response.headers.get('content-type'),
        body: response.json,
      }).toEqual({
        status: 431,
        type: 'application/problem+json',
        body: expect.objectContaining({
          status: 431,
          title: 'Request Header Fields Too Large',
          code: 'headers_too_large',
          detail: 'the request line and headers are over 16 kB together: shorten the URL or the headers',
        }),
      });
    });

    it('answers a request that is not HTTP with 400 in problem JSON, and closes the connection', async () => {
      const { hostname, port } = new URL(harness.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () =>
          socket.write('GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n'),
        );
        let received = '';
        socket.setEncoding('utf8');
        socket.setTimeout(10_000, () =>
          socket.destroy(new Error(`no answer in 10 s; received: ${received}`)),
        );
        socket.on('data', (chunk: string) => (received += chunk));
        socket.on('end', () => resolve(received));
        socket.on('error', reject);
      });
      const [head, body] = answer.split('\r\n\r\n');
      expect(head!.split('\r\n')).toEqual(
        expect.arrayContaining([
          'HTTP/1.1 400 Bad Request',
          'Content-Type: application/problem+json',
          'Connection: close',
        ]),
      );
      expect(JSON.parse(body!)).toMatchObject({ status: 400, code: 'bad_request' });
    });
  });
});
