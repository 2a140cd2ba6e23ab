import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runAuditBench, type AuditOptions } from './sync/audit';
import { runBackfillBench, type BackfillOptions } from './sync/backfill';
import { newestMainThreadProfile, profilesIn, summarizeProfile } from './sync/cpu-profile';
import { runFreshnessBench, type FreshnessOptions } from './sync/freshness';
import { finishMachineInfo, machineInfo } from './sync/machine';
import { writeReport, printSummary, type RunRecord } from './sync/report';
import { runScaleBench, type ScaleOptions } from './sync/scale';
import { BenchStack } from './sync/stack';
import { round } from './lib/stats';

const usage = `Usage: npm run bench -- [backfill] [freshness] [scale] [budget] [audit] [--quick] [--profile] [--companies 100,1000]

Starts its own stack on 127.0.0.1 (Temporal dev server and the embedded MongoDB-wire server from the tool cache,
the QBO emulator with Intuit's limits, the API, the real worker) and runs the benchmarks named, or all of them.
"budget" is measured on the freshness load, so it runs that load; "audit" is the drift audit of issue 19. Results go to bench-results/; a full run (no
--quick) also rewrites docs/benchmarks.md and docs/benchmarks.svg, a quick run writes them to bench-results/ instead.

  --quick       small sizes, a smoke test of the whole thing in about two minutes
  --profile     CPU-profile the worker (V8 --cpu-prof, every thread) during the backfill and scale benchmarks
  --companies   company counts for the scale benchmark (default 100,1000; quick 20)
  --report-only rebuild docs/benchmarks.md and .svg from the newest full results in bench-results/`;

const names = ['backfill', 'freshness', 'scale', 'budget', 'audit'] as const;
type Name = (typeof names)[number];

const sizes: Record<
  'quick' | 'full',
  {
    backfill: BackfillOptions;
    freshness: FreshnessOptions;
    /** The freshness load is run once per entry, each on a stack of its own; the first is the headline. */
    freshnessLoads: Pick<FreshnessOptions, 'realms' | 'editsPerSecond'>[];
    scale: ScaleOptions;
    audit: AuditOptions;
  }
> = {
  full: {
    backfill: { customers: 10_000, transactions: 50_000, runs: 3 },
    freshness: {
      realms: 20,
      editsPerSecond: 20,
      contactsPerDirection: 10,
      warmupSeconds: 5,
      webhookSeconds: 60,
      pollingSeconds: 60,
      pollIntervalSeconds: 10,
    },
    // The load first; then a lighter one, to show the pipeline when the database is not saturated.
    freshnessLoads: [
      { realms: 20, editsPerSecond: 20 },
      { realms: 4, editsPerSecond: 4 },
    ],
    scale: {
      companies: [100, 1000],
      pollIntervalSeconds: 60,
      windowSeconds: 120,
      baselineSeconds: 30,
      probeEditsPerSecond: 1,
      probeSeconds: 60,
    },
    audit: {
      customers: 10_000,
      transactions: 50_000,
      editedCustomers: 100,
      deactivatedCustomers: 10,
      driftedInvoices: 30,
    },
  },
  quick: {
    backfill: { customers: 600, transactions: 2_400, runs: 3 },
    freshness: {
      realms: 4,
      editsPerSecond: 4,
      contactsPerDirection: 6,
      warmupSeconds: 2,
      webhookSeconds: 8,
      pollingSeconds: 12,
      pollIntervalSeconds: 10,
    },
    freshnessLoads: [{ realms: 4, editsPerSecond: 4 }],
    scale: {
      companies: [20],
      pollIntervalSeconds: 10,
      windowSeconds: 12,
      baselineSeconds: 3,
      probeEditsPerSecond: 1,
      probeSeconds: 6,
    },
    audit: {
      customers: 600,
      transactions: 2_400,
      editedCustomers: 20,
      deactivatedCustomers: 5,
      driftedInvoices: 5,
    },
  },
};

const startedAt = performance.now();

function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
}

function parse() {
  const { values, positionals } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      companies: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  for (const name of positionals)
    if (!(names as readonly string[]).includes(name))
      throw new Error(`unknown benchmark "${name}"\n${usage}`);
  const selected = new Set<Name>(positionals.length > 0 ? (positionals as Name[]) : names);
  const mode = values.quick ? ('quick' as const) : ('full' as const);
  const config = structuredClone(sizes[mode]);
  if (values.companies !== undefined) {
    const counts = values.companies.split(',').map(Number);
    if (counts.some((count) => !Number.isInteger(count) || count < 1))
      throw new Error(`--companies takes positive integers, e.g. 100,1000\n${usage}`);
    config.scale.companies = counts.sort((a, b) => a - b);
  }
  return { selected, mode, config, profile: values.profile, reportOnly: values['report-only'] };
}

