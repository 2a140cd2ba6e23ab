import { loadStackConfig } from './config';
import { describeDemo, setUpDemo } from './demo';
import { Supervisor, startStack } from './launcher';
import {
  ensureJavaTool,
  ensurePythonTool,
  ensureTool,
  javaTools,
  pythonTools,
  tools,
  type JavaToolSpec,
  type ToolSpec,
} from './tools';
import { redactUri } from '../logger';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function ensureTools(specs: ToolSpec[]): Promise<void> {
  for (const spec of specs) {
    const found = await ensureTool(spec, (line) => say(`setup    │ ${line}`));
    say(`setup    │ ${spec.binary}: ${found.path} (${found.source})`);
  }
}

async function ensureJavaTools(specs: JavaToolSpec[]): Promise<void> {
  for (const spec of specs) {
    const found = await ensureJavaTool(spec, (line) => say(`setup    │ ${line}`));
    say(`setup    │ ${spec.binary}: ${found.path} (${found.source})`);
  }
}

/** Builds whatever tool the configuration needs and does not have yet. */
async function setup(): Promise<void> {
  const config = loadStackConfig();
  await ensureTools(config.TEMPORAL_ADDRESS ? [] : [tools.temporal]);
  await ensureJavaTools(config.MONGODB_URI ? [] : [javaTools.mongoServer]);
}

/**
 * Installs what only the test suite needs: both servers even when the shared test stack uses existing ones (the
 * launcher and outage tests start and stop private servers of their own), Temporal's time-skipping test server, for
 * the workflow tests in test/workflows, and schemathesis, which fuzzes the API from its OpenAPI document.
 */
async function setupTest(): Promise<void> {
  await ensureTools([tools.temporal]);
  await ensureJavaTools(Object.values(javaTools));
  for (const spec of Object.values(pythonTools)) {
    const found = await ensurePythonTool(spec, (line) => say(`setup    │ ${line}`));
    say(`setup    │ ${spec.binary}: ${found.command.at(-1)} (${found.source})`);
  }
}

async function up(): Promise<void> {
  const config = loadStackConfig();
  let shuttingDown = false;
  const supervisor = new Supervisor(
    say,
    (reason) => {
      say(`giving up: ${reason}`);
      void shutdown(1);
    },
    process.stdout.isTTY,
  );
  const shutdown = async (code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    say('stopping qbo-sync…');
    await supervisor.stopAll();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const endpoints = await startStack(config, supervisor, say);
    say(
      [
        '',
        'qbo-sync is up',
        `  API            ${endpoints.apiUrl}   (health: /healthz, readiness: /readyz)`,
        `  Console        ${endpoints.apiUrl}/console   (a sign-in link: npm run ops -- console link <accountId>)`,
        `  Temporal UI    ${endpoints.temporalUiUrl ?? '(external Temporal: use its own UI)'}`,
        `  QBO emulator   ${endpoints.emulatorUrl ? `${endpoints.emulatorUrl}   (demo company; admin API at /__admin/companies)` : '(disabled)'}`,
        `  Temporal gRPC  ${endpoints.temporalAddress}   (namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE})`,
        `  MongoDB        ${redactUri(endpoints.mongodbUri)}`,
        `  Data           ${config.dataDir}`,
      ].join('\n'),
    );
    if (endpoints.emulatorUrl && config.QBO_DEMO_ENABLED) {
      const demo = await setUpDemo(
        {
          apiUrl: endpoints.apiUrl,
          emulatorUrl: endpoints.emulatorUrl,
          mongodbUri: endpoints.mongodbUri,
          temporalAddress: endpoints.temporalAddress,
          namespace: config.TEMPORAL_NAMESPACE,
        },
        say,
      );
      say(
        [
          '',
          ...describeDemo(
            demo,
            {
              apiUrl: endpoints.apiUrl,
              temporalUiUrl: endpoints.temporalUiUrl,
              namespace: config.TEMPORAL_NAMESPACE,
              emulatorUrl: endpoints.emulatorUrl,
            },
            new Date(),
          ),
        ].join('\n'),
      );
    }
    say('Press Ctrl-C to stop.\n');
  } catch (error) {
    say(`start failed: ${(error as Error).message}`);
    await shutdown(1);
  }
}

const commands: Record<string, () => Promise<void>> = { setup, 'setup-test': setupTest, up };
const command = process.argv[2] ?? 'up';
const run = commands[command];
if (!run) {
  say(`unknown command "${command}"; use one of: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
run().catch((error: unknown) => {
  say(`${command} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
