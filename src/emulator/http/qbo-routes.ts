import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ChangeEvent, Company } from '../company';
import { isObject } from '../entities/fields';
import type { QboEmulator } from '../emulator';
import { QboFault, fault, faultXml, gatewayError, type GatewayError } from '../faults';
import { salesFormPdf, sendSalesForm } from '../documents';
import { present, readView } from '../present';
import { XmlBodyError, fromIntuitXml, toIntuitXml } from '../xml';
import { readEntity, runCdc, runQuery } from '../reads';
import { performWrite, writeOperation, type WriteOperation } from '../writes';
import { runBatch } from './batch';

interface RealmLocals {
  company: Company;
}

const maxRequestIdLength = 50;
const maxBatchRequestIdLength = 36;
/** "For each batch ID, only 10 characters are allowed when RequestID is also specified." */
const maxBatchIdLengthWithRequestId = 10;

/** The Accounting API under `/v3/company/:realmId`: gateway checks first, then the service. */
export function createQboRouter(emulator: QboEmulator): Router {
  const router = express.Router({ mergeParams: true, caseSensitive: false });
  // The gateway answers before the service reads a body, as Intuit's does: no token, no JSON parsing.
  router.use(gateway(emulator));
  router.use(express.json({ limit: '10mb', type: ['application/json', 'application/*+json'] }));
  router.use(express.text({ limit: '1mb', type: ['application/text', 'text/plain'] }));
  // Intuit's Java and .NET SDKs write entities as XML.
  router.use(express.text({ limit: '10mb', type: ['application/xml', 'text/xml'] }), (req, _res, next) => {
    if (typeof req.body === 'string' && req.is(['application/xml', 'text/xml'])) {
      try {
        req.body = fromIntuitXml(req.body);
      } catch (error) {
        if (error instanceof XmlBodyError)
          throw fault.invalidValue('body', `The request body is not valid XML. ${error.message}`);
        throw error;
      }
    }
    next();
  });

  router.get('/companyinfo/:id', (req, res) => {
    const { company } = res.locals as RealmLocals;
    if (req.params.id !== company.realmId) throw fault.objectNotFound();
    send(res, company, { CompanyInfo: company.get('CompanyInfo', '1') });
  });

  router.get('/preferences', (_req, res) => {
    const { company } = res.locals as RealmLocals;
    send(res, company, { Preferences: company.get('Preferences', '1') });
  });

  const query = (statement: unknown, res: Response): void => {
    const { company } = res.locals as RealmLocals;
    if (typeof statement !== 'string' || statement.trim() === '') {
      throw fault.queryParse('\nQueryParserError: The query provided was empty');
    }
    send(res, company, { QueryResponse: runQuery(company, statement, viewOf(res.req)) });
  };
  router.get('/query', (req, res) => query(req.query.query, res));
  router.post('/query', (req, res) => query(typeof req.body === 'string' ? req.body : req.query.query, res));

  router.get('/cdc', (req, res) => {
    const { company } = res.locals as RealmLocals;
    const entities = typeof req.query.entities === 'string' ? req.query.entities : undefined;
    const changedSince = typeof req.query.changedSince === 'string' ? req.query.changedSince : undefined;
    send(res, company, { CDCResponse: runCdc(company, entities, changedSince, viewOf(req)) });
  });

  router.post('/batch', (req, res) => {
    const { company } = res.locals as RealmLocals;
    replayable(req, res, company, () => {
      const { body, events } = runBatch(
        company,
        req.body,
        {
          maxItems: emulator.limiter.limits.maxBatchItems,
          maxBIdLength:
            stringParam(req.query.requestid) === undefined ? undefined : maxBatchIdLengthWithRequestId,
        },
        viewOf(req),
      );
      return { status: 200, body, events };
    });
  });

  router.get('/:entity/:id/pdf', async (req, res) => {
    const { company } = res.locals as RealmLocals;
    const pdf = await salesFormPdf(company, String(req.params.entity), String(req.params.id));
    res.status(200).type('application/pdf').send(pdf);
  });

  router.post('/:entity/:id/send', (req, res) => {
    const { company } = res.locals as RealmLocals;
    replayable(req, res, company, () => {
      const result = sendSalesForm(
        company,
        String(req.params.entity),
        String(req.params.id),
        stringParam(req.query.sendTo),
      );
      const record = present(company, result.entity, result.record, viewOf(req));
      return { status: 200, body: { [result.entity]: record }, events: result.events };
    });
  });

  router.get('/:entity/:id', (req, res) => {
    const { company } = res.locals as RealmLocals;
    const { name, record } = readEntity(
      company,
      String(req.params.entity),
      String(req.params.id),
      viewOf(req),
    );
    send(res, company, { [name]: record });
  });

  router.post('/:entity', (req, res) => {
    const { company } = res.locals as RealmLocals;
    const operation: WriteOperation = writeOperation(
      stringParam(req.query.operation),
      stringParam(req.query.include),
      isObject(req.body) ? req.body : {},
    );
    const view = viewOf(req);
    replayable(req, res, company, () => {
      const result = performWrite(
        company,
        String(req.params.entity),
        operation,
        req.body,
        { allowDuplicateDocNumber: view.include.includes('allowduplicatedocnum') },
        view,
      );
      return { status: 200, body: { [result.entity]: result.responseObject }, events: result.events };
    });
  });

  router.use((req: Request, res: Response) => {
    const { company } = res.locals as RealmLocals;
    sendFault(
      res,
      company,
      fault.unsupportedOperation(`Unsupported path or method: ${req.method} ${req.path}`),
      false,
    );
  });

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const { company } = res.locals as Partial<RealmLocals>;
    if (!company) return next(error);
    if (error instanceof QboFault)
      return sendFault(res, company, error, emulator.realmFaults(company.realmId).xmlErrors);
    if (isObject(error) && error.type === 'entity.parse.failed') {
      return sendFault(
        res,
        company,
        fault.invalidValue('body', 'The request body is not valid JSON.'),
        false,
      );
    }
    return next(error);
  });

  /**
   * Writes honour `requestid`: the first response for an id is stored and replayed for every retry, so a retried
   * create never makes a second object. An armed "drop after commit" fault commits and then kills the connection.
   */
  function replayable(
    req: Request,
    res: Response,
    company: Company,
    perform: () => { status: number; body: unknown; events: ChangeEvent[] },
  ): void {
    const requestId = stringParam(req.query.requestid);
    // "The maximum is 50 characters", and 36 for batch.
    const maxLength = req.path.toLowerCase() === '/batch' ? maxBatchRequestIdLength : maxRequestIdLength;
    if (requestId !== undefined && requestId.length > maxLength) {
      throw fault.invalidValue('requestid', `The requestid may have at most ${maxLength} characters.`);
    }
    const previous = requestId === undefined ? undefined : company.replay(requestId);
    if (previous) return reply(req, res, company, previous.status, previous.body as object);
    let outcome: { status: number; body: unknown };
    try {
      const { status, body, events } = perform();
      emulator.publish(events);
      outcome = { status, body };
    } catch (error) {
      if (!(error instanceof QboFault)) throw error;
      outcome = { status: error.status, body: error.body() };
    }
    if (requestId !== undefined) company.remember(requestId, outcome);
    if (emulator.takeResponseDrop(company.realmId)) return void res.socket?.destroy();
    reply(req, res, company, outcome.status, outcome.body as object);
  }

  return router;
}

