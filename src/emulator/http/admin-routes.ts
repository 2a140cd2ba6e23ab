import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { ManualClock } from '../clock';
import type { Company } from '../company';
import { countries } from '../countries';
import { findEntity } from '../entities';
import { currencyNames } from '../entities/currency';
import { defineCustomField } from '../entities/custom-fields';
import type { QboEmulator } from '../emulator';
import { QboFault } from '../faults';
import { defaultOAuthApp } from '../oauth';
import { mergeCustomers } from '../merge';
import { seedCompany } from '../seed';
import { performWrite } from '../writes';

const seedSchema = z.object({
  customers: z.number().int().min(0).max(200_000),
  transactions: z.number().int().min(0).max(1_000_000),
  seed: z.number().int().optional(),
});

const companySchema = z.strictObject({
  companyName: z.string().min(1).max(100),
  homeCurrency: z.enum(Object.keys(currencyNames) as [string, ...string[]]).optional(),
  multiCurrency: z.boolean().optional(),
  timeZone: z.string().min(1).optional(),
  country: z.enum(countries).optional(),
  customTxnNumbers: z.boolean().optional(),
  realmId: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
  seed: seedSchema.optional(),
});

const customFieldSchema = z
  .strictObject({
    label: z.string().trim().min(1).max(100),
    type: z.enum(['string', 'number', 'date', 'dropdown']),
    options: z.array(z.string().min(1).max(100)).min(1).optional(),
    entities: z.array(z.enum(['Customer', 'Invoice', 'Estimate', 'SalesReceipt'])).min(1),
    active: z.boolean().optional(),
  })
  .refine((field) => (field.type === 'dropdown') === (field.options !== undefined), {
    path: ['options'],
    message: 'options are required for a dropdown, and only for a dropdown',
  });

const webhookSchema = z.strictObject({
  url: z.url(),
  verifierToken: z.string().min(1),
  format: z.enum(['legacy', 'cloudevents']).default('legacy'),
  entities: z.array(z.string()).optional(),
  contentType: z.string().optional(),
});

const rate = z.number().min(0).max(1);
const faultsSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  errorRates: z
    .strictObject({ '429': rate, '500': rate, '502': rate, '503': rate, '504': rate })
    .partial()
    .optional(),
  dropResponsesAfterCommit: z.number().int().min(0).optional(),
  xmlErrors: z.boolean().optional(),
  webhooks: z
    .strictObject({
      dropRate: rate,
      duplicateRate: rate,
      reorder: z.boolean(),
      delayMs: z.number().int().min(0),
    })
    .partial()
    .optional(),
});

const limitsSchema = z
  .strictObject({
    perMinute: z.number().int().positive(),
    perSecond: z.number().int().positive(),
    concurrent: z.number().int().positive(),
    batchPerMinute: z.number().int().positive(),
    maxBatchItems: z.number().int().positive(),
  })
  .partial();

const oauthSettingsSchema = z.strictObject({
  refreshTokenRotation: z.enum(['daily', 'every-refresh']).optional(),
  previousRefreshTokenGraceSeconds: z.number().int().min(0).optional(),
  dropNextTokenResponses: z.number().int().min(0).optional(),
});

const tokenSchema = z.strictObject({
  clientId: z.string().default(defaultOAuthApp.clientId),
  scopes: z.array(z.string()).default(['com.intuit.quickbooks.accounting']),
});

const userEditSchema = z.strictObject({
  operation: z.enum(['create', 'update', 'delete', 'void']).default('update'),
  entity: z.record(z.string(), z.unknown()),
});

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function describe(company: Company) {
  const counts = Object.fromEntries(
    ['Customer', 'Invoice', 'Payment', 'Estimate', 'SalesReceipt', 'CreditMemo', 'RefundReceipt'].map(
      (entity) => [entity, company.count(entity)],
    ),
  );
  return { ...company.settings, counts };
}

/**
 * `/__admin`: what a test or a demo needs that Intuit's API does not offer: make and seed companies, mint tokens,
 * register webhooks, inject faults, edit records as a person in the QBO web app would, read traffic counters, reset.
 */
