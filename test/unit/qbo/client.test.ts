import {
  QboApiError,
  QboClient,
  QboUsageError,
  type QboRequestSample,
  type TokenSource,
} from '../../../src/qbo';

interface Sent {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

type Responder = (sent: Sent, signal: AbortSignal | undefined) => Response | Promise<Response>;

/** A scripted fetch: answers each call with the next responder (the last one repeats) and records what was sent. */
function fakeFetch(...responders: Responder[]) {
  const sent: Sent[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const record: Sent = {
      url: new URL(input instanceof Request ? input.url : input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    sent.push(record);
    const responder = responders[Math.min(sent.length - 1, responders.length - 1)]!;
    return responder(record, init?.signal ?? undefined);
  }) as typeof fetch;
  return { fetchImpl, sent };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json;charset=UTF-8', ...headers },
    });

const customer = {
  Id: '7',
  SyncToken: '3',
  DisplayName: "O'Brien",
  MetaData: { CreateTime: '2026-03-02T09:00:00-08:00', LastUpdatedTime: '2026-03-02T09:00:00-08:00' },
  V4IDPseudonym: 'kept',
};

const gateway401 = {
  fault: {
    error: [
      {
        message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
        detail: 'Token expired',
        code: '3200',
        element: null,
      },
    ],
    type: 'AUTHENTICATION',
  },
};

function tokens(initial = 'token-1', refreshed = 'token-2') {
  const refreshCalls: string[] = [];
  const source: TokenSource = {
    accessToken: () => Promise.resolve(initial),
    refreshAfterUnauthorized: (rejected) => {
      refreshCalls.push(rejected);
      return Promise.resolve(refreshed);
    },
  };
  return { source, refreshCalls };
}

function client(fetchImpl: typeof fetch, tokenSource: TokenSource = tokens().source, timeoutMs?: number) {
  return new QboClient({
    baseUrl: 'https://qbo.example/',
    realmId: '9130350000000001',
    tokens: tokenSource,
    fetch: fetchImpl,
    timeoutMs,
  });
}

describe('QboClient request shape', () => {
  it('reads with Accept JSON, a bearer token and minorversion 75, and no requestid', async () => {
    const { fetchImpl, sent } = fakeFetch(json(200, { Customer: customer, time: 't' }));
    const read = await client(fetchImpl).read('Customer', '7');
    expect(read).toEqual(customer);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url.pathname).toBe('/v3/company/9130350000000001/customer/7');
    expect(sent[0]!.url.searchParams.get('minorversion')).toBe('75');
    expect(sent[0]!.url.searchParams.has('requestid')).toBe(false);
    expect(sent[0]!.headers).toMatchObject({ Accept: 'application/json', Authorization: 'Bearer token-1' });
  });

  it('creates with the requestid and a JSON body', async () => {
    const { fetchImpl, sent } = fakeFetch(json(200, { Customer: customer, time: 't' }));
    await client(fetchImpl).create('Customer', { DisplayName: "O'Brien" }, 'req-1');
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.url.searchParams.get('requestid')).toBe('req-1');
    expect(sent[0]!.headers['Content-Type']).toBe('application/json');
    expect(sent[0]!.body).toEqual({ DisplayName: "O'Brien" });
  });

  it('always sends sparse: true on update, whatever the caller put in the body', async () => {
    const { fetchImpl, sent } = fakeFetch(json(200, { Customer: customer, time: 't' }));
    const body = { Id: '7', SyncToken: '3', Notes: 'n', sparse: false } as const;
    await client(fetchImpl).update('Customer', body, 'req-2');
    expect(sent[0]!.body).toEqual({ Id: '7', SyncToken: '3', Notes: 'n', sparse: true });
    expect(sent[0]!.url.searchParams.get('operation')).toBe('update');
  });

  it('refuses an update without Id and SyncToken, and a requestid that is too long, before sending', async () => {
    const { fetchImpl, sent } = fakeFetch(json(200, { Customer: customer }));
    const qbo = client(fetchImpl);
    await expect(qbo.update('Customer', { Id: '7', SyncToken: '' }, 'r')).rejects.toThrow(QboUsageError);
    await expect(qbo.create('Customer', { DisplayName: 'x' }, 'x'.repeat(51))).rejects.toThrow(QboUsageError);
    expect(sent).toHaveLength(0);
  });