/** The request's `include` values: what a read shows (`invoiceLink`, `enhancedAllCustomFields`) and write options. */
function viewOf(req: Request) {
  return readView(stringParam(req.query.include));
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** QBO answers in XML unless the client negotiates JSON (`Accept: application/json`, or `format=json`). */
function wantsJson(req: Request): boolean {
  return /json/i.test(req.get('accept') ?? '') || req.query.format === 'json';
}

function reply(req: Request, res: Response, company: Company, status: number, body: object): void {
  const time = company.responseTime();
  if (wantsJson(req))
    res
      .status(status)
      .type('application/json;charset=UTF-8')
      .send(JSON.stringify({ ...body, time }));
  else
    res
      .status(status)
      .type('application/xml;charset=UTF-8')
      .send(toIntuitXml(body as Record<string, unknown>, time));
}

function send(res: Response, company: Company, body: Record<string, unknown>): void {
  reply(res.req, res, company, 200, body);
}

/** A service Fault; `forceXml` is the fault mode in which Intuit's services answer XML whatever was asked. */
function sendFault(res: Response, company: Company, error: QboFault, forceXml: boolean | undefined): void {
  if (forceXml || !wantsJson(res.req)) {
    res.status(error.status).type('application/xml;charset=UTF-8').send(faultXml(error, company.now()));
  } else reply(res.req, res, company, error.status, error.body());
}

function sendGatewayError(
  res: Response,
  kind: GatewayError,
  detail: string | null,
  time: Date,
  xml: boolean,
): void {
  const rendered = gatewayError(kind, detail, time, xml);
  res.status(rendered.status).type(rendered.contentType).send(rendered.body);
}

const throttledDetail = 'The request limit was reached.  Try again later';

const authenticationDetails: Record<string, string> = {
  missing: 'Authorization header is missing',
  malformed: 'Malformed bearer token: too short or too long',
  unknown: 'Token invalid',
  expired: 'Token expired',
  revoked: 'Token revoked',
};

/** What Intuit's gateway does before a request reaches QBO: authenticate, authorise the realm, throttle. */
function gateway(emulator: QboEmulator) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const realmId = String(req.params.realmId);
    const now = emulator.clock.now();
    res.setHeader('intuit_tid', `emu-${Math.floor(emulator.random() * 1e12).toString(36)}`);
    const faults = emulator.realmFaults(realmId);
    // XML when the client did not ask for JSON, or when the fault mode says the gateway answers XML regardless.
    const xml = (faults.xmlErrors ?? false) || !wantsJson(req);
    const auth = emulator.authority.authenticate(req.headers.authorization);
    if (!auth.ok)
      return sendGatewayError(res, 'authentication', authenticationDetails[auth.reason] ?? null, now, xml);
    const company = emulator.company(realmId);
    if (!company || auth.realmId !== realmId) return sendGatewayError(res, 'authorization', null, now, xml);

    const admission = emulator.limiter.admit(realmId, req.path.toLowerCase() === '/batch');
    if (!admission.admitted) return sendGatewayError(res, 'throttled', throttledDetail, now, xml);
    res.on('close', admission.release);
    res.on('finish', () =>
      company.logRequest({
        at: now.toISOString(),
        method: req.method,
        path: req.path,
        query: { ...req.query },
        body: req.body as unknown,
        status: res.statusCode,
      }),
    );
    res.locals.company = company;

    const proceed = (): void => {
      const injected = injectedStatus(faults, emulator.random);
      if (injected === undefined) return next();
      if (injected === 429) {
        emulator.limiter.countThrottled(realmId);
        return sendGatewayError(res, 'throttled', throttledDetail, now, xml);
      }
      if (injected === 500) return sendFault(res, company, fault.systemFault(), xml);
      sendProxyErrorPage(res, injected);
    };
    if (faults.latencyMs) setTimeout(proceed, faults.latencyMs);
    else proceed();
  };
}

/** 502, 503 and 504 come from proxies, not from QBO: a bare HTML page with the reason phrase (body unsourced). */
function sendProxyErrorPage(res: Response, status: number): void {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  res.status(status).type('text/html').send(`<html><body><h1>${title}</h1></body></html>`);
}

function injectedStatus(
  faults: { errorRates?: Partial<Record<string, number>> },
  random: () => number,
): number | undefined {
  for (const [status, rate] of Object.entries(faults.errorRates ?? {})) {
    if (rate && random() < rate) return Number(status);
  }
  return undefined;
}
