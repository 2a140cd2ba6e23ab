import { createHash } from 'node:crypto';
import { maxBatchRequestIdLength, maxRequestIdLength, QboUsageError, requestIdFor } from '../../../src/qbo';

describe('requestIdFor', () => {
  const parts = ['conn-1', 'Customer', 'crm-42', 'create', '2026-03-02T17:00:00.000Z'];

  it('is deterministic: the same parts give the same id, in any process, at any time', () => {
    expect(requestIdFor(...parts)).toBe(requestIdFor(...parts));
    // Pinned, so a change of algorithm (which would break replay of in-flight writes across a deploy) is noticed.
    const expected = createHash('sha256')
      .update(parts.map((part) => `${Buffer.byteLength(part)}:${part}`).join(''))
      .digest('base64url')
      .slice(0, 36);
    expect(requestIdFor(...parts)).toBe(expected);
  });

  it('fits both QBO limits: 50 characters per write and 36 per batch, URL-safe', () => {
    const id = requestIdFor(...parts);
    expect(id).toHaveLength(36);
    expect(id.length).toBeLessThanOrEqual(maxBatchRequestIdLength);
    expect(maxBatchRequestIdLength).toBeLessThanOrEqual(maxRequestIdLength);
    expect(id).toMatch(/^[A-Za-z0-9_-]{36}$/);
    expect(requestIdFor('x'.repeat(10_000))).toHaveLength(36);
  });

  it('gives a different id for any different input, including how the parts are split', () => {
    const ids = new Set([
      requestIdFor(...parts),
      requestIdFor(...parts.slice(0, 4), '2026-03-02T17:00:00.001Z'),
      requestIdFor('conn-1', 'Customer', 'crm-42', 'update', '2026-03-02T17:00:00.000Z'),
      requestIdFor('conn-2', 'Customer', 'crm-42', 'create', '2026-03-02T17:00:00.000Z'),
      requestIdFor('a', 'b'),
      requestIdFor('ab'),
      requestIdFor('a\u0000b'),
      requestIdFor('a', '', 'b'),
      requestIdFor('1:a'),
      requestIdFor(''),
    ]);
    expect(ids.size).toBe(10);
  });

  it('needs at least one part', () => {
    expect(() => requestIdFor()).toThrow(QboUsageError);
  });
});