  it('voids a payment through include=void and other transactions through operation=void', async () => {
    const payment = { ...customer, CustomerRef: { value: '1' } };
    const { fetchImpl, sent } = fakeFetch(
      json(200, { Payment: payment }),
      json(200, { Invoice: payment }),
      json(200, { Invoice: { status: 'Deleted', domain: 'QBO', Id: '7' } }),
    );
    const qbo = client(fetchImpl);
    await qbo.void('Payment', { Id: '7', SyncToken: '3' }, 'v1');
    await qbo.void('Invoice', { Id: '7', SyncToken: '3' }, 'v2');
    const deleted = await qbo.delete('Invoice', { Id: '7', SyncToken: '3' }, 'd1');
    expect(Object.fromEntries(sent[0]!.url.searchParams)).toMatchObject({
      operation: 'update',
      include: 'void',
    });
    expect(sent[0]!.body).toEqual({ Id: '7', SyncToken: '3', sparse: true });
    expect(sent[1]!.url.searchParams.get('operation')).toBe('void');
    expect(sent[1]!.url.searchParams.has('include')).toBe(false);
    expect(sent[1]!.body).toEqual({ Id: '7', SyncToken: '3' });
    expect(sent[2]!.url.searchParams.get('operation')).toBe('delete');
    expect(deleted).toMatchObject({ Id: '7', status: 'Deleted' });
  });
});

describe('QboClient token refresh', () => {
  it('refreshes once after a 401 and replays the same request, requestid included', async () => {
    const { source, refreshCalls } = tokens();
    const { fetchImpl, sent } = fakeFetch(json(401, gateway401), json(200, { Customer: customer }));
    const created = await client(fetchImpl, source).create('Customer', { DisplayName: 'x' }, 'req-9');
    expect(created.Id).toBe('7');
    expect(refreshCalls).toEqual(['token-1']);
    expect(sent.map((s) => s.headers.Authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(sent[1]!.url.toString()).toBe(sent[0]!.url.toString());
    expect(sent[1]!.body).toEqual(sent[0]!.body);
  });

  it('throws an unauthorized error after a second 401, without refreshing again', async () => {
    const { source, refreshCalls } = tokens();
    const { fetchImpl, sent } = fakeFetch(json(401, gateway401));
    const error = await client(fetchImpl, source)
      .read('Customer', '7')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QboApiError);
    expect(error).toMatchObject({ kind: 'unauthorized', code: '3200', retryable: false });
    expect(refreshCalls).toHaveLength(1);
    expect(sent).toHaveLength(2);
  });

  it("passes the token source's own error through (e.g. invalid_grant)", async () => {
    class NeedsReauth extends Error {}
    const source: TokenSource = {
      accessToken: () => Promise.resolve('old'),
      refreshAfterUnauthorized: () => Promise.reject(new NeedsReauth('invalid_grant')),
    };
    const { fetchImpl, sent } = fakeFetch(json(401, gateway401));
    await expect(client(fetchImpl, source).read('Customer', '7')).rejects.toBeInstanceOf(NeedsReauth);
    expect(sent).toHaveLength(1);
  });

  it('does not refresh on 403', async () => {
    const { source, refreshCalls } = tokens();
    const { fetchImpl } = fakeFetch(
      json(403, { fault: { error: [{ message: 'm', detail: null, code: '3100' }], type: 'SERVICE' } }),
    );
    await expect(client(fetchImpl, source).read('Customer', '7')).rejects.toMatchObject({
      kind: 'forbidden',
    });
    expect(refreshCalls).toHaveLength(0);
  });
});

describe('QboClient failures without a usable answer', () => {
  it('turns a hung request into a retryable timeout', async () => {
    const { fetchImpl } = fakeFetch(
      (_sent, signal) =>
        new Promise<Response>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error));
        }),
    );
    const error = await client(fetchImpl, undefined, 50)
      .read('Customer', '7')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', status: 0, retryable: true });
  });

  it('turns a refused or cut connection into a retryable network error', async () => {
    const { fetchImpl } = fakeFetch(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      });
    });
    const error = await client(fetchImpl)
      .read('Customer', '7')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network', status: 0, retryable: true });
    expect((error as Error).message).toContain('other side closed');
  });

  it('reports a 200 that is not JSON, or fails its schema, as a non-retryable bad-response', async () => {
    const { fetchImpl } = fakeFetch(
      () => new Response('<html>maintenance</html>', { status: 200 }),
      json(200, { Customer: { ...customer, SyncToken: 3 } }),
      json(200, { Invoice: customer }),
      json(200, { QueryResponse: { Customer: [{ Id: 1 }] } }),
    );
    const qbo = client(fetchImpl);
    for (let index = 0; index < 4; index++) {
      const call = index < 3 ? qbo.read('Customer', '7') : qbo.query('select * from Customer');
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QboApiError);
      expect(error).toMatchObject({ kind: 'bad-response', retryable: false, status: 200 });
    }
  });

  it('classifies an XML fault even when it comes with a 200', async () => {
    const { fetchImpl } = fakeFetch(
      () =>
        new Response(
          '<IntuitResponse><Fault type="SystemFault"><Error code="10000"><Message>boom</Message></Error></Fault></IntuitResponse>',
          {
            status: 200,
            headers: { 'Content-Type': 'application/xml' },
          },
        ),
    );
    await expect(client(fetchImpl).read('Customer', '7')).rejects.toMatchObject({
      kind: 'server',
      code: '10000',
    });
  });

  it('refuses a batch of more than 30 items before sending anything', async () => {
    const { fetchImpl, sent } = fakeFetch(json(200, {}));
    const items = Array.from({ length: 31 }, (_, index) => ({
      bId: `b${index}`,
      operation: 'query' as const,
      query: 'select * from Term',
    }));
    await expect(client(fetchImpl).batch(items, 'batch-1')).rejects.toThrow(/at most 30 items; got 31/);
    expect(sent).toHaveLength(0);
  });
});

