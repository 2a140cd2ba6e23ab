import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../src/stack/process';
import { eventually } from '../support/env';

const parentScript = path.join(__dirname, '..', 'support', 'parent-of-emulator.ts');

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a parent that starts the emulator; resolves with both once the emulator listens. */
async function startParent(exitWithParent: boolean) {
  const port = await freePort();
  const parent = spawn(
    process.execPath,
    ['--import', 'tsx', parentScript, String(port), exitWithParent ? 'yes' : 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let childPid = 0;
  for await (const line of createInterface({ input: parent.stdout })) {
    const pid = /^child pid (\d+)/.exec(line);
    if (pid) childPid = Number(pid[1]);
    if (line.startsWith('QBO emulator listening')) break;
  }
  return { parent, childPid, port };
}

describe('our Node services started by the launcher or the tests', () => {
  it('stop when their parent is SIGKILLed, which no signal handler of the parent could arrange', async () => {
    const { parent, childPid } = await startParent(true);
    expect(isRunning(childPid)).toBe(true);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    expect(
      await eventually(
        () => Promise.resolve(isRunning(childPid)),
        (running) => !running,
        10_000,
      ),
    ).toBe(false);
  });

  it('would otherwise outlive it', async () => {
    const { parent, childPid, port } = await startParent(false);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    try {
      // An answer after the parent's death: the child's event loop has run past it, so whatever the death could
      // set off in the child has had its turn.
      const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect(health.status).toBe(200);
      expect(isRunning(childPid)).toBe(true);
    } finally {
      process.kill(childPid, 'SIGKILL');
    }
  });
});
