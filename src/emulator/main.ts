import { parseArgs } from 'node:util';
import { QboEmulator } from './emulator';
import { listenEmulator } from './http/app';
import { defaultOAuthApp } from './oauth';
import { defineCustomField, type NewCustomField } from './entities/custom-fields';
import { seedCompany } from './seed';
import { stopWhenParentExits } from '../lifecycle';

const usage = `Usage: npm run emulator -- [--port 4010] [--host 127.0.0.1] [--customers 50] [--transactions 300] [--multi-currency] [--seed 42]`;

const demoCustomFields: NewCustomField[] = [
  { label: 'Sales Rep', type: 'string', entities: ['Customer', 'Invoice', 'Estimate', 'SalesReceipt'] },
  { label: 'Crew Size', type: 'number', entities: ['Invoice', 'Estimate'] },
  {
    label: 'Region',
    type: 'dropdown',
    options: ['North', 'South', 'East', 'West'],
    entities: ['Customer', 'Invoice', 'Estimate'],
  },
  { label: 'Install Date', type: 'date', entities: ['Invoice', 'SalesReceipt'] },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.QBO_EMULATOR_PORT ?? '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      customers: { type: 'string', default: '50' },
      transactions: { type: 'string', default: '300' },
      'multi-currency': { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(usage);
  const numbers = {
    port: Number(values.port),
    customers: Number(values.customers),
    transactions: Number(values.transactions),
    seed: Number(values.seed),
  };
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${name} must be a non-negative integer\n${usage}`);
  }

  const emulator = new QboEmulator({ seed: numbers.seed });
  const company = emulator.createCompany({
    companyName: 'Sandbox Company US',
    multiCurrency: values['multi-currency'],
  });
  // The demo company uses the enhanced custom fields: more than three, typed, on customers and sales forms.
  for (const field of demoCustomFields) defineCustomField(company, field);
  const seeded = seedCompany(company, {
    customers: numbers.customers,
    transactions: numbers.transactions,
    seed: numbers.seed,
  });
  const running = await listenEmulator(emulator, numbers.port, values.host);
  console.log(
    [
      `QBO emulator listening on ${running.url}`,
      `  company        ${company.settings.companyName} (realmId ${company.realmId}, multi-currency ${company.settings.multiCurrency ? 'on' : 'off'})`,
      `  seeded         ${seeded.customers} customers, ${seeded.invoices} invoices (${seeded.overdueInvoices} overdue), ${seeded.payments} payments, ${seeded.estimates} estimates, ${seeded.salesReceipts} sales receipts in ${seeded.milliseconds} ms`,
      `  OAuth client   ${defaultOAuthApp.clientId} / ${defaultOAuthApp.clientSecret}`,
      `  authorize      ${running.url}/connect/oauth2`,
      `  API base       ${running.url}/v3/company/${company.realmId}`,
      `  admin          ${running.url}/__admin/companies`,
    ].join('\n'),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  stopWhenParentExits(stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
