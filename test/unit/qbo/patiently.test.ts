import { patiently } from '../../../src/qbo/client';
import { QboApiError } from '../../../src/qbo/errors';

const throttled = () =>
  new QboApiError('QBO throttled (HTTP 429)', { kind: 'throttled', status: 429, retryAfterMs: 1 });

describe('patiently', () => {
  it('asks again after each throttled answer, up to the retries given', async () => {
    let calls = 0;
    const answer = await patiently(() => {
      calls += 1;
      return calls <= 2 ? Promise.reject(throttled()) : Promise.resolve('page');
    }, 2);
    expect({ answer, calls }).toEqual({ answer: 'page', calls: 3 });
  });

  it('gives up once the retries are spent, and never retries another error', async () => {
    let calls = 0;
    await expect(
      patiently(() => {
        calls += 1;
        return Promise.reject(throttled());
      }, 2),
    ).rejects.toThrow('QBO throttled');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      patiently(() => {
        calls += 1;
        return Promise.reject(
          new QboApiError('QBO server error (HTTP 503)', { kind: 'server', status: 503 }),
        );
      }, 5),
    ).rejects.toThrow('server error');
    expect(calls).toBe(1);
  });
});