describe('QboClient responses', () => {
  it('reads an empty QueryResponse as no rows at the requested position', async () => {
    const { fetchImpl, sent } = fakeFetch(json(200, { QueryResponse: {}, time: 't' }));
    const page = await client(fetchImpl).query(
      "select * from customer where DisplayName = 'x' startposition 11",
    );
    expect(page).toEqual({ entity: 'Customer', rows: [], startPosition: 11, maxResults: 0 });
    expect(sent[0]!.url.searchParams.get('query')).toBe(
      "select * from customer where DisplayName = 'x' startposition 11",
    );
  });

  it("parses Intuit's documented CDC sample: records, deleted stubs, counts and the cursor time", async () => {
    const meta = { CreateTime: '2015-12-23T09:00:00-08:00', LastUpdatedTime: '2015-12-23T09:00:00-08:00' };
    const estimate = (Id: string) => ({ Id, SyncToken: '0', MetaData: meta, CustomerRef: { value: '1' } });
    // The [Doc] sample of facts §3, with Intuit's "..." placeholders filled in.
    const sample = {
      CDCResponse: [
        {
          QueryResponse: [
            {
              Customer: [
                { Id: '63', SyncToken: '0', DisplayName: 'A', MetaData: meta },
                { Id: '99', SyncToken: '2', DisplayName: 'B', MetaData: meta, Active: false },
              ],
              startPosition: 1,
              maxResults: 2,
            },
            {
              Estimate: [
                estimate('34'),
                estimate('123'),
                {
                  domain: 'QBO',
                  status: 'Deleted',
                  Id: '979',
                  MetaData: { LastUpdatedTime: '2015-12-23T12:55:50-08:00' },
                },
              ],
              startPosition: 1,
              maxResults: 3,
              totalCount: 5,
            },
          ],
        },
      ],
      time: '2015-12-23T10:00:01-07:00',
    };
    const { fetchImpl, sent } = fakeFetch(json(200, sample));
    const result = await client(fetchImpl).cdc(
      ['Customer', 'Estimate', 'Invoice'],
      new Date('2015-12-23T17:00:00.250Z'),
    );
    expect(sent[0]!.url.searchParams.get('entities')).toBe('Customer,Estimate,Invoice');
    expect(sent[0]!.url.searchParams.get('changedSince')).toBe('2015-12-23T17:00:00+00:00');
    expect(result.time).toBe('2015-12-23T10:00:01-07:00');
    expect(result.changes.Customer.records.map((c) => c.Id)).toEqual(['63', '99']);
    expect(result.changes.Customer).toMatchObject({ deleted: [], capped: false });
    expect(result.changes.Estimate.records.map((e) => e.Id)).toEqual(['34', '123']);
    expect(result.changes.Estimate.deleted).toEqual([
      { Id: '979', LastUpdatedTime: '2015-12-23T12:55:50-08:00' },
    ]);
    // totalCount 5 but only 3 returned: something is missing, the caller must narrow the window.
    expect(result.changes.Estimate).toMatchObject({ totalCount: 5, capped: true });
    expect(result.changes.Invoice).toEqual({ records: [], deleted: [], rejected: [], capped: false });
  });

  it("reads CDC's no-changes answer, and sets aside a malformed record instead of failing the poll", async () => {
    const { fetchImpl } = fakeFetch(
      json(200, { CDCResponse: [{ QueryResponse: [{}] }], time: '2015-12-23T12:36:51.763-08:00' }),
      json(200, {
        CDCResponse: [
          {
            QueryResponse: [
              { Customer: [{ Id: '5', SyncToken: 1, DisplayName: 'Bad' }, { ...customer }], maxResults: 2 },
            ],
          },
        ],
        time: 't2',
      }),
    );
    const qbo = client(fetchImpl);
    const none = await qbo.cdc(['Customer'], new Date());
    expect(none).toEqual({
      time: '2015-12-23T12:36:51.763-08:00',
      changes: { Customer: { records: [], deleted: [], rejected: [], capped: false } },
    });
    const some = await qbo.cdc(['Customer'], new Date());
    expect(some.changes.Customer.records.map((c) => c.Id)).toEqual(['7']);
    expect(some.changes.Customer.rejected).toEqual([
      { Id: '5', problem: expect.stringContaining('SyncToken') },
    ]);
  });
});

