import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { startTracing, type Tracing } from '../../src/observability/tracing';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { linkOf } from '../support/contacts';
import { eventually } from '../support/env';

const describeSpan = (span: ReadableSpan) => ({
  name: span.name,
  kind: SpanKind[span.kind],
  traceId: span.spanContext().traceId,
  url: span.attributes['url.full'] ?? span.attributes['http.target'],
});

describe('tracing: one contact PUT is one trace, from the API request to the QBO call', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let harness: ApiHarness;
  const apiLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // The API, the worker (activities in-process, workflows through their sink) and the emulator share it.
    tracing = startTracing({ serviceName: 'api', exporter });
    const log = pino({ level: 'info' }, { write: (line: string) => void apiLines.push(JSON.parse(line)) });
    harness = await startApiHarness({ tracing, log });
  });
  afterAll(async () => {
    await harness?.close();
    await tracing?.shutdown();
  });

  it('joins the request, the signal, the workflow, the push activity and its QBO write in one trace', async () => {
    const connection = await harness.connect(harness.account, { backfill: false });
    // The API's log says so, with what an ops person searches by, and none of the grant.
    expect(apiLines.find((line) => line.msg === 'QuickBooks company connected')).toMatchObject({
      level: 30,
      connectionId: connection.id,
      realmId: connection.realmId,
      accountId: harness.account.id,
    });
    expect(JSON.stringify(apiLines)).not.toMatch(/Bearer (?!\[redacted\])|"(access|refresh)_?token"/i);
    const crmContactId = 'crm-traced';

    const put = await harness.request('PUT', `/v1/contacts/${crmContactId}`, {
      body: {
        updatedAt: new Date().toISOString(),
        fields: { displayName: 'Traced Person', email: 'traced@example.com' },
      },
    });
    expect(put.status).toBe(202);
    await eventually(
      () => linkOf(harness.db.mongoose.connection, connection.id, crmContactId),
      (link) => link !== null,
      20_000,
      'the push to link the contact to a new QBO customer',
    );

    // The CRM's call (this test's fetch, traced like any other) starts the trace; the API's request span follows.
    const call = exporter
      .getFinishedSpans()
      .find(
        (span) =>
          span.kind === SpanKind.CLIENT &&
          span.attributes['url.full'] === `${harness.url}/v1/contacts/${crmContactId}`,
      );
    expect(call).toBeDefined();
    const traceId = call!.spanContext().traceId;
    const customerCreate = `/v3/company/${connection.realmId}/customer`;
    // Workflow spans leave the sandbox after their task completes: wait until the whole chain has arrived.
    const trace = await eventually(
      () =>
        Promise.resolve(exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId)),
      (spans) =>
        spans.some((span) => span.name === 'StartActivity:pushContact') &&
        spans.some(
          (span) =>
            span.kind === SpanKind.CLIENT && String(span.attributes['url.full']).includes(customerCreate),
        ),
      20_000,
      'the spans of the PUT, down to the QBO call',
    );
    expect(trace.map((span) => span.name)).toEqual(
      expect.arrayContaining([
        'SignalWorkflow:contactsChanged',
        'HandleSignal:contactsChanged',
        'StartActivity:pushContact',
        'RunActivity:pushContact',
      ]),
    );
    // The QBO call as the worker made it, and as the emulator answered it: the context crossed the wire.
    const qboCall = trace.find(
      (span) => span.kind === SpanKind.CLIENT && String(span.attributes['url.full']).includes(customerCreate),
    );
    expect(qboCall?.attributes['http.request.method']).toBe('POST');
    expect(
      trace.some(
        (span) =>
          span.kind === SpanKind.SERVER && String(span.attributes['http.target']).startsWith(customerCreate),
      ),
    ).toBe(true);

    // Connected: one root, the CRM's call, and every other span hangs from a span of the same trace.
    const ids = new Set(trace.map((span) => span.spanContext().spanId));
    const roots = trace.filter((span) => !ids.has(span.parentSpanId ?? ''));
    expect(roots.map(describeSpan)).toEqual([describeSpan(call!)]);
    const request = trace.find(
      (span) =>
        span.kind === SpanKind.SERVER && span.attributes['http.target'] === `/v1/contacts/${crmContactId}`,
    );
    expect(request?.parentSpanId).toBe(call!.spanContext().spanId);
    // And the push belongs to this PUT only: no other trace has a push activity for it.
    const pushes = exporter.getFinishedSpans().filter((span) => span.name === 'RunActivity:pushContact');
    expect(pushes.map(describeSpan)).toEqual([expect.objectContaining({ traceId })]);
  });
});
