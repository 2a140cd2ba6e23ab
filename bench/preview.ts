/**
 * A preview of a first sync at the size the issue names: 10,000 CRM contacts against 10,000 QBO customers held in
 * the projection, on the embedded database (persistent, as `npm start` runs it) or MONGODB_URI. Times the preview
 * (read, plan, store) and its re-check before apply, three runs each: `npm run bench:preview [-- --contacts 10000]`.
 * No QBO requests are made: a preview reads only what the database holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectMongo } from '../src/db/connect';
import { storeFields } from '../src/db/field-maps';
import type { ConnectionRecord } from '../src/db/models/connection';
import { customerKey, qboCustomerModel, type QboCustomerRecord } from '../src/projections/models';
import { checkPreview, createPreview } from '../src/previews/service';
import { previewChunkModel, previewModel } from '../src/previews/store';
import { startMongoServer } from '../src/stack/services';
import { ensureJavaTool, javaTools } from '../src/stack/tools';
import { toSyncFields } from '../src/sync/fields';
import { matchKeys } from '../src/sync/matching';
import { median } from './lib/stats';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '10000' },
    customers: { type: 'string', default: '10000' },
  },
});
const contactCount = Number(values.contacts);
const customerCount = Number(values.customers);
const runs = 3;

const customerFields = (index: number) =>
  toSyncFields({
    displayName: `Customer ${index} Trading`,
    companyName: `Customer ${index} Trading Ltd`,
    email: `customer${index}@example.com`,
    phone: `555-01${String(index).padStart(5, '0')}`,
    'billingAddress.line1': `${index} Main Street`,
    'billingAddress.city': 'Springfield',
    'billingAddress.postalCode': '94105',
  });

/**
 * Contacts as a CRM holding the same book would send them: half share a customer's email, a fifth its name only, a
 * fifth are new, and the rest are a second contact on a customer or break one of QBO's rules.
 */
function contactFields(index: number) {
  const kind = index % 20;
  if (kind < 10) return { ...customerFields(index), notes: 'met at the fair' };
  if (kind < 14) return toSyncFields({ displayName: `Customer ${index} Trading Inc.` });
  if (kind < 18)
    return toSyncFields({
      givenName: 'New',
      familyName: `Person ${index}`,
      email: `new${index}@example.com`,
    });
  if (kind < 19)
    return toSyncFields({ displayName: `Copy ${index}`, email: `customer${index - 18}@example.com` });
  return toSyncFields({ displayName: `Broken: ${index}` });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qbo-preview-bench-'));
  const external = process.env.MONGODB_URI;
  const server = external
    ? undefined
    : await startMongoServer({
        binary: (await ensureJavaTool(javaTools.mongoServer, () => undefined)).path,
        dataDir,
      });
  const mongo = await connectMongo(
    `${(external ?? server!.uri).replace(/\/$/, '')}/qbo_preview_bench`,
    10_000,
  );
  const db = mongo.connection;
  const connection = {
    _id: 'conn_bench',
    accountId: 'acct_bench',
    realmId: 'bench',
    environment: 'sandbox',
    status: 'active',
    settings: {},
  } as unknown as ConnectionRecord;
  try {
    await Promise.all(
      [qboCustomerModel(db), previewModel(db), previewChunkModel(db)].map((model) => model.init()),
    );
    await qboCustomerModel(db).deleteMany({ connectionId: connection._id });
    const loadStart = performance.now();
    for (let start = 0; start < customerCount; start += 2_000) {
      await qboCustomerModel(db).insertMany(
        Array.from({ length: Math.min(2_000, customerCount - start) }, (_, offset): QboCustomerRecord => {
          const index = start + offset;
          const fields = customerFields(index);
          return {
            _id: customerKey(connection._id, String(index + 1)),
            connectionId: connection._id,
            qboId: String(index + 1),
            syncToken: 0,
            lastUpdatedTime: '2026-01-01T00:00:00Z',
            active: true,
            fields: storeFields(fields),
            fieldTimes: {},
            match: matchKeys(fields),
            profile: {} as QboCustomerRecord['profile'],
            appliedAt: new Date(),
          };
        }),
        { ordered: false, lean: true },
      );
    }
    const loadMs = performance.now() - loadStart;
    const contacts = Array.from({ length: contactCount }, (_, index) => ({
      crmContactId: `crm-${index}`,
      fields: contactFields(index),
      updatedAt: '2026-05-01T00:00:00Z',
    }));
    const previewMs: number[] = [];
    const checkMs: number[] = [];
    let counts: Record<string, number> = {};
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      const preview = await createPreview(db, connection, { contacts }, new Date());
      previewMs.push(performance.now() - started);
      counts = preview.counts;
      const checking = performance.now();
      const checked = await checkPreview(db, connection, preview, new Date());
      checkMs.push(performance.now() - checking);
      if (checked.changes.length > 0) throw new Error(`the re-check found ${checked.changes.length} changes`);
    }
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      `${customerCount.toLocaleString('en')} customers projected in ${seconds(loadMs)} on ` +
        `${external ? 'MONGODB_URI' : 'the embedded server (H2 file)'}\n` +
        `  preview of ${contactCount.toLocaleString('en')} contacts (read, plan, store)  median ${seconds(median(previewMs))}` +
        `  [${previewMs.map(seconds).join(', ')}]\n` +
        `  re-check before apply (plan again, compare)        median ${seconds(median(checkMs))}` +
        `  [${checkMs.map(seconds).join(', ')}]\n` +
        `  outcomes: ${JSON.stringify(counts)}\n`,
    );
  } finally {
    await mongo.disconnect();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:preview failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
