import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  cachedJavaToolDir,
  cachedToolPath,
  ensureTool,
  javaTools,
  locateJavaTool,
  locateTool,
  toolsDir,
  tools,
} from '../../src/stack/tools';

/** A script that prints what the real binary prints for `--version`. */
function fakeExecutable(file: string, mode = 0o755, version = releaseOutput[path.basename(file)]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\necho '${version}'\n`);
  chmodSync(file, mode);
  return file;
}

const releaseOutput: Record<string, string> = {
  temporal: 'temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)',
};

describe('locating the Temporal CLI', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'qbo-tools-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const spec = tools.temporal;

  it('keeps one cache folder per pinned version under the per-user cache', () => {
    expect(toolsDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/qbo-sync/bin');
    expect(toolsDir({ QBO_SYNC_TOOLS_DIR: '/opt/t' })).toBe('/opt/t');
    expect(cachedToolPath(spec, { QBO_SYNC_TOOLS_DIR: '/opt/t' })).toBe('/opt/t/temporal@v1.5.1/temporal');
  });

  it('prefers an explicit path, then PATH, then the cache', () => {
    const cacheDir = path.join(root, 'cache');
    const cached = fakeExecutable(cachedToolPath(spec, { QBO_SYNC_TOOLS_DIR: cacheDir }));
    const onPath = fakeExecutable(path.join(root, 'bin', 'temporal'));
    const explicit = fakeExecutable(path.join(root, 'elsewhere', 'temporal'));
    const env = { QBO_SYNC_TOOLS_DIR: cacheDir, PATH: path.join(root, 'bin') };

    expect(locateTool(spec, { ...env, TEMPORAL_CLI_PATH: explicit })).toEqual({
      path: explicit,
      source: 'env',
    });
    expect(locateTool(spec, env)).toEqual({ path: onPath, source: 'path' });
    expect(locateTool(spec, { ...env, PATH: '' })).toEqual({ path: cached, source: 'cache' });
    expect(locateTool(spec, { QBO_SYNC_TOOLS_DIR: path.join(root, 'empty'), PATH: '' })).toBeUndefined();
  });

  it('ignores files on PATH that are not executable', () => {
    fakeExecutable(path.join(root, 'bin', 'temporal'), 0o644);
    expect(locateTool(spec, { PATH: path.join(root, 'bin'), QBO_SYNC_TOOLS_DIR: root })).toBeUndefined();
  });

  it('rejects an explicit path that is not an executable, naming the variable', () => {
    expect(() => locateTool(spec, { TEMPORAL_CLI_PATH: path.join(root, 'missing') })).toThrow(
      /TEMPORAL_CLI_PATH=/,
    );
  });

  it('passes over a binary on PATH that is not a Temporal CLI', () => {
    fakeExecutable(path.join(root, 'bin', 'temporal'), 0o755, 'tctl version 1.18.0');
    const cached = fakeExecutable(cachedToolPath(spec, { QBO_SYNC_TOOLS_DIR: root }));
    expect(locateTool(spec, { PATH: path.join(root, 'bin'), QBO_SYNC_TOOLS_DIR: root })).toEqual({
      path: cached,
      source: 'cache',
    });
  });

  it('does not build what it can find', async () => {
    const onPath = fakeExecutable(path.join(root, 'bin', 'temporal'));
    const log: string[] = [];
    const found = await ensureTool(spec, (line) => log.push(line), {
      PATH: path.join(root, 'bin'),
    });
    expect(found).toEqual({ path: onPath, source: 'path' });
    expect(log).toEqual([]);
  });
});

describe('locating the embedded MongoDB server', () => {
  const spec = javaTools.mongoServer;
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'qbo-tools-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of the repository's Java sources, to edit without touching the real ones. */
  function sourceCopy(): string {
    const copy = path.join(root, 'repo');
    mkdirSync(path.join(copy, spec.sourceDir), { recursive: true });
    writeFileSync(path.join(copy, spec.sourceDir, 'Main.java'), 'class Main {}\n');
    return copy;
  }

  it('caches one build per release and set of sources: an edited source builds anew', () => {
    const repo = sourceCopy();
    const env = { QBO_SYNC_TOOLS_DIR: '/opt/t' };
    const before = cachedJavaToolDir(spec, env, repo);
    expect(before).toMatch(/^\/opt\/t\/mongo-server@1\.47\.0\+[0-9a-f]{8}$/);
    expect(cachedJavaToolDir(spec, env, repo)).toBe(before);
    writeFileSync(path.join(repo, spec.sourceDir, 'Main.java'), 'class Main { int changed; }\n');
    expect(cachedJavaToolDir(spec, env, repo)).not.toBe(before);
  });

  it('prefers MONGO_SERVER_PATH, then the cache, and builds nothing to find out', () => {
    const explicit = fakeExecutable(path.join(root, 'elsewhere', 'mongo-server'), 0o755, 'x');
    expect(locateJavaTool(spec, { MONGO_SERVER_PATH: explicit })).toEqual({ path: explicit, source: 'env' });
    const env = { QBO_SYNC_TOOLS_DIR: path.join(root, 'cache') };
    expect(locateJavaTool(spec, env)).toBeUndefined();
    const cached = fakeExecutable(path.join(cachedJavaToolDir(spec, env), spec.binary), 0o755, 'x');
    expect(locateJavaTool(spec, env)).toEqual({ path: cached, source: 'cache' });
    expect(() => locateJavaTool(spec, { MONGO_SERVER_PATH: path.join(root, 'missing') })).toThrow(
      /MONGO_SERVER_PATH=/,
    );
  });
});
