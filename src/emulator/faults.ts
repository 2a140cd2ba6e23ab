/**
 * QBO's error bodies, as Intuit's services send them (sources in docs/emulator.md):
 * - the API's own `Fault` envelope with PascalCase keys (`Error[]` of `Message`, `Detail`, `code`, `element`);
 * - the gateway's lower-case JSON envelope for authentication, authorization and throttling;
 * - the XML forms some of those still arrive in, even when JSON was asked for.
 */
import { escapeXml } from './xml';

export type FaultType = 'ValidationFault' | 'SystemFault' | 'AuthenticationFault' | 'AuthorizationFault';

export interface FaultError {
  Message: string;
  Detail: string;
  code: string;
  element: string;
}

/** An API fault: thrown by entity rules, turned into a response (or a batch item) by the router. */
export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly type: FaultType,
    readonly errors: FaultError[],
  ) {
    super(errors.map((error) => `${error.code} ${error.Message}: ${error.Detail}`).join('; '));
    this.name = 'QboFault';
  }

  body(): { Fault: { Error: FaultError[]; type: FaultType } } {
    return { Fault: { Error: this.errors, type: this.type } };
  }
}

function validation(code: string, message: string, detail: string, element = ''): QboFault {
  return new QboFault(400, 'ValidationFault', [{ Message: message, Detail: detail, code, element }]);
}

const inactiveHint =
  "Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.";

export const fault = {
  objectNotFound: (detail = `Object Not Found : ${inactiveHint}`, element = '') =>
    validation('610', 'Object Not Found', detail, element),
  invalidReference: (element: string) =>
    validation('2500', 'Invalid Reference Id', `Invalid Reference Id : ${inactiveHint}`, element),
  requiredParam: (element: string) =>
    validation(
      '2020',
      'Required param missing, need to supply the required value for the API',
      `Required parameter ${element} is missing in the request`,
      element,
    ),
  stringLength: (element: string, max: number) =>
    validation(
      '2050',
      'String length is either shorter or longer than supported by specification',
      `String length specified does not match the supported length. Min:0 Max:${max} supported. Element: ${element}`,
      element,
    ),
  invalidEnumeration: (element: string, value: string) =>
    validation('2170', 'Invalid Enumeration', `Invalid Enumeration : ${value}`, element),
  invalidEmail: (element: string) =>
    validation(
      '2210',
      'Email Address does not conform to the syntax rules of RFC 822',
      'Email Address does not conform to the syntax rules of RFC 822. Supplied value:',
      element,
    ),
  queryParse: (detail: string) => validation('4000', 'Error parsing query', detail),
  queryInvalid: (detail: string) => validation('4001', 'Invalid query', detail),
  staleObject: () =>
    validation(
      '5010',
      'Stale Object Error',
      'Stale Object Error : You and API API were working on this at the same time. API API finished before you did, so your work was not saved.',
    ),
  businessValidation: (detail: string, element = '') =>
    validation(
      '6000',
      'A business validation error has occurred while processing your request',
      `Business Validation Error: ${detail}`,
      element,
    ),
  amountCalculation: (element: string, supplied: number) =>
    validation(
      '6070',
      'Amount calculation incorrect in the request.',
      `Amount is not equal to UnitPrice * Qty. Supplied value:${supplied}`,
      element,
    ),
  listHasBalance: () =>
    validation(
      '6000',
      'Delete List Has Balance Error',
      'The entity you are trying to delete has an open balance. : This customer cannot be deleted because it has a non-zero balance',
      'Active',
    ),
  noNameProvided: () =>
    validation(
      '6080',
      'No Name Provided',
      'Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must be non-empty.',
    ),
  duplicateDocNumber: (docNumber: string) =>
    validation(
      '6140',
      'Duplicate Doc Num',
      `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber}`,
    ),
  duplicateName: () =>
    validation(
      '6240',
      'Duplicate Name Exists Error',
      'The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.',
    ),
  unsupportedOperation: (detail: string) => validation('500', 'Unsupported Operation', detail),
  unrecognizedField: (entity: string, field: string) =>
    validation(
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:Unrecognized field "${field}" (class com.intuit.schema.finance.v3.${entity}), not marked as ignorable specified`,
      field,
    ),
  unparsableBody: () =>
    validation(
      '2010',
      'Request has invalid or unsupported property',
      'Property Name:failed to parse json object; a property specified is unsupported or invalid',
    ),
  invalidValue: (element: string, detail: string) =>
    validation(
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:${element} specified is unsupported or invalid. ${detail}`,
      element,
    ),
  systemFault: () =>
    new QboFault(500, 'SystemFault', [
      {
        Message: 'An application error has occurred while processing your request',
        Detail: 'System Failure Error: An unexpected error occurred while accessing or saving your data.',
        code: '10000',
        element: '',
      },
    ]),
};

/** What the API gateway in front of QBO answers before a request reaches the service. */
export type GatewayError = 'authentication' | 'authorization' | 'throttled';

const gatewayCodes: Record<GatewayError, { status: number; code: string; name: string; type: string }> = {
  authentication: { status: 401, code: '3200', name: 'AuthenticationFailed', type: 'AUTHENTICATION' },
  authorization: { status: 403, code: '3100', name: 'AuthorizationFailed', type: 'SERVICE' },
  throttled: { status: 429, code: '3001', name: 'ThrottleExceeded', type: 'SERVICE' },
};

export interface RenderedError {
  status: number;
  contentType: string;
  body: string;
}

/** The gateway's lower-case JSON envelope, or the XML Intuit also sends for these (an opt-in fault mode). */
export function gatewayError(
  kind: GatewayError,
  detail: string | null,
  time: Date,
  xml = false,
): RenderedError {
  const { status, code, name, type } = gatewayCodes[kind];
  const message = `message=${name}; errorCode=00${code}; statusCode=${status}`;
  if (xml) {
    // Intuit's XML for an expired token is an AuthenticationFault with code 100, not the gateway's 3200.
    const [xmlType, xmlCode, xmlMessage, xmlDetail] =
      kind === 'authentication'
        ? [
            'AuthenticationFault',
            '100',
            'General Authentication Error',
            'AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401',
          ]
        : ['SERVICE', code, message, detail ?? ''];
    return {
      status,
      contentType: 'application/xml;charset=UTF-8',
      body:
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse time="${time.toISOString()}" ` +
        `xmlns="http://schema.intuit.com/finance/v3"><Fault type="${xmlType}"><Error code="${xmlCode}">` +
        `<Message>${escapeXml(xmlMessage)}</Message><Detail>${escapeXml(xmlDetail)}</Detail></Error></Fault></IntuitResponse>`,
    };
  }
  const envelope = {
    warnings: null,
    intuitObject: null,
    fault: { error: [{ message, detail, code, element: null }], type },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: time.getTime(),
    status: null,
    cdcresponse: [],
  };
  return { status, contentType: 'application/json;charset=UTF-8', body: JSON.stringify(envelope) };
}

/** The API Fault as XML, for the fault mode that mimics services answering XML despite `Accept: application/json`. */
export function faultXml(fault: QboFault, time: Date): string {
  const errors = fault.errors
    .map(
      (error) =>
        `<Error code="${escapeXml(error.code)}" element="${escapeXml(error.element)}"><Message>${escapeXml(error.Message)}</Message>` +
        `<Detail>${escapeXml(error.Detail)}</Detail></Error>`,
    )
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" ` +
    `time="${time.toISOString()}"><Fault type="${fault.type}">${errors}</Fault></IntuitResponse>`
  );
}
