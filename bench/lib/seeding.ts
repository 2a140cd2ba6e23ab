import { QboEmulator } from '../../src/emulator/emulator';
import { seedCompany, type SeedSummary } from '../../src/emulator/seed';
import { median, round } from './stats';

export interface SeedRun {
  ms: number;
  recordsPerSecond: number;
  summary: SeedSummary;
}

export interface SeedBenchResult {
  customers: number;
  transactions: number;
  runs: SeedRun[];
  medianMs: number;
  medianRecordsPerSecond: number;
}

/** Times `seedCompany` in-process; each run gets a new emulator and company so no run inherits another's heap. */
export async function runSeedBench(
  customers: number,
  transactions: number,
  runs = 3,
): Promise<SeedBenchResult> {
  const results: SeedRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const emulator = new QboEmulator();
    const company = emulator.createCompany({ companyName: `Seed Bench ${run}` });
    const started = performance.now();
    const summary = seedCompany(company, { customers, transactions, seed: 42 });
    const ms = performance.now() - started;
    results.push({
      ms: round(ms, 0),
      recordsPerSecond: round((customers + transactions) / (ms / 1000), 0),
      summary,
    });
    await emulator.close();
  }
  const medianMs = median(results.map((result) => result.ms));
  return {
    customers,
    transactions,
    runs: results,
    medianMs,
    medianRecordsPerSecond: round((customers + transactions) / (medianMs / 1000), 0),
  };
}
