import path from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../config';

const port = z.coerce.number().int().min(1).max(65535);

/**
 * What `npm start` runs and where. A service given by address (TEMPORAL_ADDRESS, MONGODB_URI) is used as it is;
 * otherwise the launcher starts an embedded one on loopback with its data under QBO_SYNC_DATA_DIR.
 */
const stackConfigSchema = z.object({
  QBO_SYNC_DATA_DIR: z.string().min(1).default('.data'),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('qbo-sync'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI')
    .optional(),
  MONGODB_PORT: port.default(27017),
  MONGODB_DATABASE: z.string().min(1).default('qbo-sync'),
  QBO_EMULATOR_ENABLED: z.stringbool().default(true),
  QBO_EMULATOR_PORT: port.default(4010),
  QBO_EMULATOR_CUSTOMERS: z.coerce.number().int().min(0).default(50),
  QBO_EMULATOR_TRANSACTIONS: z.coerce.number().int().min(0).default(300),
  /** Connect the emulator's demo company to a "Demo CRM" account at start, and run its reminders once. */
  QBO_DEMO_ENABLED: z.stringbool().default(true),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  LOG_LEVEL: z.string().default('info'),
});

export type StackConfig = z.infer<typeof stackConfigSchema> & { dataDir: string };

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StackConfig {
  const parsed = parseEnv(stackConfigSchema, env);
  return { ...parsed, dataDir: path.resolve(cwd, parsed.QBO_SYNC_DATA_DIR) };
}

export const stackConfigVariables = Object.keys(stackConfigSchema.shape);

/** Every embedded server listens on loopback only. */
export const stackHost = '127.0.0.1';

/** Where the services find MongoDB and Temporal: the addresses given, else the embedded servers the launcher starts. */
export function stackAddresses(config: StackConfig): { mongodbUri: string; temporalAddress: string } {
  return {
    mongodbUri:
      config.MONGODB_URI ?? `mongodb://${stackHost}:${config.MONGODB_PORT}/${config.MONGODB_DATABASE}`,
    temporalAddress: config.TEMPORAL_ADDRESS ?? `${stackHost}:${config.TEMPORAL_PORT}`,
  };
}

export const stackApiUrl = (config: StackConfig): string => `http://${config.HOST}:${config.PORT}`;

export const stackEmulatorUrl = (config: StackConfig): string | undefined =>
  config.QBO_EMULATOR_ENABLED ? `http://${stackHost}:${config.QBO_EMULATOR_PORT}` : undefined;

/**
 * The environment the launcher runs the API and the worker in. Tools that work beside `npm start` (the ops CLI)
 * read their configuration from the same, so they find the same database, Temporal, emulator and public address.
 */
export function serviceEnvironment(
  config: StackConfig,
  addresses: { mongodbUri: string; temporalAddress: string },
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    TEMPORAL_ADDRESS: addresses.temporalAddress,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    MONGODB_URI: addresses.mongodbUri,
    HOST: config.HOST,
    PORT: String(config.PORT),
    LOG_LEVEL: config.LOG_LEVEL,
  };
  // The API and the worker talk to the emulator wherever it listens, unless told to use another QBO.
  const emulatorUrl = stackEmulatorUrl(config);
  if (emulatorUrl) {
    env.QBO_API_BASE_URL ??= emulatorUrl;
    env.QBO_OAUTH_BASE_URL ??= emulatorUrl;
  }
  env.QBO_REDIRECT_URI ??= `${stackApiUrl(config)}/v1/oauth/quickbooks/callback`;
  return env;
}
