import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { ManagedProcess, freePort } from '../../src/stack/process';
import { Supervisor } from '../../src/stack/launcher';
import type { RunningService } from '../../src/stack/services';
import { eventually } from '../support/env';

/** A real child process: node running `script`. */
function nodeProcess(name: string, script: string): RunningService {
  const process_ = new ManagedProcess({
    name,
    command: process.execPath,
    args: ['-e', script],
    stopGraceMs: 2000,
  });
  return { process: process_, stop: () => process_.stop() };
}

const idle = 'setInterval(() => {}, 1000)';

describe('the launcher supervisor', () => {
  let supervisor: Supervisor;
  let lines: string[];
  let gaveUp: string[];
  beforeEach(() => {
    lines = [];
    gaveUp = [];
    supervisor = new Supervisor(
      (line) => void lines.push(line),
      (reason) => void gaveUp.push(reason),
      false,
    );
  });
  afterEach(() => supervisor.stopAll());

  it('restarts a service that dies on its own', async () => {
    const started: RunningService[] = [];
    await supervisor.start({
      name: 'flaky',
      start: () => {
        // The first process crashes at once; its replacement stays up.
        const service = nodeProcess('flaky', started.length === 0 ? 'process.exit(3)' : idle);
        started.push(service);
        return Promise.resolve(service);
      },
    });
    const log = await eventually(
      () => Promise.resolve(lines.join('\n')),
      (text) => text.endsWith('restarted'),
      10_000,
    );
    expect(log).toMatch(/exited unexpectedly \(code 3/);
    expect(started).toHaveLength(2);
    expect(started[1]?.process.pid).toBeDefined();
    expect(gaveUp).toEqual([]);
  });

  it('gives up, naming the service, when it cannot be started again', async () => {
    let attempts = 0;
    await supervisor.start({
      name: 'broken',
      start: () => {
        attempts += 1;
        if (attempts > 1) return Promise.reject(new Error('port 7233 is taken'));
        return Promise.resolve(nodeProcess('broken', 'process.exit(1)'));
      },
    });
    await eventually(
      () => Promise.resolve(gaveUp.length),
      (count) => count > 0,
      10_000,
    );
    expect(gaveUp).toEqual(['broken could not restart: port 7233 is taken']);
  });

  it('stops services in reverse order, without restarting them', async () => {
    const first = await supervisor.start({
      name: 'first',
      start: () => Promise.resolve(nodeProcess('first', idle)),
    });
    const second = await supervisor.start({
      name: 'second',
      start: () => Promise.resolve(nodeProcess('second', idle)),
    });
    await supervisor.stopAll();
    expect(lines.filter((line) => line.startsWith('stopping'))).toEqual([
      'stopping second',
      'stopping first',
    ]);
    await Promise.all([first.process.exited, second.process.exited]);
    expect(lines.join('\n')).not.toMatch(/unexpectedly|restarting/);
  });
});

describe('freePort', () => {
  it('hands out bindable ports below the range the kernel gives outgoing connections', async () => {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    // Hold a port the way a service would, so the next draw must avoid it.
    const port = await freePort();
    const held = net.createServer().listen(port, '127.0.0.1');
    await once(held, 'listening');
    try {
      const others = await Promise.all(Array.from({ length: 20 }, () => freePort()));
      for (const other of [port, ...others]) expect(other).toBeLessThan(Number(first));
      expect(others).not.toContain(port);
    } finally {
      held.close();
    }
  });
});
