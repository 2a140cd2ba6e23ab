import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { round } from '../lib/stats';

/** The parts of V8's .cpuprofile format (node --cpu-prof) read here. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, idle included. */
  totalMs: number;
  /** Sampled time not idle: what the worker's one JavaScript thread spent working. */
  busyMs: number;
  /** Self time by where the code lives: an npm package, a src/ folder, or V8's own (GC, program). */
  byArea: { area: string; ms: number; share: number }[];
  /** The functions with the most self time. */
  topFunctions: { fn: string; area: string; ms: number; share: number }[];
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  const source = /\/(src\/[^/]+)\//.exec(url);
  if (source) return source[1]!;
  if (url.startsWith('node:')) return 'node core';
  return path.basename(url);
}

/**
 * A stretch of time on the monotonic clock, in microseconds: V8 stamps profile samples with it, and on Linux it is
 * the clock `process.hrtime` reads, so a window taken in the bench process selects samples of the worker's.
 */
export interface MonotonicWindow {
  fromUs: number;
  toUs: number;
}

export const monotonicNowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Self time per function and per area from a V8 CPU profile, optionally only of the samples inside a window. */
export function summarizeProfile(file: string, top = 15, window?: MonotonicWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const totalMs = [...self.values()].reduce((sum, value) => sum + value, 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, { fn: string; area: string; ms: number }>();
  let idleMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const key = `${functionName || '(anonymous)'} ${url}:${lineNumber + 1}`;
    const entry = functions.get(key) ?? {
      fn: `${functionName || '(anonymous)'} (${path.basename(url) || 'native'}:${lineNumber + 1})`,
      area,
      ms: 0,
    };
    entry.ms += ms;
    functions.set(key, entry);
  }
  const busyMs = totalMs - idleMs;
  const share = (ms: number): number => round((ms / busyMs) * 100, 1);
  return {
    file,
    totalMs: round(totalMs, 0),
    busyMs: round(busyMs, 0),
    byArea: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, ms]) => ({ area, ms: round(ms, 0), share: share(ms) })),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((entry) => ({ ...entry, ms: round(entry.ms, 0), share: share(entry.ms) })),
  };
}

/**
 * The newest main-thread profile in a folder: V8 writes one file per thread, `CPU.<date>.<time>.<pid>.<thread>.<n>`,
 * and thread 0 is the one that runs activities (workflows run in worker threads).
 */
export function newestMainThreadProfile(folder: string): string | undefined {
  return profilesIn(folder)
    .filter((file) => path.basename(file).split('.')[4] === '0')
    .at(-1);
}

/** Every thread's profile in a folder, oldest first: the main thread's and each workflow thread's. */
export function profilesIn(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((name) => name.endsWith('.cpuprofile'))
      .sort()
      .map((name) => path.join(folder, name));
  } catch {
    return [];
  }
}
