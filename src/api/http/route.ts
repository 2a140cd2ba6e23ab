import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  ApiProblem,
  invalidFields,
  problemCodes,
  problemSchema,
  validationProblem,
  type ProblemCode,
} from './problem';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Per route rather than app-wide, so that the Intuit webhook route still sees its raw bytes. */
const defaultBodyLimit = '100kb';
const jsonParsers = new Map<string, ReturnType<typeof express.json>>();
function jsonBody(limit: string): ReturnType<typeof express.json> {
  let parser = jsonParsers.get(limit);
  if (!parser) jsonParsers.set(limit, (parser = express.json({ limit })));
  return parser;
}
type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface AuthContext {
  accountId: string;
  keyId: string;
  /** Set when the request was authenticated by a console session's cookie rather than an API key. */
  session?: { id: string; csrfToken: string; expiresAt: Date };
}

export interface HandlerInput<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
  /** Set on every route with `auth: 'apiKey'` (the default). */
  auth: AuthContext;
  req: Request;
  res: Response;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A redirect instead of a JSON body (the OAuth callback). */
  redirect?: string;
  /** Bytes instead of a JSON body, of the media type its response declares (a PDF). */
  bytes?: { contentType: string; data: Buffer };
}

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: Method;
  /** OpenAPI form: `/v1/contacts/{crmContactId}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth?: 'apiKey' | 'none';
  params?: P;
  query?: Q;
  body?: B;
  /** POSTs that create things accept an `Idempotency-Key`. */
  idempotent?: boolean;
  /** The largest body the route reads (body-parser's notation); 100 kB unless a route takes batches. */
  bodyLimit?: string;
  /** Success responses; problem responses are documented from `problems`. */
  responses: Record<
    number,
    {
      description: string;
      schema?: z.ZodType;
      redirect?: true;
      /** A binary body's media type. */ media?: string;
    }
  >;
  /**
   * The problems this route may answer besides those every route may (`validation_failed`, `not_found`,
   * `internal_error`, `database_unavailable`; with an API key or session `authentication_required`,
   * `invalid_api_key`, `invalid_session`, `csrf_rejected` and `rate_limited`; with a body `invalid_json` and `body_too_large`; when idempotent `idempotency_conflict` and
   * `idempotency_key_reused`). The OpenAPI document lists each status with its codes.
   */
  problems?: ProblemCode[];
  handler(input: HandlerInput<P, Q, B>): Promise<Reply>;
}

export interface RouteMiddleware {
  authenticate(req: Request): Promise<AuthContext>;
  rateLimit(auth: AuthContext, res: Response): void;
  idempotency<T extends Reply>(
    auth: AuthContext,
    req: Request,
    run: () => Promise<T>,
  ): Promise<Reply & { replayed?: boolean }>;
}

