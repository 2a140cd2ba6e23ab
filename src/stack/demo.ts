import { Client, Connection } from '@temporalio/client';
import { createAccount, issueApiKey, revokeApiKey } from '../accounts/keys';
import { accountModel, apiKeyModel } from '../accounts/models';
import { connectMongo } from '../db/connect';
import { reminderScheduleId } from '../temporal/reminder-schedules';
import type { Say } from './launcher';

/**
 * The demo `npm start` sets up on top of the emulator, through the same doors a CRM uses: a "Demo CRM" account with
 * a fresh API key, the demo company connected through the OAuth consent page and backfilled, Intuit's webhooks
 * pointed at the API, and the follow-up schedule run once so its overdue-invoice reminders show at once.
 */
export interface DemoTargets {
  apiUrl: string;
  emulatorUrl: string;
  mongodbUri: string;
  temporalAddress: string;
  namespace: string;
}

export interface DemoSummary {
  accountId: string;
  apiKey: string;
  connectionId: string;
  companyName: string;
  /** Follow-ups the first run planned (a page's worth at most), and how many of them went out. */
  followUps: { planned: number; sent: number };
}

const demoAccountName = 'Demo CRM';
/** The emulator's default verifier token, which the API also uses by default. */
const demoVerifierToken = 'qbo-emulator-verifier-token';

/**
 * Approves an authorize URL on the emulator's consent page for one company, as a user would, and returns where the
 * emulator sends the browser next (the callback, with `code`, `state` and `realmId`).
 */
export async function approveConsent(authorizeUrl: string, realmId: string): Promise<string> {
  const authorize = new URL(authorizeUrl);
  const form = new URLSearchParams(authorize.searchParams);
  form.set('realmId', realmId);
  form.set('action', 'approve');
  const consent = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) throw new Error(`consent page answered ${consent.status}`);
  return location;
}

export async function setUpDemo(targets: DemoTargets, say: Say): Promise<DemoSummary> {
  const apiKey = await freshDemoKey(targets.mongodbUri);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${targets.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey.key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const json: unknown = await response.json();
    if (!response.ok)
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };

  const companies = (await (
    await fetch(`${targets.emulatorUrl}/__admin/companies`, { signal: AbortSignal.timeout(10_000) })
  ).json()) as { companies: { realmId: string; companyName: string }[] };
  const company = companies.companies[0];
  if (!company) throw new Error('the emulator has no company');
  await fetch(`${targets.emulatorUrl}/__admin/companies/${company.realmId}/webhook`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      url: `${targets.apiUrl}/v1/webhooks/quickbooks`,
      verifierToken: demoVerifierToken,
    }),
    signal: AbortSignal.timeout(10_000),
  });

  const started = (await call('POST', '/v1/connections/quickbooks', {})) as { authorizeUrl: string };
  const callback = new URL(await approveConsent(started.authorizeUrl, company.realmId));
  const connected = await fetch(`${targets.apiUrl}${callback.pathname}${callback.search}`, {
    signal: AbortSignal.timeout(30_000),
  });
  const connection = (await connected.json()) as { id: string };
  if (!connected.ok) throw new Error(`the OAuth callback answered ${connected.status}`);
  say(`demo     │ connected ${company.companyName} as ${connection.id}; backfilling…`);

  const deadline = Date.now() + 120_000;
  for (;;) {
    const detail = (await call('GET', `/v1/connections/${connection.id}`)) as {
      backfill: { status: string } | null;
    };
    // The backfill shows up on the connection once its workflow begins; a reconnect keeps the first one's.
    if (detail.backfill?.status === 'done') break;
    if (Date.now() > deadline) throw new Error('the demo backfill did not finish in 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  // The demo runs at any hour: no quiet hours, so the reminders go out as soon as the schedule runs.
  await call('PUT', `/v1/connections/${connection.id}/follow-up-policy`, { quietHours: null });
  const temporal = await Connection.connect({ address: targets.temporalAddress, connectTimeout: 10_000 });
  try {
    const client = new Client({ connection: temporal, namespace: targets.namespace });
    await runScheduleOnce(client, reminderScheduleId(connection.id));
  } finally {
    await temporal.close();
  }
  const page = (await call('GET', '/v1/follow-ups?limit=200')) as { data: { status: string }[] };
  const followUps = {
    planned: page.data.length,
    sent: page.data.filter((followUp) => followUp.status === 'sent').length,
  };
  return {
    accountId: apiKey.accountId,
    apiKey: apiKey.key,
    connectionId: connection.id,
    companyName: company.companyName,
    followUps,
  };
}

/** Triggers a schedule and waits for the run it starts to finish. */
async function runScheduleOnce(client: Client, scheduleId: string): Promise<void> {
  const schedule = client.schedule.getHandle(scheduleId);
  const before = new Set(
    (await schedule.describe()).info.recentActions.map((action) => action.action.workflow.workflowId),
  );
  await schedule.trigger();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const started = (await schedule.describe()).info.recentActions.find(
      (action) => !before.has(action.action.workflow.workflowId),
    );
    if (started) {
      await client.workflow.getHandle(started.action.workflow.workflowId).result();
      return;
    }
    if (Date.now() > deadline) throw new Error(`schedule ${scheduleId} did not start a run in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The demo account, created once; each start revokes the last start's key and prints a new one. */
async function freshDemoKey(mongodbUri: string): Promise<{ accountId: string; key: string }> {
  const mongo = await connectMongo(mongodbUri, 10_000);
  try {
    const db = mongo.connection;
    const account =
      (await accountModel(db).findOne({ name: demoAccountName }).lean()) ??
      (await createAccount(db, demoAccountName));
    const previous = await apiKeyModel(db)
      .find({ accountId: account._id, revokedAt: { $exists: false } })
      .lean();
    for (const key of previous) await revokeApiKey(db, account._id, key._id);
    const issued = await issueApiKey(db, account._id, 'demo (npm start)');
    return { accountId: account._id, key: issued.key };
  } finally {
    await mongo.disconnect();
  }
}