async function main(): Promise<number> {
  const { selected, mode, config, profile, reportOnly } = parse();
  const resultsDir = path.resolve(__dirname, '..', 'bench-results');
  mkdirSync(resultsDir, { recursive: true });
  const record: RunRecord = { startedAt: new Date().toISOString(), mode, machine: machineInfo() };
  if (reportOnly) {
    // Rebuild docs/benchmarks.* from the newest full results already in bench-results/, without running anything.
    const written = writeReport({ ...record, mode: 'full' }, resultsDir);
    console.log(`report: ${written.map((name) => path.relative(process.cwd(), name)).join(', ')}`);
    return 0;
  }
  const file = path.join(resultsDir, `sync-${mode}-${record.startedAt.replace(/[:.]/g, '-')}.json`);
  const save = (): void => writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  let current: BenchStack | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping the stack`);
      void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  /**
   * Each benchmark gets a stack of its own (a few seconds to start), so none inherits another's records, workflows
   * or backlog. Its result is saved as soon as it is in; a benchmark that fails is recorded and the rest still run.
   */
  const bench = async (
    name: string,
    work: (stack: BenchStack) => Promise<void>,
    workerNodeArgs: string[] = [],
  ) => {
    const stack = new BenchStack({ log: progress, workerNodeArgs });
    current = stack;
    const start = round(os.loadavg()[0] ?? 0, 2);
    try {
      progress(`${name}: starting a stack (${mode} mode)`);
      await stack.start();
      (record.databases ??= {})[name] = stack.database;
      await work(stack);
    } catch (error) {
      progress(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (stack.workerOutput.length > 0)
        progress(`last worker output:\n${stack.workerOutput.slice(-20).join('\n')}`);
      (record.errors ??= {})[name] = error instanceof Error ? error.message : String(error);
    } finally {
      await stack.stop();
      current = undefined;
    }
    (record.loads ??= {})[name] = { start, end: round(os.loadavg()[0] ?? 0, 2) };
    save();
  };

  if (selected.has('backfill')) {
    const profileDir = path.join(resultsDir, 'profiles', record.startedAt.replace(/[:.]/g, '-'));
    await bench(
      'backfill',
      async (stack) => {
        record.backfill = await runBackfillBench(stack, config.backfill, progress);
        if (profile) {
          // The profile is written when the worker exits.
          await stack.restartWorker([]);
          const profileFile = newestMainThreadProfile(profileDir);
          if (profileFile) record.backfillWorkerProfile = summarizeProfile(profileFile);
          rmSync(profileDir, { recursive: true, force: true });
        }
      },
      profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
  }
  if (selected.has('freshness') || selected.has('budget')) {
    for (const [index, load] of config.freshnessLoads.entries()) {
      const name =
        index === 0 ? 'freshness' : `freshness, ${load.editsPerSecond}/s over ${load.realms} realms`;
      await bench(name, async (stack) => {
        const result = await runFreshnessBench(stack, { ...config.freshness, ...load }, progress);
        if (index === 0) record.freshness = result;
        else (record.freshnessAtOtherRates ??= []).push(result);
      });
    }
  }
  if (selected.has('scale')) {
    const profileDir = path.join(resultsDir, 'profiles', `scale-${record.startedAt.replace(/[:.]/g, '-')}`);
    await bench(
      'scale',
      async (stack) => {
        record.scale = await runScaleBench(stack, config.scale, progress);
        if (profile) {
          await stack.restartWorker([]);
          // Workflows run on worker threads, activities on the main one: each thread's share of every step's window.
          record.scaleWorkerProfiles = record.scale.steps.map((step) => ({
            companies: step.companies,
            threads: profilesIn(profileDir).map((file) => summarizeProfile(file, 25, step.monotonicWindow)),
          }));
          rmSync(profileDir, { recursive: true, force: true });
        }
      },
      profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
  }
  if (selected.has('audit'))
    await bench('audit', async (stack) => {
      record.audit = await runAuditBench(stack, config.audit, progress);
    });
  record.finishedAt = new Date().toISOString();
  record.machine = finishMachineInfo(record.machine);
  save();
  printSummary(record);
  const written = writeReport(record, resultsDir);
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  console.log(`report:  ${written.map((name) => path.relative(process.cwd(), name)).join(', ')}`);
  return record.errors ? 1 : 0;
}

// Exit explicitly: every server has been stopped by now, and a stray keep-alive socket must not hold the process.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
