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
