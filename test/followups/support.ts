import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { QboAccess, qboAccessSettings } from '../../src/activities/qbo-access';
import { accountModel } from '../../src/accounts/models';
import { createApp } from '../../src/api/app';
import { createUnsubscribeRouter } from '../../src/api/unsubscribe';
import { loadConfig } from '../../src/config';
import { connectionModel } from '../../src/db/models/connection';
import { Mailer } from '../../src/email/mailer';
import { FollowUpService } from '../../src/followups/service';
import { applyRecords, applyTransactionDeleted, type ProjectionContext } from '../../src/projections/apply';
import { formatQboDate } from '../../src/time/zoned-time';
import { createWorker } from '../../src/worker/create-worker';
import { remindersWorkflow, type RemindersResult } from '../../src/workflows/reminders';
import { startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';
import {
  openTestDatabase,
  temporalAddress,
  uniqueName,
  workflowBundlePath,
  type TestDatabase,
} from '../support/env';
import { deleteReminderSchedule } from '../../src/temporal/reminder-schedules';

/** A message as the SMTP server received it, decoded enough to assert on. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  headers: Record<string, string>;
  text: string;
  html: string;
}

/** Domain whose recipients the test SMTP server refuses for good (550), as a mailbox that does not exist. */
export const bouncingDomain = 'bounce.example';

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  if (encoding?.toLowerCase() === 'quoted-printable') return decodeQuotedPrintable(body);
  if (encoding?.toLowerCase() === 'base64')
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/** RFC 2047 encoded words, as nodemailer writes non-ASCII headers. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_match, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function splitMessage(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, end).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.slice(end + 4) };
}

function parseEmail(raw: string, to: string[]): ReceivedEmail {
  const { headers, body } = splitMessage(raw);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  const sections = boundary === undefined ? [raw] : body.split(`--${boundary}`).slice(1, -1);
  for (const section of sections) {
    const part = splitMessage(section.replace(/^\r\n/, ''));
    const type = (part.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim();
    parts[type] = decodeBody(part.body, part.headers['content-transfer-encoding']);
  }
  return {
    from: decodeHeader(headers.from ?? ''),
    to,
    subject: decodeHeader(headers.subject ?? ''),
    headers,
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
  };
}

export interface TestSmtp {
  url: string;
  received: ReceivedEmail[];
  to(address: string): ReceivedEmail[];
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps what it receives and refuses mailboxes at `bouncingDomain`;
 * `delayMs` holds each message before accepting it, as a slow server would.
 */
export async function startTestSmtp(options: { delayMs?: number } = {}): Promise<TestSmtp> {
  const received: ReceivedEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith(`@${bouncingDomain}`)) {
        return callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        setTimeout(() => {
          received.push(parseEmail(Buffer.concat(chunks).toString('utf8'), to));
          callback();
        }, options.delayMs ?? 0);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to: (address) => received.filter((email) => email.to.includes(address)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface FollowUpHarness {
  emulator: TestEmulator;
  qbo: QboClient;
  db: TestDatabase;
  smtp: TestSmtp;
  temporal: Client;
  taskQueue: string;
  accountId: string;
  connectionId: string;
  service: FollowUpService;
  /** The origin serving the API's unsubscribe route, which the emails' `List-Unsubscribe` links point at. */
  apiUrl: string;
  /** Reads the company's customers and transactions through the QBO API into the projections, as a sync would. */
  project(options?: {
    deleted?: { entity: 'Invoice'; id: string }[];
    /** Invoices read as the document writer reads its own, with their payment link (`include=invoiceLink`). */
    withPaymentLinks?: string[];
  }): Promise<void>;
  /**
   * Sets the connection's policy as the API does, without its hourly schedule: runs happen only when a test starts
   * them, at the instants it names (the schedule's would judge by today's date, and could fire mid-test).
   */
  setPolicy(input: Parameters<FollowUpService['setPolicy']>[2]): Promise<void>;
  /** One reminders run judged at `asOf`, to completion. */
  runReminders(asOf: string): Promise<RemindersResult>;
  close(): Promise<void>;
}

/**
 * The follow-ups loop in one process: an emulator company (multi-currency, USD home), the database, a real SMTP server, a
 * worker on its own task queue with a mailer pointed at that server, a stored account and connection, and the
 * service the API uses. Data reaches MongoDB the way the sync engine puts it there (`applyRecords`).
 */
export async function startFollowUpHarness(): Promise<FollowUpHarness> {
  const emulator = await startTestEmulator({ startAt: new Date('2026-03-02T17:00:00Z') });
  const qbo = await emulator.company({
    companyName: 'Acme Supplies',
    multiCurrency: true,
    homeCurrency: 'USD',
  });
  const db = await openTestDatabase('followups');
  const smtp = await startTestSmtp();
  const accountId = uniqueName('acct');
  const connectionId = uniqueName('conn');
  const conn = db.mongoose.connection;
  await accountModel(conn).create({ _id: accountId, name: 'Acme CRM account', settings: {} });
  await connectionModel(conn).create({
    _id: connectionId,
    accountId,
    realmId: qbo.realmId,
    environment: 'sandbox',
    status: 'active',
    companyName: 'Acme Supplies',
    homeCurrency: 'USD',
    multiCurrency: true,
  });

  // The API's unsubscribe route over a real socket, signing with the secret the worker's links are signed with.
  const unsubscribeSecret = 'unsubscribe-secret-for-follow-up-tests';
  const api = createServer(
    createApp({
      readinessChecks: [],
      log: pino({ level: 'silent' }),
      routers: [createUnsubscribeRouter({ db: () => Promise.resolve(conn), secret: unsubscribeSecret })],
    }),
  ).listen(0, '127.0.0.1');
  await new Promise((resolve) => api.once('listening', resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  const taskQueue = uniqueName('followups');
  const mailer = new Mailer({ smtpUrl: smtp.url, from: 'billing@acme.example', timeoutMs: 2000 });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
  const worker: Worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    db: conn,
    qbo: new QboAccess(conn, qboAccessSettings(loadConfig({}))),
    mailer,
    unsubscribe: { baseUrl: apiUrl, secret: unsubscribeSecret },
    workflowBundlePath: workflowBundlePath(),
  });
  const workerRun = worker.run();
  const temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
  const service = new FollowUpService({ db: conn, temporal: () => Promise.resolve(temporal), taskQueue });

  const context = (): ProjectionContext => ({
    db: conn,
    connectionId,
    environment: 'sandbox',
    homeCurrency: 'USD',
    today: formatQboDate(emulator.clock.now(), 'America/Los_Angeles'),
    now: new Date(),
  });

  return {
    emulator,
    qbo,
    db,
    smtp,
    temporal,
    taskQueue,
    accountId,
    connectionId,
    service,
    apiUrl,
    async project(options = {}) {
      // First: the same version read again without its link is then no newer, and changes nothing.
      for (const id of options.withPaymentLinks ?? []) {
        const read = await qbo.request('GET', `/invoice/${id}`, { query: { include: 'invoiceLink' } });
        if (read.status !== 200) throw new Error(`read invoice ${id} failed: ${read.text}`);
        await applyRecords(context(), 'Invoice', [read.json.Invoice]);
      }
      for (const entity of ['Customer', 'Invoice', 'Payment', 'Estimate'] as const) {
        const result = await qbo.query(`select * from ${entity} maxresults 1000`);
        if (result.status !== 200) throw new Error(`query ${entity} failed: ${result.text}`);
        await applyRecords(context(), entity, result.json.QueryResponse[entity] ?? []);
      }
      for (const { entity, id } of options.deleted ?? []) {
        await applyTransactionDeleted(context(), entity, id, new Date().toISOString());
      }
    },
    async setPolicy(input) {
      await service.setPolicy(accountId, connectionId, input);
      await deleteReminderSchedule(temporal, connectionId);
    },
    runReminders(asOf) {
      return temporal.workflow.execute(remindersWorkflow, {
        workflowId: uniqueName(`reminders-${connectionId}`),
        taskQueue,
        args: [{ connectionId, asOf }],
      });
    },
    async close() {
      worker.shutdown();
      await workerRun;
      mailer.close();
      await nativeConnection.close();
      await temporal.connection.close();
      await smtp.close();
      await new Promise((resolve) => api.close(resolve));
      await emulator.close();
      await db.close();
    },
  };
}
