import {
  http,
  startTestEmulator,
  type HttpResult,
  type QboClient,
  type TestEmulator,
} from '../support/emulator';

/** The body without the per-response `time`, for comparing two answers to the same request. */
const withoutTime = (result: HttpResult) => {
  const { time: _time, ...body } = result.json as Record<string, unknown>;
  return body;
};

describe('emulator conformance: minorversion and requestid on batch', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  describe('minorversion', () => {
    /** GET with the given minorversion, or none at all: the shared client always sends 75. */
    const get = (path: string, query: Record<string, string>, minorversion?: string) => {
      const search = new URLSearchParams({ ...query, ...(minorversion ? { minorversion } : {}) });
      return http('GET', `${qbo.baseUrl}/v3/company/${qbo.realmId}${path}?${search.toString()}`, {
        headers: { Authorization: `Bearer ${qbo.accessToken}` },
      });
    };

    it('answers as minor version 75 whether it is missing, below 75 (ignored since 2025-08-01) or above', async () => {
      const customer = await qbo.create('Customer', { DisplayName: 'Versioned Ltd' });
      for (const [path, query] of [
        [`/customer/${customer.Id}`, {}],
        ['/query', { query: 'select * from Customer' }],
        ['/preferences', {}],
        ['/customer/987654', {}],
      ] as const) {
        const [none, low, current, high] = await Promise.all(
          [undefined, '4', '75', '99'].map((minorversion) => get(path, query, minorversion)),
        );
        for (const response of [none, low, current, high]) {
          expect([path, response!.status]).toEqual([path, none!.status]);
          expect(withoutTime(response!)).toEqual(withoutTime(none!));
        }
      }
      const read = await get(`/customer/${customer.Id}`, {}, '4');
      expect(read.json.Customer).toEqual(customer);
    });

    it('ignores minorversion on writes too', async () => {
      const created = await http('POST', `${qbo.baseUrl}/v3/company/${qbo.realmId}/customer?minorversion=4`, {
        body: { DisplayName: 'Low Version Co' },
        headers: { Authorization: `Bearer ${qbo.accessToken}` },
      });
      expect(created.status).toBe(200);
      const read = await qbo.read('Customer', created.json.Customer.Id);
      expect(read.json.Customer).toEqual(created.json.Customer);
    });
  });

  describe('requestid on /batch', () => {
    const batch = (requestid: string, name: string) =>
      qbo.request('POST', '/batch', {
        query: { requestid },
        body: {
          BatchItemRequest: [
            { bId: 'c1', operation: 'create', Customer: { DisplayName: name } },
            { bId: 'q1', Query: `select count(*) from Customer where DisplayName = '${name}'` },
          ],
        },
      });
    const howMany = async (name: string) =>
      (await qbo.query(`select count(*) from Customer where DisplayName = '${name}'`)).json.QueryResponse
        .totalCount;

    it('replays the first batch response for a repeated requestid and runs nothing twice', async () => {
      const first = await batch('batch-replay-1', 'Batch Replay Co');
      expect(first.status).toBe(200);
      const [created, counted] = first.json.BatchItemResponse;
      expect(created).toMatchObject({
        bId: 'c1',
        Customer: { DisplayName: 'Batch Replay Co', SyncToken: '0' },
      });
      expect(counted).toEqual({ bId: 'q1', QueryResponse: { totalCount: 1 } });

      const again = await batch('batch-replay-1', 'Batch Replay Co');
      expect(again.status).toBe(200);
      expect(again.json.BatchItemResponse).toEqual(first.json.BatchItemResponse);
      expect(await howMany('Batch Replay Co')).toBe(1);

      // A new requestid runs the batch again: the create now clashes with the first one.
      const rerun = await batch('batch-replay-2', 'Batch Replay Co');
      expect(rerun.json.BatchItemResponse[0].Fault.Error[0].code).toBe('6240');
      expect(await howMany('Batch Replay Co')).toBe(1);
    });

    it('allows 36 characters of requestid on a batch and refuses 37', async () => {
      const longest = await batch('b'.repeat(36), 'Batch Long Id Co');
      expect(longest.status).toBe(200);
      const tooLong = await batch('b'.repeat(37), 'Batch Too Long Co');
      expect(tooLong.status).toBe(400);
      expect(tooLong.json.Fault.Error[0].element).toBe('requestid');
      expect(await howMany('Batch Too Long Co')).toBe(0);
    });

    it('allows bIds of 10 characters with a requestid, refuses 11, and does not limit them without one', async () => {
      const create = (bId: string, name: string, query: Record<string, string>) =>
        qbo.request('POST', '/batch', {
          query,
          body: { BatchItemRequest: [{ bId, operation: 'create', Customer: { DisplayName: name } }] },
        });
      expect((await create('b'.repeat(10), 'Batch Ten Co', { requestid: 'bid-10' })).status).toBe(200);
      const refused = await create('b'.repeat(11), 'Batch Eleven Co', { requestid: 'bid-11' });
      expect(refused.status).toBe(400);
      expect(refused.json.Fault.Error[0]).toMatchObject({ code: '2010', element: 'BatchItemRequest.bId' });
      expect(await howMany('Batch Eleven Co')).toBe(0);
      expect((await create('b'.repeat(11), 'Batch Free Co', {})).status).toBe(200);
    });
  });
});

describe('emulator conformance: injected error rates are reproducible for a seed', () => {
  /**
   * A fresh emulator seeded with `seed`, a 503 rate of 0.5, and 40 creates in a row: the statuses answered, and how
   * many customers exist afterwards (an injected error must not have written anything).
   */
  async function run(seed: number): Promise<{ statuses: number[]; created: number }> {
    const emulator = await startTestEmulator({ seed });
    try {
      const qbo = await emulator.company();
      const set = await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {
        errorRates: { '503': 0.5 },
      });
      expect(set.status).toBe(200);
      const statuses: number[] = [];
      for (let index = 0; index < 40; index += 1) {
        statuses.push((await qbo.write('Customer', { DisplayName: `Flaky ${index}` })).status);
      }
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {});
      const created = (await qbo.query('select count(*) from Customer')).json.QueryResponse.totalCount ?? 0;
      return { statuses, created };
    } finally {
      await emulator.close();
    }
  }

  it('fails the same requests on two runs with the same seed, about half of them, writing nothing when failing', async () => {
    const first = await run(4242);
    const second = await run(4242);
    expect(second.statuses).toEqual(first.statuses);
    expect([...new Set(first.statuses)].sort()).toEqual([200, 503]);
    const failures = first.statuses.filter((status) => status === 503).length;
    expect(failures).toBeGreaterThanOrEqual(10);
    expect(failures).toBeLessThanOrEqual(30);
    expect(first.created).toBe(40 - failures);
    const other = await run(4243);
    expect(other.statuses).not.toEqual(first.statuses);
  });
});
