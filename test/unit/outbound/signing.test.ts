import { createHmac } from 'node:crypto';
import { defaultMaxAttempts, nextAttemptDelayMs } from '../../../src/outbound/delivery';
import { generateWebhookSecret, signPayload, verifySignature } from '../../../src/outbound/signing';

const secret = 'whsec_test-secret';
const body = '{"id":"evt_1","type":"contact.updated"}';
const sentAt = new Date('2025-03-01T12:00:00.000Z');
const t = sentAt.getTime() / 1000;
const secondsLater = (seconds: number) => new Date(sentAt.getTime() + seconds * 1000);

describe('webhook signatures', () => {
  it('signs `${t}.${body}` with HMAC-SHA256, as a receiver would recompute it', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signPayload(secret, body, sentAt)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies its own signature over string or byte bodies', () => {
    const header = signPayload(secret, body, sentAt);
    expect(verifySignature(secret, body, header, sentAt)).toBe(true);
    expect(verifySignature(secret, Buffer.from(body), header, secondsLater(10))).toBe(true);
  });

  it('refuses another secret, an altered body, or an altered timestamp', () => {
    const header = signPayload(secret, body, sentAt);
    expect(verifySignature('whsec_other', body, header, sentAt)).toBe(false);
    expect(verifySignature(secret, `${body} `, header, sentAt)).toBe(false);
    expect(verifySignature(secret, body, header.replace(`t=${t}`, `t=${t + 1}`), sentAt)).toBe(false);
  });

  it('refuses a signature outside the replay window, either side', () => {
    const header = signPayload(secret, body, sentAt);
    expect(verifySignature(secret, body, header, secondsLater(300))).toBe(true);
    expect(verifySignature(secret, body, header, secondsLater(301))).toBe(false);
    expect(verifySignature(secret, body, header, secondsLater(-301))).toBe(false);
    expect(verifySignature(secret, body, header, secondsLater(301), 600)).toBe(true);
  });

  it('accepts any of several v1 values, so a secret can rotate', () => {
    const current = signPayload(secret, body, sentAt);
    const previous = signPayload('whsec_previous', body, sentAt).split(',v1=')[1]!;
    const header = `t=${t},v1=${previous},${current.split(',')[1]!}`;
    expect(verifySignature(secret, body, header, sentAt)).toBe(true);
    expect(verifySignature('whsec_previous', body, header, sentAt)).toBe(true);
    expect(verifySignature('whsec_third', body, header, sentAt)).toBe(false);
  });

  it('treats malformed headers as invalid rather than throwing', () => {
    const v1 = signPayload(secret, body, sentAt).split(',')[1]!;
    for (const header of [
      '',
      'garbage',
      v1,
      `t=${t}`,
      `t=abc,${v1}`,
      `t=${t},v1=zz`,
      `t=${t},v1=${'a'.repeat(63)}`,
    ]) {
      expect(verifySignature(secret, body, header, sentAt)).toBe(false);
    }
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64url')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});

describe('webhook retry schedule', () => {
  const middle = () => 0.5;

  it('doubles from 30 s and caps at 6 h', () => {
    expect([1, 2, 3, 4].map((attempts) => nextAttemptDelayMs(attempts, middle))).toEqual([
      30_000, 60_000, 120_000, 240_000,
    ]);
    expect(nextAttemptDelayMs(10, middle)).toBe(15_360_000);
    expect(nextAttemptDelayMs(11, middle)).toBe(6 * 3600_000);
    expect(nextAttemptDelayMs(50, middle)).toBe(6 * 3600_000);
  });

  it('jitters by at most 10% either way', () => {
    expect(nextAttemptDelayMs(1, () => 0)).toBe(27_000);
    expect(nextAttemptDelayMs(1, () => 0.999999)).toBeLessThanOrEqual(33_000);
    expect(nextAttemptDelayMs(1, () => 0.999999)).toBeGreaterThan(32_900);
  });

  it('spans about three days before the default limit gives up', () => {
    const waits = Array.from({ length: defaultMaxAttempts - 1 }, (_, index) =>
      nextAttemptDelayMs(index + 1, middle),
    );
    const totalHours = waits.reduce((sum, delay) => sum + delay, 0) / 3600_000;
    expect(totalHours).toBeGreaterThan(60);
    expect(totalHours).toBeLessThan(80);
  });
});
