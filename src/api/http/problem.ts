import { z } from 'zod';

/**
 * One error format for every route: RFC 9457 problem details, plus a stable machine `code`, the offending `field`
 * when there is one, and every validation issue in `errors`. Modelled on Stripe's errors: one code per cause.
 */
export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the problem kind; the docs anchor for `code`.'),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('Stable machine-readable cause, e.g. `validation_failed`.'),
    detail: z.string(),
    field: z.string().optional().describe('The request field at fault, as a dotted path.'),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Every validation issue found, not just the first.'),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * Every problem code the API answers with, and its status: the table in docs/api.md. Each route's OpenAPI entry
 * documents the statuses of the codes it may answer, so a client (or a fuzzer) knows every status to expect.
 */
export const problemCodes = {
  validation_failed: 400,
  bad_request: 400,
  invalid_json: 400,
  invalid_cursor: 400,
  connection_required: 400,
  invalid_state: 400,
  state_expired: 400,
  authorization_denied: 400,
  invalid_code: 400,
  authentication_required: 401,
  invalid_api_key: 401,
  invalid_session: 401,
  invalid_sign_in_token: 401,
  csrf_rejected: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  state_used: 409,
  no_connection: 409,
  connection_inactive: 409,
  connection_paused: 409,
  backfill_running: 409,
  stale_contact: 409,
  customer_already_linked: 409,
  no_webhook_endpoint: 409,
  idempotency_conflict: 409,
  conflict_resolved: 409,
  follow_up_closed: 409,
  document_exists: 409,
  document_busy: 409,
  document_not_written: 409,
  estimate_not_convertible: 409,
  already_undone: 409,
  undo_conflict: 409,
  preview_outdated: 409,
  preview_busy: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  customer_not_found: 422,
  customer_not_synced: 422,
  product_not_found: 422,
  custom_field_not_found: 422,
  invalid_custom_field: 422,
  product_ambiguous: 422,
  product_unavailable: 422,
  invalid_reference: 422,
  invalid_tax_code: 422,
  tax_code_required: 422,
  currency_mismatch: 422,
  books_closed: 422,
  invalid_amount: 422,
  qbo_rejected: 422,
  not_undoable: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  token_exchange_failed: 502,
  sync_unavailable: 503,
  qbo_unavailable: 503,
  database_unavailable: 503,
} as const satisfies Record<string, number>;

export type ProblemCode = keyof typeof problemCodes;

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly field?: string,
    readonly errors?: { field: string; message: string }[],
    /** Extra response headers, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }

  toJSON(requestId?: string): Problem {
    return {
      type: `https://github.com/qbo-sync/qbo-sync/blob/main/docs/api.md#${this.code}`,
      title: titles[this.status] ?? (this.status >= 500 ? 'Server Error' : 'Client Error'),
      status: this.status,
      code: this.code,
      detail: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...(requestId ? { requestId } : {}),
    };
  }
}

export const notFound = (what: string, id: string): ApiProblem =>
  new ApiProblem(404, 'not_found', `No ${what} ${id} in this account.`);

/** A 400 for request fields that are well-formed but not acceptable, each with the reason. */
export function invalidFields(errors: { field: string; message: string }[]): ApiProblem {
  return new ApiProblem(
    400,
    'validation_failed',
    errors.map(({ field, message }) => `${field}: ${message}`).join('; '),
    errors[0]?.field,
    errors,
  );
}

/** Optional, nullable and defaulted fields wrap the schema that carries the shape. */
function unwrapped(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as { innerType?: z.ZodType };
  return def.innerType ? unwrapped(def.innerType) : schema;
}

/** The description of the field at `path` in `schema`, which tells a caller what a missing field is for. */
function fieldDescription(schema: z.ZodType, path: readonly PropertyKey[]): string | undefined {
  let field: z.ZodType | undefined = schema;
  for (const key of path) {
    const holder: z.ZodType = unwrapped(field);
    field =
      holder instanceof z.ZodObject && typeof key === 'string'
        ? (holder.shape as Record<string, z.ZodType | undefined>)[key]
        : undefined;
    if (field === undefined) return undefined;
  }
  return field.description ?? unwrapped(field).description;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (holder, key) =>
      holder !== null && typeof holder === 'object'
        ? (holder as Record<PropertyKey, unknown>)[key]
        : undefined,
    value,
  );
}

/**
 * Turns zod issues into a 400 that names every offending field; `location` is `body`, `query` or `path`. Given the
 * request's value and its schema, a missing field is reported as required, with its description as the hint.
 */
export function validationProblem(
  location: string,
  error: z.ZodError,
  request?: { value: unknown; schema: z.ZodType },
): ApiProblem {
  const errors = error.issues.flatMap((issue) => {
    const base = [location, ...issue.path.map(String)].join('.');
    // An unknown key is reported on the key itself, so the caller sees exactly which field to drop.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: `${base}.${key}`, message: 'is not a known field' }));
    if (request && issue.code === 'invalid_type' && valueAt(request.value, issue.path) === undefined) {
      const hint = fieldDescription(request.schema, issue.path);
      return [{ field: base, message: hint ? `is required (${hint})` : 'is required' }];
    }
    return [{ field: base, message: issue.message }];
  });
  const first = errors[0]!;
  return new ApiProblem(
    400,
    'validation_failed',
    errors.map((entry) => `${entry.field}: ${entry.message}`).join('; '),
    first.field,
    errors,
  );
}
