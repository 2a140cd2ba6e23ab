import { signPayload } from '../../src/outbound/signing';
import { verifyWebhookSignature } from '../../sdk/src';

/** The SDK's check (Web Crypto) against the signer the API uses (node:crypto), byte for byte. */
describe('verifyWebhookSignature', () => {
  const secret = 'whsec_test-secret';
  const body = JSON.stringify({ id: 'evt_1', type: 'contact.updated', data: { name: 'Zoë & Co' } });
  const at = new Date('2026-12-07T12:00:00Z');

  it('accepts what the API signs, as a string or as bytes', async () => {
    const header = signPayload(secret, body, at);
    await expect(verifyWebhookSignature(secret, body, header, { now: at })).resolves.toBe(true);
    const bytes = new TextEncoder().encode(body);
    await expect(verifyWebhookSignature(secret, bytes, header, { now: at })).resolves.toBe(true);
  });

  it('accepts a header with two signatures while the secret rotates', async () => {
    const old = signPayload('whsec_old', body, at);
    const current = signPayload(secret, body, at);
    const both = `${old},${current.split(',')[1]}`;
    await expect(verifyWebhookSignature(secret, body, both, { now: at })).resolves.toBe(true);
  });

  it('refuses another body, another secret, a stale time and malformed headers', async () => {
    const header = signPayload(secret, body, at);
    await expect(verifyWebhookSignature(secret, `${body} `, header, { now: at })).resolves.toBe(false);
    await expect(verifyWebhookSignature('whsec_other', body, header, { now: at })).resolves.toBe(false);
    const later = new Date(at.getTime() + 301_000);
    await expect(verifyWebhookSignature(secret, body, header, { now: later })).resolves.toBe(false);
    await expect(
      verifyWebhookSignature(secret, body, header, { now: later, toleranceSeconds: 600 }),
    ).resolves.toBe(true);
    for (const malformed of [null, '', 't=1', 'v1=abc', header.replace('v1=', 'v2=')])
      await expect(verifyWebhookSignature(secret, body, malformed, { now: at })).resolves.toBe(false);
  });
});
