import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { searchAttributeKeys } from '../../src/temporal/search-attributes';

const repoRoot = path.join(__dirname, '..', '..');
const composeFile = path.join(repoRoot, 'docker-compose.yml');

interface ComposeFile {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      command?: string[];
      environment?: Record<string, string>;
      network_mode?: string;
      ports?: string[];
    }
  >;
}

/** Installed by scripts/bootstrap.sh --test from Debian's docker-compose package; throws with its message if invalid. */
function dockerCompose(...args: string[]): string {
  return execFileSync('docker-compose', ['-f', composeFile, ...args], { cwd: repoRoot, encoding: 'utf8' });
}

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose config -q', () => {
    // Quiet and valid: nothing on stdout, and no throw (an invalid file throws with docker-compose's message).
    expect(dockerCompose('config', '-q')).toBe('');
  });

  // The file as docker-compose resolves it: anchors merged, defaults filled in.
  const compose = parse(dockerCompose('config')) as ComposeFile;

  it('runs MongoDB 7, Temporal with its UI, the QBO emulator, the API and the worker', () => {
    expect(compose.services.mongo?.image).toBe('mongo:7');
    expect(compose.services.temporal?.command).toEqual(expect.arrayContaining(['server', 'start-dev']));
    expect(compose.services.api?.build).toBeDefined();
    expect(compose.services.worker?.command).toEqual(['node', 'dist/worker/main.js']);
    expect(compose.services.api?.command).toEqual(['node', 'dist/api/main.js']);
    expect(compose.services.emulator?.command?.[1]).toBe('dist/emulator/main.js');
  });

  it('gives the API and the worker an environment their configuration accepts, pointing at the emulator', () => {
    for (const name of ['api', 'worker']) {
      const config = loadConfig(compose.services[name]?.environment ?? {});
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(new URL(config.QBO_API_BASE_URL).port).toBe('4010');
    }
    // The browser reaches the API and the emulator on the ports published by the namespace they share.
    expect(compose.services.api?.network_mode).toBe('service:emulator');
    expect(compose.services.emulator?.ports?.join(' ')).toMatch(/4010.*3000/);
  });

  it('registers exactly the search attributes the workflows use', () => {
    const registered = (compose.services.temporal?.command ?? [])
      .filter((arg) => arg.startsWith('--search-attribute='))
      .map((arg) => arg.slice('--search-attribute='.length))
      .sort();
    const expected = searchAttributeKeys.map((key) => `${key.name}=Keyword`).sort();
    expect(registered).toEqual(expected);
  });
});
