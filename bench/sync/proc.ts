import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { round } from '../lib/stats';

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const ticksPerSecond = clockTicksPerSecond();

export interface ProcReading {
  /** User + system CPU time of the process (all its threads), in seconds. */
  cpuSeconds: number;
  rssBytes: number;
}

/** `/proc/<pid>/stat` fields 14 and 15 (utime, stime) and `/proc/<pid>/status` VmRSS. */
export function readProc(pid: number): ProcReading {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses; the fields after its closing one do not.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / ticksPerSecond, rssBytes: rssKb * 1024 };
}

export interface ProcessLoad {
  /** CPU seconds over wall seconds: 1 is one core busy all the time. */
  cores: number;
  cpuSeconds: number;
  rssMbAvg: number;
  rssMbMax: number;
}

export interface MonitorResult {
  seconds: number;
  processes: Record<string, ProcessLoad>;
}

/** Samples named processes once a second over a window and reports each one's CPU and memory. */
export class ProcessMonitor {
  private readonly first = new Map<string, ProcReading>();
  private readonly rss = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    this.startedAt = performance.now();
    for (const [name, pid] of Object.entries(this.pids)) {
      const reading = readProc(pid);
      this.first.set(name, reading);
      this.rss.set(name, [reading.rssBytes]);
    }
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      try {
        this.rss.get(name)!.push(readProc(pid).rssBytes);
      } catch {
        // The process ended; its last readings stand.
      }
    }
  }

  stop(): MonitorResult {
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const processes: Record<string, ProcessLoad> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const last = readProc(pid);
      const rss = [...this.rss.get(name)!, last.rssBytes];
      const cpuSeconds = last.cpuSeconds - this.first.get(name)!.cpuSeconds;
      processes[name] = {
        cores: round(cpuSeconds / seconds, 3),
        cpuSeconds: round(cpuSeconds, 2),
        rssMbAvg: round(rss.reduce((sum, value) => sum + value, 0) / rss.length / 2 ** 20, 1),
        rssMbMax: round(Math.max(...rss) / 2 ** 20, 1),
      };
    }
    return { seconds: round(seconds, 1), processes };
  }
}

/** CPU seconds of a process since it started, for a cheap before/after around one piece of work. */
export function cpuSecondsOf(pid: number): number {
  return readProc(pid).cpuSeconds;
}
