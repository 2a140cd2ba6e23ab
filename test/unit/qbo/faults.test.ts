import { classifyFault, kindOf, parseRetryAfter, QboApiError } from '../../../src/qbo';

/**
 * Real QBO error bodies, copied verbatim from shared/research/qbo-api-facts.md §2.3, §4.2, §4.5 and §5 (each with
 * its source there). Where the facts file quotes only an `Error` item or a truncated XML fragment, the smallest
 * envelope around it is added and marked.
 */
const samples = {
  // §4.2, python-quickbooks #127: the Error item verbatim, in the §4.3 Fault envelope (HTTP 400).
  staleObject: JSON.stringify({
    Fault: {
      Error: [
        {
          Message: 'Stale Object Error',
          Detail:
            'Stale Object Error : You and API API were working on this at the same time. API API finished before you did, so your work was not saved.',
          code: '5010',
          element: '',
        },
      ],
      type: 'ValidationFault',
    },
  }),
  // §4.5, QuickBooks-V3-PHP-SDK #241: XML (the facts file truncates after </Detail>; the closing tags are added).
  duplicateNameXml:
    '<Fault type="ValidationFault"><Error code="6240" element=""><Message>Duplicate Name Exists Error</Message><Detail>The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.</Detail></Error></Fault>',
  // §4.5, the Batch reference's JSON item, verbatim.
  duplicateNameBatchItem:
    '{"Fault":{"type":"ValidationFault","Error":[{"Message":"Duplicate Name Exists Error","code":"6240","Detail":"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.","element":""}]},"bId":"bid1"}',
  // §4.5, Batch reference: the Error item's fields verbatim, in the Fault envelope.
  objectNotFound:
    '{"Fault":{"Error":[{"Message":"Object Not Found","code":"610","Detail":"Object Not Found : Something you\'re trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees."}],"type":"ValidationFault"}}',
  // §4.5, QuickBooks-V3-PHP-SDK #95, verbatim.
  invalidReference:
    '{"Fault":{"Error":[{"Message":"Invalid Reference Id","Detail":"Invalid Reference Id : Something you\'re trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.","code":"2500","element":""}],"type":"ValidationFault"},"time":"2017-11-23T08:05:18.937-08:00"}',
  // §2.3, QuickBooks-V3-PHP-SDK #8, verbatim.
  queryParse:
    '{"Fault":{"Error":[{"Message":"Error parsing query","Detail":"\\nQueryParserError: The query provided was empty","code":"4000"}],"type":"ValidationFault"},"time":"2017-04-18T06:05:13.189-07:00"}',
  // §4.5, python-quickbooks #250, verbatim: the gateway's lower-case envelope.
  gateway401:
    '{"warnings":null,"intuitObject":null,"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Malformed bearer token: too short or too long","code":"3200","element":null}],"type":"AUTHENTICATION"},"report":null,"queryResponse":null,"batchItemResponse":[],"attachableResponse":[],"syncErrorResponse":null,"requestId":null,"time":1633520295688,"status":null,"cdcresponse":[]}',
  // §4.5, node-quickbooks #154, verbatim.
  gateway403:
    '{"fault":{"error":[{"message":"message=AuthorizationFailed; errorCode=003100; statusCode=403","detail":null,"code":"3100","element":null}],"type":"SERVICE"}}',
  // §5, beanworks/quickbooks-online-v3-sdk #6 and quickbooks-ruby #348, verbatim.
  throttledXml: `<IntuitResponse time="2017-07-30T22:45:22.933-07:00" xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE"><Error code="3001">
    <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
    <Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>`,
  // §4.5, oauth-jsclient #135, verbatim.
  authenticationXml:
    '<Fault type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message><Detail>AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401</Detail></Error></Fault>',
  // §4.5, QuickBooks-V3-PHP-SDK #445: the Error element verbatim, in a Fault.
  amountXml:
    '<Fault type="ValidationFault"><Error code="6070" element="Line.Amount"><Message>Amount calculation incorrect in the request.</Message><Detail>Amount is not equal to UnitPrice * Qty. Supplied value:58</Detail></Error></Fault>',
  // A load balancer's page, as the emulator's injected 503s are (no QBO body at all).
  html503:
    '<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>Back soon.</p></body></html>',
};

