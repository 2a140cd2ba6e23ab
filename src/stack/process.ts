import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export type LineSink = (line: string) => void;

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives every line the process prints on stdout or stderr. */
  onLine?: LineSink;
  /** How long a SIGTERM may take before SIGKILL follows. */
  stopGraceMs?: number;
  /**
   * For our Node services: an IPC channel whose closing tells the child this process is gone, even after a SIGKILL
   * (see `stopWhenParentExits` in src/lifecycle.ts).
   */
  exitWithParent?: boolean;
}

/** Every process started through this module, so that an abrupt exit of the parent still takes them down. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a plain SIGKILL is the only thing we can still do here.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * A child process with its output forwarded line by line, an `exited` promise, and a stop that escalates from
 * SIGTERM to SIGKILL. The child is killed when this process exits, so nothing is left orphaned.
 */
export class ManagedProcess {
  readonly name: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly stopGraceMs: number;
  private stopping = false;

  constructor(options: ManagedProcessOptions) {
    installExitHook();
    this.name = options.name;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.exitWithParent ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    };
    this.child = spawn(options.command, options.args, spawnOptions);
    // The channel is only there to close when this process dies; it must not keep this process alive.
    this.child.channel?.unref();
    live.add(this.child);
    const sink = options.onLine ?? (() => undefined);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', sink);
    }
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      });
      this.child.on('error', (error) => {
        sink(`failed to start: ${error.message}`);
        live.delete(this.child);
        resolve({ code: -1, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends a signal without waiting; used by tests that simulate a crash. */
  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), this.stopGraceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The first port of the kernel's range for outgoing connections' source ports (Linux default 32768). */
function ephemeralRangeStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 2048 ? first : 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port for a service that will bind it a moment later. It is drawn below the kernel's ephemeral range:
 * a port from that range (what `listen(0)` hands out) can be taken as the source port of any outgoing connection
 * before the service binds it, which a busy test run does.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const end = ephemeralRangeStart();
  const start = Math.max(1024, Math.floor(end / 2));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = randomInt(start, end);
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port between ${start} and ${end} on ${host}`);
}

/**
 * Polls `probe` until it resolves, the process dies, or `timeoutMs` passes. The last probe error is kept so a
 * failure says why the service never became ready.
 */
export async function waitUntilReady(
  name: string,
  probe: () => Promise<void>,
  options: { timeoutMs: number; intervalMs?: number; process?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.process?.hasExited) throw new Error(`${name} exited before it became ready`);
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${name} was not ready within ${options.timeoutMs} ms: ${reason}`);
}
