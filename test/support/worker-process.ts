import path from 'node:path';
import { ManagedProcess } from '../../src/stack/process';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * The real worker entry point in a process of its own, so a test can crash it with SIGKILL. Its metrics listen on a
 * free port (the "worker started" line says which); `onLine` sees every line it writes.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  options: { onLine?: (line: string) => void } = {},
): Promise<ManagedProcess> {
  const output: string[] = [];
  let announceStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (announceStarted = resolve));
  const worker = new ManagedProcess({
    name: 'worker',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(repoRoot, 'src/worker/main.ts')],
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', WORKER_METRICS_PORT: '0', ...env },
    onLine: (line) => {
      output.push(line);
      options.onLine?.(line);
      if (line.includes('"worker started"')) announceStarted();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    started.then(() => 'started' as const),
    worker.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 60_000))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'started') {
    worker.kill('SIGKILL');
    throw new Error(`worker process ${outcome} before it started:\n${output.join('\n')}`);
  }
  return worker;
}
