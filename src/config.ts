import { z } from 'zod';
import { defaultRetention, type RetentionSettings } from './db/retention';
import type { OutboundPolicy } from './security/outbound-url';

/**
 * Runtime configuration of the API and the worker, read once from the environment at start-up.
 * Defaults are safe for a laptop: everything on loopback, nothing secret baked in.
 */
const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI')
      .default('mongodb://127.0.0.1:27017/qbo-sync'),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('qbo-sync'),
    /**
     * A workflow bundle written by `bundleWorkflows` (src/worker/workflow-bundle.ts) for the worker to load instead
     * of bundling the workflow code itself at start-up (2 s of CPU); the test stack builds one for all its workers.
     */
    TEMPORAL_WORKFLOW_BUNDLE: z.string().min(1).optional(),
    /** Where the worker serves `/metrics` (its own and Temporal's SDK metrics); port 0 picks a free one. */
    WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    /** OTLP/HTTP endpoint for traces (`<endpoint>/v1/traces`); without it nothing is traced. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    /** Bound on every dependency check and outbound call made at start-up or by health probes. */
    DEPENDENCY_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
    /** Intuit environment of the connected companies: decides deep-link hosts. */
    QBO_ENVIRONMENT: z.enum(['sandbox', 'production']).default('sandbox'),
    /** Accounting API base; Intuit's sandbox/production hosts, or the emulator (the local default). */
    QBO_API_BASE_URL: z.url().default('http://127.0.0.1:4010'),
    /** Origin serving Intuit's OAuth paths, or `intuit` for Intuit's own hosts (appcenter.intuit.com, …). */
    QBO_OAUTH_BASE_URL: z.union([z.literal('intuit'), z.url()]).default('http://127.0.0.1:4010'),
    QBO_CLIENT_ID: z.string().min(1).default('qbo-emulator-client'),
    QBO_CLIENT_SECRET: z.string().min(1).default('qbo-emulator-secret'),
    QBO_REDIRECT_URI: z.url().default('http://127.0.0.1:3000/v1/oauth/quickbooks/callback'),
    /** The Intuit app's webhook verifier token (Developer portal → Webhooks). */
    QBO_WEBHOOK_VERIFIER_TOKEN: z.string().min(1).default('qbo-emulator-verifier-token'),
    QBO_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
    /** `version:base64-of-32-bytes`, comma-separated, newest first; required in production. */
    TOKEN_ENCRYPTION_KEYS: z
      .string()
      .min(1)
      .default(`dev:${Buffer.alloc(32, 7).toString('base64')}`),
    /** HMAC secret for the OAuth `state`; required in production. */
    OAUTH_STATE_SECRET: z.string().min(16).default('local-development-state-secret'),
    /** HMAC secret for the short-lived tokens that authorise the embeddable panel; required in production. */
    EMBED_TOKEN_SECRET: z.string().min(16).default('local-development-embed-secret'),
    /** Requests a minute per API key, on average, and the burst allowed above it. */
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
    API_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(100),
    /** SMTP server for follow-up emails; may carry credentials, so it is never logged. */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .default('smtp://127.0.0.1:1025'),
    /** The From address of follow-up emails; each account's policy names the sender. */
    EMAIL_FROM: z.email().default('reminders@qbo-sync.localhost'),
    /** Bound on each email send, from connecting to the server's final answer. */
    EMAIL_SEND_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
    /**
     * Lets the server reach loopback, private and link-local addresses, and plain http, for URLs it was given (the
     * CRM's webhook endpoint). Unset, it is on only in development.
     */
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: z.stringbool().optional(),
    /** How long the sync history is kept (unresolved conflicts are kept until decided). */
    SYNC_EVENT_RETENTION_DAYS: z.coerce.number().positive().default(defaultRetention.syncEventDays),
    /** How long events for the CRM and their delivery log are kept. */
    OUTBOUND_EVENT_RETENTION_DAYS: z.coerce.number().positive().default(defaultRetention.outboundEventDays),
    /** How long Intuit's webhook deliveries are kept once applied. */
    WEBHOOK_INBOX_RETENTION_DAYS: z.coerce.number().positive().default(defaultRetention.webhookInboxDays),
    /** How long an `Idempotency-Key` replays its first answer. */
    IDEMPOTENCY_KEY_RETENTION_HOURS: z.coerce.number().positive().default(defaultRetention.idempotencyHours),
    /** How long a preview of a first sync or a mapping change can be read and applied. */
    PREVIEW_RETENTION_HOURS: z.coerce.number().positive().default(defaultRetention.previewHours),
  })
  .superRefine((config, context) => {
    if (config.NODE_ENV !== 'production') return;
    // The local defaults are public: a production process must bring its own secrets.
    for (const [name, unsafe] of [
      ['TOKEN_ENCRYPTION_KEYS', config.TOKEN_ENCRYPTION_KEYS.startsWith('dev:')],
      ['OAUTH_STATE_SECRET', config.OAUTH_STATE_SECRET === 'local-development-state-secret'],
      ['EMBED_TOKEN_SECRET', config.EMBED_TOKEN_SECRET === 'local-development-embed-secret'],
      ['QBO_CLIENT_SECRET', config.QBO_CLIENT_SECRET === 'qbo-emulator-secret'],
      ['QBO_WEBHOOK_VERIFIER_TOKEN', config.QBO_WEBHOOK_VERIFIER_TOKEN === 'qbo-emulator-verifier-token'],
    ] as const) {
      if (unsafe)
        context.addIssue({
          code: 'custom',
          path: [name],
          message: 'must be set in production (the default is a public development value)',
        });
    }
  });

export type Config = z.infer<typeof configSchema>;

export function retentionSettings(config: Config): RetentionSettings {
  return {
    syncEventDays: config.SYNC_EVENT_RETENTION_DAYS,
    outboundEventDays: config.OUTBOUND_EVENT_RETENTION_DAYS,
    webhookInboxDays: config.WEBHOOK_INBOX_RETENTION_DAYS,
    idempotencyHours: config.IDEMPOTENCY_KEY_RETENTION_HOURS,
    previewHours: config.PREVIEW_RETENTION_HOURS,
  };
}

/** The API's public origin, where the console, the panel and unsubscribe links live: the OAuth redirect URI's. */
export function publicOrigin(config: Pick<Config, 'QBO_REDIRECT_URI'>): string {
  return new URL(config.QBO_REDIRECT_URI).origin;
}

export function outboundPolicy(config: Config): OutboundPolicy {
  return {
    allowPrivateNetworks: config.OUTBOUND_ALLOW_PRIVATE_NETWORKS ?? config.NODE_ENV === 'development',
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError naming every bad variable so start-up fails loudly. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnv(configSchema, env);
}

export function parseEnv<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The variables this schema reads; test/unit/config.test.ts checks that README documents each one. */
export const configVariables = Object.keys(configSchema.shape) as (keyof Config)[];
