import { startApiHarness, type ApiHarness } from '../support/api-harness';

/**
 * The API's doors, as production runs them (OUTBOUND_ALLOW_PRIVATE_NETWORKS off): webhook endpoints only at public
 * addresses over https.
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
});
