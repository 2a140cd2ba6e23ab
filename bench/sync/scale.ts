import { connectionModel } from '../../src/db/models/connection';
import { connectionWorkflowId } from '../../src/temporal/connection-workflows';
import { statusQuery } from '../../src/workflows/connection-messages';
import { round, summarizeLatency, type LatencySummary } from '../lib/stats';
import {
  Crm,
  emulatorAdmin,
  mapLimit,
  seededCompany,
  sleep,
  subscribeIntuitWebhooks,
  waitFor,
  type BenchAccount,
} from './crm';
import { resetCollection } from './collections';
import { ProcessMonitor, type MonitorResult } from './proc';
import type { BenchStack } from './stack';
import { meets, targets } from './targets';
import { readTraffic, type TrafficSummary } from './traffic';
import { monotonicNowUs, type MonotonicWindow } from './cpu-profile';
import { activeWindowMs } from '../../src/sync/polling';

export interface ScaleOptions {
  /** Company counts to measure, ascending; each step connects the difference. */
  companies: number[];
  pollIntervalSeconds: number;
  windowSeconds: number;
  baselineSeconds: number;
  /** After the CPU window: QBO edits per second on random companies, to see freshness under the load. */
  probeEditsPerSecond: number;
  probeSeconds: number;
}

interface Company {
  realmId: string;
  account: BenchAccount;
  connectionId: string;
}

export interface ScaleStep {
  companies: number;
  connectSeconds: number;
  window: MonitorResult;
  /** The same window on the monotonic clock, to cut the worker's CPU profile to it. */
  monotonicWindow: MonotonicWindow;
  /** CDC polls the emulator answered in the window (every QBO request of an idle company is one). */
  polls: number;
  pollsPerSecond: number;
  /** CPU milliseconds per poll above the idle baseline, per process. */
  cpuMsPerPoll: Record<string, number>;
  /** The sync's own processes together: worker + Temporal + database. */
  cpuMsPerPollSyncTotal: number;
  /** One connection workflow: history events per loop turn, and how many turns fit before continue-as-new. */
  history: { events: number; bytes: number | null; cycles: number; eventsPerCycle: number } | null;
  probe: LatencySummary & { lost: number };
  traffic: TrafficSummary;
  targets: Record<'probeP95Ms' | 'cpuMsPerPoll', { target: number; met: boolean }>;
}

/** The processes whose CPU a poll costs (`bench`, holding the emulator and the CRM, is the load generator). */
export const syncProcesses = ['worker', 'temporal', 'database'] as const;

export interface ScaleResult {
  options: ScaleOptions;
  /** Why the steps stopped early, when they did (the steps measured until then are kept). */
  error?: string;
  baseline: MonitorResult;
  steps: ScaleStep[];
}

async function connectCompany(
  stack: BenchStack,
  crm: Crm,
  index: number,
  pollIntervalSeconds: number,
): Promise<Company> {
  const company = await seededCompany(stack, `Scale ${index}`, { customers: 3, transactions: 0 });
  await subscribeIntuitWebhooks(stack, company.realmId);
  const account = await crm.newAccount(`Scale CRM ${index}`);
  await crm.subscribe(account);
  // An existing CRM tenant connecting its books: no backfill here, the steady state is what is measured.
  const connection = await crm.connect(account, company.realmId, false);
  if (connection.settings.pollIntervalSeconds !== pollIntervalSeconds)
    await crm.ok(account, 'PATCH', `/v1/connections/${connection.id}`, { pollIntervalSeconds });
  return { realmId: company.realmId, account, connectionId: connection.id };
}

async function historyOf(stack: BenchStack, company: Company): Promise<ScaleStep['history']> {
  try {
    const handle = stack.temporal.workflow.getHandle(connectionWorkflowId(company.connectionId));
    const [description, status] = await Promise.all([handle.describe(), handle.query(statusQuery)]);
    const cycles = status.cyclesThisRun ?? 0;
    return {
      events: description.historyLength,
      bytes: description.historySize ?? null,
      cycles,
      eventsPerCycle: cycles > 0 ? round(description.historyLength / cycles, 1) : 0,
    };
  } catch {
    return null;
  }
}

/**
 * Benchmark 3: N connected companies that change nothing, each polling CDC on its timer. The window's CPU and
 * memory per process, per poll above the idle baseline, with a light probe of QBO edits to check that freshness
 * holds under the load.
 */