/** Every problem code a route may answer, grouped by status, each status described by its codes. */
function problemResponses(
  spec: Pick<RouteSpec<AnyObject, AnyObject, z.ZodType>, 'method' | 'idempotent' | 'problems' | 'body'>,
  secured: boolean,
): Record<string, { description: string; content: { 'application/problem+json': { schema: z.ZodType } } }> {
  const codes = new Set<ProblemCode>([
    'validation_failed',
    'not_found',
    'internal_error',
    'database_unavailable',
  ]);
  if (secured)
    for (const code of [
      'authentication_required',
      'invalid_api_key',
      'invalid_session',
      'csrf_rejected',
      'rate_limited',
    ] as const)
      codes.add(code);
  if (spec.method !== 'get' && spec.method !== 'delete') {
    codes.add('invalid_json');
    codes.add('body_too_large');
  }
  if (spec.body) codes.add('unsupported_media_type');
  if (spec.idempotent && secured) {
    codes.add('idempotency_conflict');
    codes.add('idempotency_key_reused');
  }
  for (const code of spec.problems ?? []) codes.add(code);
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes)
    byStatus.set(problemCodes[code], [...(byStatus.get(problemCodes[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, found]) => [
        String(status),
        {
          description: `Problem JSON; \`code\` is ${found.map((code) => `\`${code}\``).join(' or ')} (see docs/api.md).`,
          content: { 'application/problem+json': { schema: problemSchema } },
        },
      ]),
  );
}

/**
 * Routes declared once, as zod schemas: the same declaration validates requests (unknown fields rejected),
 * documents the route in OpenAPI, and, when `validateResponses` is on (tests, development), checks every response
 * against the documented schema so the spec cannot drift from what the code sends.
 */
export class ApiRoutes {
  readonly registry = new OpenAPIRegistry();
  readonly router: Router = express.Router();
  readonly declared: { method: Method; path: string }[] = [];

  constructor(
    private readonly middleware: RouteMiddleware,
    private readonly options: { validateResponses: boolean },
  ) {
    this.registry.registerComponent('securitySchemes', 'apiKey', {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key of the CRM account: `Authorization: Bearer qbs_…`.',
    });
    this.registry.registerComponent('securitySchemes', 'session', {
      type: 'apiKey',
      in: 'cookie',
      name: 'qbs_session',
      description:
        'A console session from `POST /v1/sessions`. Same-origin pages only; requests other than GET must send ' +
        'the session’s CSRF token in `X-CSRF-Token`.',
    });
  }

  add<P extends AnyObject, Q extends AnyObject, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): void {
    const secured = (spec.auth ?? 'apiKey') === 'apiKey';
    this.declared.push({ method: spec.method, path: spec.path });
    this.registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      ...(secured ? { security: [{ apiKey: [] }, { session: [] }] } : {}),
      request: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.query ? { query: spec.query } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
        ...(spec.idempotent
          ? {
              headers: z.object({
                'Idempotency-Key': z
                  .string()
                  .min(1)
                  .max(255)
                  .optional()
                  .describe('Repeat a request safely: the same key returns the first response.'),
              }),
            }
          : {}),
      },
      responses: {
        ...Object.fromEntries(
          Object.entries(spec.responses).map(([status, response]) => [
            status,
            {
              description: response.description,
              ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
              ...(response.media
                ? { content: { [response.media]: { schema: z.string().meta({ format: 'binary' }) } } }
                : {}),
            },
          ]),
        ),
        ...problemResponses(spec, secured),
      },
    });

    const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    this.router[spec.method](
      expressPath,
      jsonBody(spec.bodyLimit ?? defaultBodyLimit),
      async (req, res, next) => {
        try {
          const auth = secured ? await this.middleware.authenticate(req) : { accountId: '', keyId: '' };
          if (secured) this.middleware.rateLimit(auth, res);
          if (spec.body) requireJsonBody(req);
          const input = {
            params: parse('path', spec.params, req.params),
            query: parse('query', spec.query, req.query),
            body: parse('body', spec.body, req.body, spec.method !== 'get' && spec.method !== 'delete'),
            auth,
            req,
            res,
          } as HandlerInput<P, Q, B>;
          const run = async (): Promise<Reply> => this.checked(spec, await spec.handler(input));
          const reply =
            spec.idempotent && secured ? await this.middleware.idempotency(auth, req, run) : await run();
          for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
          if (reply.redirect) return void res.redirect(reply.status, reply.redirect);
          if (reply.bytes)
            return void res.status(reply.status).type(reply.bytes.contentType).send(reply.bytes.data);
          if (reply.body === undefined) return void res.status(reply.status).end();
          res.status(reply.status).json(reply.body);
        } catch (error) {
          next(error);
        }
      },
    );
  }

  private checked<P extends AnyObject, Q extends AnyObject, B extends z.ZodType>(
    spec: RouteSpec<P, Q, B>,
    reply: Reply,
  ): Reply {
    if (!this.options.validateResponses) return reply;
    const declared = spec.responses[reply.status];
    if (!declared)
      throw new Error(`${spec.method.toUpperCase()} ${spec.path} answered ${reply.status}, not in its spec`);
    if (declared.schema) {
      const result = declared.schema.safeParse(reply.body);
      if (!result.success)
        throw new Error(
          `${spec.method.toUpperCase()} ${spec.path} ${reply.status} does not match its spec: ${z.prettifyError(result.error)}`,
        );
    }
    return reply;
  }
}

function parse(
  location: string,
  schema: z.ZodType | undefined,
  value: unknown,
  bodyExpected = false,
): unknown {
  if (!schema) {
    // A route without a body schema takes no body: anything sent is a mistake worth naming.
    if (location === 'body' && bodyExpected && value !== undefined && Object.keys(value as object).length > 0)
      throw new ApiProblem(400, 'validation_failed', 'this route takes no request body', 'body');
    return {};
  }
  const refused = controlCharacters(location, value);
  if (refused.length > 0) throw invalidFields(refused);
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw validationProblem(location, result.error, { value, schema });
  return result.data;
}

/**
 * C0 control characters and DEL, but tab, line feed and carriage return: no one types them, NUL ends a string in C,
 * and none of them may reach QuickBooks (XML 1.0 cannot carry them). Refused in every path, query and body string.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Each string in `value` that holds a control character, by its field path. */
function controlCharacters(location: string, value: unknown): { field: string; message: string }[] {
  if (typeof value === 'string') {
    const found = controlCharacter.exec(value);
    if (!found) return [];
    const code = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return [
      {
        field: location,
        message: `must not contain control characters (U+${code} at character ${found.index + 1})`,
      },
    ];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => controlCharacters(`${location}.${key}`, item));
}

/**
 * A body sent without `Content-Type: application/json` is never parsed, and would otherwise read as `{}`: a request
 * whose fields all have defaults would then succeed without them.
 */
function requireJsonBody(req: Request): void {
  // No body at all (`is` answers null; an empty one is announced by length) is for the schema to judge.
  if (req.get('content-length') === '0' || req.is('application/json') !== false) return;
  const sent = req.get('content-type');
  throw new ApiProblem(
    415,
    'unsupported_media_type',
    `send the body as JSON with \`Content-Type: application/json\`${sent ? ` (this request says ${sent.slice(0, 100)})` : ' (this request has no Content-Type)'}`,
    'header.Content-Type',
  );
}
