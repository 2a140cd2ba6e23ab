import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { redeemConsoleSignInToken } from '../../src/accounts/console-sign-in';
import { ManagedProcess, freePort } from '../../src/stack/process';
import { connectMongo } from '../../src/db/connect';
import { selfTestModel } from '../../src/db/models/self-test';
import { descendantsOf, isAlive } from '../support/processes';
import { eventually } from '../support/env';

const repoRoot = path.join(__dirname, '..', '..');

/** `npm start` minus the bootstrap: the launcher itself, on free ports and a data folder of its own. */
class Launcher {
  readonly output: string[] = [];
  readonly process: ManagedProcess;

  constructor(env: NodeJS.ProcessEnv) {
    this.process = new ManagedProcess({
      name: 'launcher',
      command: process.execPath,
      args: ['--import', 'tsx', path.join(repoRoot, 'src/stack/cli.ts'), 'up'],
      cwd: repoRoot,
      env,
      onLine: (line) => this.output.push(line),
      stopGraceMs: 30_000,
    });
  }

  async waitFor(text: string, timeoutMs = 90_000): Promise<void> {
    const found = await eventually(
      () => Promise.resolve(this.output.some((line) => line.includes(text)) || this.process.hasExited),
      (done) => done,
      timeoutMs,
    );
    if (!found || !this.output.some((line) => line.includes(text))) {
      throw new Error(`launcher never printed "${text}":\n${this.output.join('\n')}`);
    }
  }
}