export async function runScaleBench(
  stack: BenchStack,
  options: ScaleOptions,
  log: (line: string) => void,
): Promise<ScaleResult> {
  const crm = new Crm(stack);
  const { pids } = stack;
  // A clean database, so that no earlier benchmark's records weigh on the polls measured here.
  const db = stack.db.connection.db!;
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray())
    await resetCollection(db, name);
  log(`scale: idle baseline, ${options.baselineSeconds} s`);
  const baselineMonitor = new ProcessMonitor(pids);
  baselineMonitor.start();
  await sleep(options.baselineSeconds * 1000);
  const baseline = baselineMonitor.stop();

  const companies: Company[] = [];
  const steps: ScaleStep[] = [];
  const result: ScaleResult = { options, baseline, steps };
  for (const target of options.companies) {
    try {
      await measureStep(target);
    } catch (error) {
      // Keep what was measured: a larger step failing says where this machine's limit is.
      result.error = `${target} companies: ${error instanceof Error ? error.message : String(error)}`;
      log(`scale: stopped at ${target} companies: ${result.error}`);
      break;
    }
  }
  return result;

  async function measureStep(target: number): Promise<void> {
    const connectStarted = performance.now();
    log(`scale: connecting companies ${companies.length + 1}..${target}`);
    const added = await mapLimit(
      Array.from({ length: target - companies.length }, (_, offset) => companies.length + offset + 1),
      4,
      (index) => connectCompany(stack, crm, index, options.pollIntervalSeconds),
    );
    companies.push(...added);
    const ids = companies.map((company) => company.connectionId);
    await waitFor(
      'every connection to poll once',
      () =>
        connectionModel(stack.db.connection).countDocuments({
          _id: { $in: ids },
          lastPolledAt: { $exists: true },
        }),
      (polled) => polled === ids.length,
      600_000,
      500,
    );
    const connectSeconds = round((performance.now() - connectStarted) / 1000, 1);
    // A company that changed lately polls every 10 s for five minutes, and a company just connected may count as
    // changed: the window measures companies that change nothing, so it starts once the last one connected is idle.
    const settleMs = activeWindowMs + options.pollIntervalSeconds * 1000;
    log(
      `scale: ${target} companies connected in ${connectSeconds} s; settling ${settleMs / 1000} s until all are idle`,
    );
    await sleep(settleMs);

    const realmIds = companies.map((company) => company.realmId);
    const before = await readTraffic(stack, realmIds);
    log(`scale: measuring ${target} companies for ${options.windowSeconds} s`);
    const monitor = new ProcessMonitor(pids);
    const fromUs = monotonicNowUs();
    monitor.start();
    await sleep(options.windowSeconds * 1000);
    const window = monitor.stop();
    const monotonicWindow = { fromUs, toUs: monotonicNowUs() };
    const after = await readTraffic(stack, realmIds);
    const polls = after.requests - before.requests;

    log(`scale: probing freshness at ${target} companies for ${options.probeSeconds} s`);
    const probes: { marker: string; at: number; latencyMs?: number }[] = [];
    const pending = new Map<string, (typeof probes)[number]>();
    const unsubscribe = stack.receiver.onEvent(({ at, event }) => {
      const notes = event.data.contact?.notes;
      const probe = typeof notes === 'string' ? pending.get(notes) : undefined;
      if (!probe) return;
      probe.latencyMs = at - probe.at;
      pending.delete(probe.marker);
    });
    const probeEnd = performance.now() + options.probeSeconds * 1000;
    for (let sent = 0; performance.now() < probeEnd; sent += 1) {
      const company = companies[Math.floor(Math.random() * companies.length)]!;
      const marker = `probe ${target} ${sent}`;
      const probe = { marker, at: performance.now() };
      probes.push(probe);
      pending.set(marker, probe);
      await emulatorAdmin(stack, 'POST', `/companies/${company.realmId}/entities/Customer`, {
        operation: 'update',
        entity: { Id: String(1 + (sent % 3)), Notes: marker },
      });
      await sleep(Math.max(0, 1000 / options.probeEditsPerSecond - 1));
    }
    const drainUntil = performance.now() + 15_000;
    while (pending.size > 0 && performance.now() < drainUntil) await sleep(100);
    unsubscribe();
    const cpuMsPerPoll: Record<string, number> = {};
    for (const [name, load] of Object.entries(window.processes)) {
      const idle = baseline.processes[name]?.cores ?? 0;
      cpuMsPerPoll[name] = polls > 0 ? round(((load.cores - idle) * window.seconds * 1000) / polls, 2) : 0;
    }
    const measured = probes.filter((probe) => probe.latencyMs !== undefined).map((probe) => probe.latencyMs!);
    const probe = { ...summarizeLatency(measured), lost: probes.length - measured.length };
    const cpuMsPerPollSyncTotal = round(
      syncProcesses.reduce((sum, name) => sum + (cpuMsPerPoll[name] ?? 0), 0),
      2,
    );
    steps.push({
      companies: target,
      connectSeconds,
      window,
      monotonicWindow,
      polls,
      pollsPerSecond: round(polls / window.seconds, 2),
      cpuMsPerPoll,
      cpuMsPerPollSyncTotal,
      history: await historyOf(stack, companies[0]!),
      probe,
      traffic: await readTraffic(stack, realmIds),
      targets: {
        probeP95Ms: {
          target: targets.scaleProbeP95Ms.value,
          met: probe.count > 0 && meets(targets.scaleProbeP95Ms, probe.p95),
        },
        cpuMsPerPoll: {
          target: targets.scaleCpuMsPerPoll.value,
          met: polls > 0 && meets(targets.scaleCpuMsPerPoll, cpuMsPerPollSyncTotal),
        },
      },
    });
    log(
      `scale: ${target} companies: ${round(polls / window.seconds, 2)} polls/s; worker ${window.processes.worker?.cores} cores, ` +
        `temporal ${window.processes.temporal?.cores}, database ${window.processes.database?.cores}`,
    );
  }
}