describe('QboClient reports each request for metrics, without realm, ids or tokens', () => {
  const duplicateName = {
    Fault: {
      Error: [
        { Message: 'Duplicate Name Exists Error', Detail: 'The name supplied already exists.', code: '6240' },
      ],
      type: 'ValidationFault',
    },
  };

  it('names the path without ids, and the outcome: ok, or the error kind with its Fault code', async () => {
    const samples: QboRequestSample[] = [];
    const { fetchImpl } = fakeFetch(json(200, { Customer: customer }), json(400, duplicateName));
    const qbo = new QboClient({
      baseUrl: 'https://qbo.example/',
      realmId: '9130350000000001',
      tokens: tokens().source,
      fetch: fetchImpl,
      onRequest: (sample) => samples.push(sample),
    });
    await qbo.read('Customer', '7');
    await expect(qbo.read('Customer', '8')).rejects.toBeInstanceOf(QboApiError);
    expect(samples).toEqual([
      { method: 'GET', path: '/customer/:id', outcome: 'ok', durationMs: expect.any(Number) },
      {
        method: 'GET',
        path: '/customer/:id',
        outcome: 'duplicate-name',
        faultCode: '6240',
        durationMs: expect.any(Number),
      },
    ]);
    expect(JSON.stringify(samples)).not.toMatch(/9130350000000001|token-1/);
  });

  it('counts a request replayed after a 401 once, with both attempts on the wire', async () => {
    const samples: QboRequestSample[] = [];
    const { fetchImpl, sent } = fakeFetch(json(401, gateway401), json(200, { Customer: customer }));
    const qbo = new QboClient({
      baseUrl: 'https://qbo.example/',
      realmId: '9130350000000001',
      tokens: tokens().source,
      fetch: fetchImpl,
      onRequest: (sample) => samples.push(sample),
    });
    await qbo.read('Customer', '7');
    expect(sent).toHaveLength(2);
    expect(samples).toEqual([expect.objectContaining({ path: '/customer/:id', outcome: 'ok' })]);
  });
});
