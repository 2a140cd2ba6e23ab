import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { searchAttributeKeys } from '../../src/temporal/search-attributes';

const repoRoot = path.join(__dirname, '..', '..');
const composeFile = path.join(repoRoot, 'docker-compose.yml');

interface ComposeFile {
  services: Record<
    string,
    { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string> }
  >;
}

describe('docker-compose.yml', () => {
  it('is accepted by docker-compose config -q', () => {
    // Installed by scripts/bootstrap.sh --test from Debian's docker-compose package; throws with its message if invalid.
    execFileSync('docker-compose', ['-f', composeFile, 'config', '-q'], { cwd: repoRoot, stdio: 'pipe' });
  });

  const compose = parse(readFileSync(composeFile, 'utf8')) as ComposeFile;

  it('runs MongoDB 7, Temporal with its UI, the API and the worker', () => {
    expect(compose.services.mongo?.image).toBe('mongo:7');
    expect(compose.services.temporal?.command).toEqual(expect.arrayContaining(['server', 'start-dev']));
    expect(compose.services.api?.build).toBeDefined();
    expect(compose.services.worker?.command).toEqual(['node', 'dist/worker/main.js']);
    expect(compose.services.api?.command).toEqual(['node', 'dist/api/main.js']);
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