describe('classifyFault on real QBO payloads', () => {
  it('5010 stale object: not retryable as-is, the caller re-reads and re-merges', () => {
    const error = classifyFault(400, samples.staleObject, {});
    expect(error).toBeInstanceOf(QboApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      kind: 'stale-object',
      status: 400,
      code: '5010',
      faultType: 'ValidationFault',
      retryable: false,
      detail: expect.stringContaining('You and API API were working on this at the same time'),
    });
    // An empty element means "no field": it is not reported as "".
    expect(error.element).toBeUndefined();
    expect(error.message).toContain('5010');
    expect(error.message).toContain('Stale Object Error');
  });

  it('6240 duplicate name, in XML and as a batch item in JSON', () => {
    for (const body of [samples.duplicateNameXml, samples.duplicateNameBatchItem]) {
      const error = classifyFault(400, body, {});
      expect(error).toMatchObject({
        kind: 'duplicate-name',
        code: '6240',
        faultType: 'ValidationFault',
        retryable: false,
        detail:
          'The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.',
      });
      expect(error.errors[0]?.message).toBe('Duplicate Name Exists Error');
    }
  });

  it('610 object not found and 2500 invalid reference', () => {
    expect(classifyFault(400, samples.objectNotFound, {})).toMatchObject({
      kind: 'not-found',
      code: '610',
      retryable: false,
    });
    expect(classifyFault(400, samples.invalidReference, {})).toMatchObject({
      kind: 'invalid-reference',
      code: '2500',
      retryable: false,
      detail: expect.stringContaining('Invalid Reference Id : '),
    });
  });

  it('4000 query parse error is a validation error with the parser detail', () => {
    const error = classifyFault(400, samples.queryParse, {});
    expect(error).toMatchObject({ kind: 'validation', code: '4000', retryable: false });
    expect(error.detail).toContain('QueryParserError: The query provided was empty');
  });

  it('the gateway 401 with lower-case keys (3200) is unauthorized', () => {
    const error = classifyFault(401, samples.gateway401, { intuit_tid: '1-abc' });
    expect(error).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      code: '3200',
      faultType: 'AUTHENTICATION',
      detail: 'Malformed bearer token: too short or too long',
      retryable: false,
      intuitTid: '1-abc',
    });
    expect(error.element).toBeUndefined();
  });

  it('the gateway 403 (3100) is forbidden, with no detail', () => {
    const error = classifyFault(403, samples.gateway403, {});
    expect(error).toMatchObject({ kind: 'forbidden', code: '3100', faultType: 'SERVICE', retryable: false });
    expect(error.detail).toBeUndefined();
    expect(error.message).toContain('AuthorizationFailed');
  });

  it('the XML 429 (3001) is throttled and retryable, with Retry-After when sent', () => {
    const error = classifyFault(429, samples.throttledXml, new Headers({ 'Retry-After': '7' }));
    expect(error).toMatchObject({
      kind: 'throttled',
      status: 429,
      code: '3001',
      faultType: 'SERVICE',
      retryable: true,
      retryAfterMs: 7000,
      detail: 'The request limit was reached.  Try again later',
    });
    expect(error.errors[0]?.message).toBe('message=ThrottleExceeded; errorCode=003001; statusCode=429');
    // Without the header (Intuit documents none), there is no delay to report: the caller backs off.
    expect(classifyFault(429, samples.throttledXml, {}).retryAfterMs).toBeUndefined();
  });

  it('pre-2017 throttling (3001 with HTTP 403) is throttled, not forbidden: the code decides', () => {
    const old = samples.throttledXml.replace('statusCode=429', 'statusCode=403');
    expect(classifyFault(403, old, {})).toMatchObject({ kind: 'throttled', retryable: true });
  });

  it('the XML AuthenticationFault (code 100) is unauthorized', () => {
    expect(classifyFault(401, samples.authenticationXml, {})).toMatchObject({
      kind: 'unauthorized',
      code: '100',
      faultType: 'AuthenticationFault',
      detail: 'AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401',
    });
  });

  it('an XML element attribute is kept (6070 on Line.Amount) and the kind is validation', () => {
    expect(classifyFault(400, samples.amountXml, {})).toMatchObject({
      kind: 'validation',
      code: '6070',
      element: 'Line.Amount',
      detail: 'Amount is not equal to UnitPrice * Qty. Supplied value:58',
    });
  });

  it('an HTML 503 page is a retryable server error named by its title', () => {
    const error = classifyFault(503, samples.html503, { 'content-type': 'text/html' });
    expect(error).toMatchObject({ kind: 'server', status: 503, retryable: true });
    expect(error.code).toBeUndefined();
    expect(error.message).toContain('503 Service Unavailable');
  });

  it('a SystemFault 10000 is a server error even without a 5xx status', () => {
    const body = JSON.stringify({
      Fault: {
        Error: [{ Message: 'An application error has occurred', Detail: 'x', code: '10000', element: '' }],
        type: 'SystemFault',
      },
    });
    expect(classifyFault(200, body, {})).toMatchObject({ kind: 'server', retryable: true });
  });

  it('6140 duplicate doc number, and an empty or unparsable body falls back on the status', () => {
    const docNumber = JSON.stringify({
      Fault: {
        Error: [{ Message: 'Duplicate Doc Num', Detail: 'd', code: '6140' }],
        type: 'ValidationFault',
      },
    });
    expect(classifyFault(400, docNumber, {}).kind).toBe('duplicate-doc-number');
    expect(classifyFault(502, '', {})).toMatchObject({ kind: 'server', retryable: true });
    expect(classifyFault(404, 'Not Found', {})).toMatchObject({ kind: 'not-found', retryable: false });
    expect(classifyFault(400, '{not json', {})).toMatchObject({ kind: 'validation' });
  });

  it('decodes XML entities in messages', () => {
    const xml =
      '<Fault type="ValidationFault"><Error code="6000" element="DisplayName"><Message>A &amp; B &lt;x&gt; &#39;q&#x27;</Message></Error></Fault>';
    expect(classifyFault(400, xml, {}).errors[0]?.message).toBe("A & B <x> 'q'");
  });
});

describe('kindOf', () => {
  it.each([
    [400, '5010', 'stale-object'],
    [400, '6240', 'duplicate-name'],
    [400, '6140', 'duplicate-doc-number'],
    [400, '610', 'not-found'],
    [400, '2500', 'invalid-reference'],
    [400, '2020', 'validation'],
    [400, '500', 'validation'],
    [429, undefined, 'throttled'],
    [401, '120', 'forbidden'],
    [500, undefined, 'server'],
    [504, undefined, 'server'],
  ] as const)('HTTP %i code %s → %s', (status, code, kind) => {
    expect(kindOf(status, code)).toBe(kind);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-02T17:00:00Z');
  it('reads delta-seconds and HTTP dates, never negative', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 17:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 16:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('is applied from the headers by classifyFault', () => {
    const error = classifyFault(503, '', { 'Retry-After': 'Mon, 02 Mar 2026 17:00:05 GMT' }, now);
    expect(error.retryAfterMs).toBe(5000);
  });
});