export function createAdminRouter(emulator: QboEmulator): Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  const companyOf = (req: Request): Company => {
    const company = emulator.company(String(req.params.realmId));
    if (!company) throw new AdminError(404, `No company with realmId ${String(req.params.realmId)}`);
    return company;
  };

  router.get('/companies', (_req, res) => {
    res.json({ companies: emulator.listCompanies().map(describe) });
  });

  router.post('/companies', (req, res) => {
    const { seed, ...input } = companySchema.parse(req.body);
    const company = emulator.createCompany(input);
    const seeded = seed ? seedCompany(company, seed) : undefined;
    res.status(201).json({ ...describe(company), seeded });
  });

  router.get('/companies/:realmId', (req, res) => {
    res.json(describe(companyOf(req)));
  });

  router.post('/companies/:realmId/seed', (req, res) => {
    res.json(seedCompany(companyOf(req), seedSchema.parse(req.body)));
  });

  router.get('/companies/:realmId/custom-fields', (req, res) => {
    res.json({ customFields: companyOf(req).customFields });
  });

  // Custom field definitions, as a QBO user makes them in Settings (the GraphQL API reads them at /graphql).
  router.post('/companies/:realmId/custom-fields', (req, res) => {
    res.status(201).json(defineCustomField(companyOf(req), customFieldSchema.parse(req.body)));
  });

  router.post('/companies/:realmId/tokens', (req, res) => {
    const company = companyOf(req);
    const { clientId, scopes } = tokenSchema.parse(req.body ?? {});
    res.status(201).json({
      realmId: company.realmId,
      ...emulator.authority.issueTokens(clientId, company.realmId, scopes),
    });
  });

  router.post('/companies/:realmId/expire-access-tokens', (req, res) => {
    emulator.authority.expireAccessTokens(companyOf(req).realmId);
    res.status(204).end();
  });

  router.post('/companies/:realmId/revoke-refresh-tokens', (req, res) => {
    emulator.authority.revokeRefreshTokens(companyOf(req).realmId);
    res.status(204).end();
  });

  router.put('/oauth', (req, res) => {
    const settings = oauthSettingsSchema.parse(req.body);
    if (settings.refreshTokenRotation)
      emulator.authority.setRefreshTokenRotation(settings.refreshTokenRotation);
    if (settings.previousRefreshTokenGraceSeconds !== undefined)
      emulator.authority.setPreviousRefreshTokenGrace(settings.previousRefreshTokenGraceSeconds);
    if (settings.dropNextTokenResponses !== undefined)
      emulator.dropTokenResponses(settings.dropNextTokenResponses);
    res.json(settings);
  });

  router.get('/oauth/metrics', (_req, res) => {
    res.json(emulator.authority.metrics());
  });

  router.get('/companies/:realmId/requests', (req, res) => {
    const { limit } = z
      .object({ limit: z.coerce.number().int().min(1).max(2000).default(100) })
      .parse(req.query);
    res.json({ requests: companyOf(req).requests(limit) });
  });

  // Merge as in the QBO web app: transactions move to the survivor; published as a Merge with deletedId.
  router.post('/companies/:realmId/merge-customers', (req, res) => {
    const company = companyOf(req);
    const { fromId, intoId } = z
      .strictObject({ fromId: z.string().min(1), intoId: z.string().min(1) })
      .parse(req.body);
    const events = mergeCustomers(company, fromId, intoId);
    emulator.publish(events);
    res.json({
      Customer: company.get('Customer', intoId),
      moved: events.filter((event) => event.operation === 'Update').length,
    });
  });

  router.put('/companies/:realmId/webhook', (req, res) => {
    const company = companyOf(req);
    const subscription = webhookSchema.parse(req.body);
    emulator.webhooks.subscribe(company.realmId, subscription);
    res.json({ realmId: company.realmId, url: subscription.url, format: subscription.format });
  });

  router.delete('/companies/:realmId/webhook', (req, res) => {
    emulator.webhooks.unsubscribe(companyOf(req).realmId);
    res.status(204).end();
  });

  router.get('/companies/:realmId/webhook/deliveries', (req, res) => {
    const { realmId } = companyOf(req);
    res.json({ stats: emulator.webhooks.stats(realmId), deliveries: emulator.webhooks.deliveries(realmId) });
  });

  router.put('/companies/:realmId/faults', (req, res) => {
    const { realmId } = companyOf(req);
    const { webhooks, ...faults } = faultsSchema.parse(req.body);
    emulator.setRealmFaults(realmId, faults);
    emulator.webhooks.setFaults(realmId, webhooks ?? {});
    res.json({ ...faults, webhooks: webhooks ?? {} });
  });

  router.get('/companies/:realmId/traffic', (req, res) => {
    res.json({ limits: emulator.limiter.limits, traffic: emulator.limiter.traffic(companyOf(req).realmId) });
  });

  router.put('/limits', (req, res) => {
    emulator.limiter.limits = { ...emulator.limiter.limits, ...limitsSchema.parse(req.body) };
    res.json(emulator.limiter.limits);
  });

  // A person editing in the QBO web app: no SyncToken needed, and the change is published like any other.
  router.post('/companies/:realmId/entities/:entity', (req, res) => {
    const company = companyOf(req);
    const definition = findEntity(String(req.params.entity));
    if (!definition) throw new AdminError(404, `Unknown entity ${String(req.params.entity)}`);
    const { operation, entity } = userEditSchema.parse(req.body);
    const result = performWrite(company, definition.name, operation, entity, { asUser: true });
    emulator.publish(result.events);
    res.status(operation === 'create' ? 201 : 200).json({ [result.entity]: result.responseObject });
  });

  // Time travel for tests (token expiry, CDC's 30-day window, overdue invoices); only on a ManualClock.
  router.post('/clock', (req, res) => {
    if (!(emulator.clock instanceof ManualClock))
      throw new AdminError(409, 'This emulator runs on the system clock.');
    const { set, advanceMs } = z
      .strictObject({
        set: z.iso.datetime({ offset: true }).optional(),
        advanceMs: z.number().int().optional(),
      })
      .parse(req.body);
    if (set !== undefined) emulator.clock.set(set);
    if (advanceMs !== undefined) emulator.clock.advance(advanceMs);
    res.json({ now: emulator.clock.now().toISOString() });
  });

  router.post('/reset', (_req, res) => {
    emulator.reset();
    res.status(204).end();
  });

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof z.ZodError) {
      const issue = error.issues[0];
      return void res.status(400).json({
        error: 'invalid_request',
        field: issue?.path.join('.') ?? '',
        message: issue?.message ?? 'invalid request',
        issues: error.issues,
      });
    }
    if (error instanceof AdminError) {
      return void res
        .status(error.status)
        .json({ error: error.status === 404 ? 'not_found' : 'conflict', message: error.message });
    }
    if (error instanceof QboFault) return void res.status(error.status).json(error.body());
    if (error instanceof Error && /already exists|unknown home currency/.test(error.message)) {
      return void res.status(409).json({ error: 'conflict', message: error.message });
    }
    next(error);
  });
  return router;
}