describe('npm start: the local stack launcher', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'qbo-launcher-'));
  let env: NodeJS.ProcessEnv;
  let ports: { api: number; temporal: number; ui: number; mongo: number; emulator: number };
  const launchers: Launcher[] = [];

  beforeAll(async () => {
    ports = {
      api: await freePort(),
      temporal: await freePort(),
      ui: await freePort(),
      mongo: await freePort(),
      emulator: await freePort(),
    };
    env = {
      ...process.env,
      QBO_SYNC_DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
    };
    env.TEMPORAL_UI_PORT = String(ports.ui);
    env.MONGODB_PORT = String(ports.mongo);
    env.QBO_EMULATOR_PORT = String(ports.emulator);
    env.QBO_EMULATOR_CUSTOMERS = '5';
    env.QBO_EMULATOR_TRANSACTIONS = '10';
    // The launcher must start its own servers, not reuse the test stack's.
    delete env.TEMPORAL_ADDRESS;
    delete env.MONGODB_URI;
  });

  afterAll(async () => {
    await Promise.all(launchers.map((launcher) => launcher.process.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('brings everything up, restarts a crashed worker, and stops without leaving a process behind', async () => {
    const launcher = new Launcher(env);
    launchers.push(launcher);
    await launcher.waitFor('qbo-sync is up');
    // The demo connects the emulator's company through the real API and runs its reminders once.
    await launcher.waitFor('Press Ctrl-C to stop.');
    const printed = launcher.output.join('\n');
    expect(printed).toMatch(/Demo: Sandbox Company US is connected to the "Demo CRM" account/);
    const apiKey = /API key +(qbs_\S+)/.exec(printed)?.[1];
    const connections = await fetch(`http://127.0.0.1:${ports.api}/v1/connections`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(((await connections.json()) as { data: { status: string }[] }).data).toEqual([
      expect.objectContaining({ status: 'active', companyName: 'Sandbox Company US' }),
    ]);
    // The follow-ups are told as they happened: recorded for the CRM, none delivered without an endpoint.
    expect(printed).not.toMatch(/\d+ sent\b/);
    const planned = Number(/planned (\d+) \(overdue invoices/.exec(printed)?.[1]);
    expect(planned).toBeGreaterThan(0);
    expect(printed).toMatch(new RegExp(`recorded +${planned} followup\\.created events for the CRM`));
    expect(printed).toMatch(/delivered +0: the account has no webhook endpoint/);
    expect(printed).toMatch(/emailed +0: email is off in the follow-up policy/);
    expect(printed).toContain(`Console        http://127.0.0.1:${ports.api}/console`);
    expect(printed).toMatch(
      new RegExp(
        `Temporal UI    http://127\\.0\\.0\\.1:${ports.ui}/namespaces/default/schedules/reminders:conn_`,
      ),
    );
    // The console link signs in once.
    const signInToken = /console#signInToken=(qcs_\S+)/.exec(printed)?.[1];
    const mongo = await connectMongo(`mongodb://127.0.0.1:${ports.mongo}/qbo-sync`, 5000);
    try {
      expect(await redeemConsoleSignInToken(mongo.connection, signInToken!)).toMatchObject({ ok: true });
      expect(await redeemConsoleSignInToken(mongo.connection, signInToken!)).toEqual({
        ok: false,
        reason: 'used',
      });
    } finally {
      await mongo.disconnect();
    }

    // `npm run ops` beside it finds its database and Temporal on the same non-default ports, from the same variables.
    const ops = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', path.join(repoRoot, 'src/ops/cli.ts'), ...args],
          { cwd: repoRoot, env, timeout: 60_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const listed = await ops('connections', 'list', '--json');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const [demoConnection] = JSON.parse(listed.stdout) as { id: string; companyName: string }[];
    expect(demoConnection?.companyName).toBe('Sandbox Company US');
    const status = await ops('connections', 'status', demoConnection!.id, '--json');
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'active', workflow: { state: 'syncing' } });

    expect(launcher.output.join('\n')).toContain(`Temporal UI    http://127.0.0.1:${ports.ui}`);
    const ready = await fetch(`http://127.0.0.1:${ports.api}/readyz`);
    expect(ready.status).toBe(200);
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html/i);
    const companies = await fetch(`http://127.0.0.1:${ports.emulator}/__admin/companies`);
    expect(
      ((await companies.json()) as { companies: { counts: { Customer: number } }[] }).companies[0]?.counts
        .Customer,
    ).toBe(5);

    const children = descendantsOf(launcher.process.pid!);
    const commandOf = (pid: number): string => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    };
    const worker = children.find((pid) => commandOf(pid).includes('src/worker/main.ts'));
    expect(worker).toBeDefined();
    expect(children.some((pid) => commandOf(pid).includes('server start-dev'))).toBe(true);
    expect(children.some((pid) => commandOf(pid).includes('qbosync.mongoserver.EmbeddedMongoServer'))).toBe(
      true,
    );
    expect(children.some((pid) => commandOf(pid).includes('src/emulator/main.ts'))).toBe(true);

    process.kill(worker!, 'SIGKILL');
    await launcher.waitFor('restarted');
    expect(launcher.output.join('\n')).toMatch(/worker +│ exited unexpectedly/);

    const everything = descendantsOf(launcher.process.pid!);
    launcher.process.kill('SIGINT');
    const { code } = await launcher.process.exited;
    expect(code).toBe(0);
    expect(launcher.output).toContain('stopped');
    await eventually(
      () => Promise.resolve(everything.filter(isAlive)),
      (alive) => alive.length === 0,
      10_000,
    );
    expect(everything.filter(isAlive)).toEqual([]);
    // The whole stack comes up, restarts a worker and stops: about 40 s alone, over two minutes in a loaded suite.
  }, 300_000);

  it('keeps workflows and records in its data folder across restarts', async () => {
    const launcher = new Launcher(env);
    launchers.push(launcher);
    await launcher.waitFor('qbo-sync is up');

    // Three self-tests so far: the first start, the worker's restart, and this start.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const mongo = await connectMongo(`mongodb://127.0.0.1:${ports.mongo}/qbo-sync`, 5000);
    try {
      const { count } = await new Client({ connection }).workflow.count("WorkflowType = 'selfTestWorkflow'");
      expect(count).toBe(3);
      expect(await selfTestModel(mongo.connection).countDocuments()).toBe(3);
    } finally {
      await connection.close();
      await mongo.disconnect();
    }
    launcher.process.kill('SIGINT');
    expect((await launcher.process.exited).code).toBe(0);
  });
});
