import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The two servers the local stack needs. Neither ships as a downloadable binary here, so both are built from the
 * Go module proxy once per machine into a per-user cache shared by every clone and CI run.
 */
export interface ToolSpec {
  binary: string;
  module: string;
  /** Later Temporal CLI tags carry a `replace` directive that `go install` refuses; keep this pin. */
  version: string;
  /** Environment variable that points at an existing binary and skips the build. */
  pathVariable: string;
  /**
   * Some modules need a generated file that their release process writes and the module proxy lacks. Such a
   * module is built from a writable copy of its source with that file written, exactly as its maintainers
   * instruct, instead of with a plain `go install`.
   */
  generatedFile?: { moduleRoot: string; path: string; content: string };
}

export const tools = {
  temporal: {
    binary: 'temporal',
    module: 'github.com/temporalio/cli/cmd/temporal',
    version: 'v1.5.1',
    pathVariable: 'TEMPORAL_CLI_PATH',
  },
  ferretdb: {
    binary: 'ferretdb',
    module: 'github.com/FerretDB/FerretDB/cmd/ferretdb',
    version: 'v1.24.2',
    pathVariable: 'FERRETDB_PATH',
    // Without build/version/version.txt the binary panics at start ("Please run `bin/task gen-version`").
    generatedFile: {
      moduleRoot: 'github.com/FerretDB/FerretDB',
      path: 'build/version/version.txt',
      content: 'v1.24.2',
    },
  },
} satisfies Record<string, ToolSpec>;

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QBO_SYNC_TOOLS_DIR) return path.resolve(env.QBO_SYNC_TOOLS_DIR);
  const cacheHome = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'qbo-sync', 'bin');
}

/** Where the pinned build lives: one folder per version, so a version bump never reuses a stale binary. */
export function cachedToolPath(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolsDir(env), `${spec.binary}@${spec.version}`, spec.binary);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export type ToolSource = 'env' | 'path' | 'cache' | 'built';

/** Finds a usable binary without building anything: explicit variable, then PATH, then the cache. */
export function locateTool(
  spec: ToolSpec,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; source: ToolSource } | undefined {
  const explicit = env[spec.pathVariable];
  if (explicit) {
    if (!isExecutable(explicit))
      throw new Error(`${spec.pathVariable}=${explicit} is not an executable file`);
    return { path: explicit, source: 'env' };
  }
  const onPath = findOnPath(spec.binary, env);
  if (onPath) return { path: onPath, source: 'path' };
  const cached = cachedToolPath(spec, env);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/**
 * Returns a binary for `spec`, building it with `go install` into the cache when nothing usable exists. The build
 * goes to a private folder and is renamed into place, so two clones building at once never see half a binary.
 */
export async function ensureTool(
  spec: ToolSpec,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ path: string; source: ToolSource }> {
  const found = locateTool(spec, env);
  if (found) return found;

  const target = cachedToolPath(spec, env);
  const targetDir = path.dirname(target);
  mkdirSync(targetDir, { recursive: true });
  const buildDir = mkdtempSync(path.join(targetDir, '.build-'));
  const started = Date.now();
  log(`building ${spec.module}@${spec.version} (first run on this machine; this takes a while)`);
  try {
    const built = path.join(buildDir, spec.binary);
    if (spec.generatedFile) await buildFromSourceCopy(spec, spec.generatedFile, buildDir, built, env, log);
    else await run('go', ['install', `${spec.module}@${spec.version}`], { ...env, GOBIN: buildDir }, log);
    renameSync(built, target);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  log(`built ${target} in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: target, source: 'built' };
}

async function buildFromSourceCopy(
  spec: ToolSpec,
  generated: NonNullable<ToolSpec['generatedFile']>,
  buildDir: string,
  output: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  const download = await run(
    'go',
    ['mod', 'download', '-json', `${generated.moduleRoot}@${spec.version}`],
    env,
    log,
  );
  const moduleDir = (JSON.parse(download) as { Dir: string }).Dir;
  const source = path.join(buildDir, 'src');
  // The module cache is read-only; the copy must be writable to take the generated file.
  cpSync(moduleDir, source, { recursive: true });
  await run('chmod', ['-R', 'u+w', source], env, log);
  writeFileSync(path.join(source, generated.path), `${generated.content}\n`);
  const packagePath = `./${path.posix.relative(generated.moduleRoot, spec.module)}`;
  await run('go', ['build', '-buildvcs=false', '-o', output, packagePath], env, log, source);
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  cwd?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('error', (error) =>
      reject(new Error(`${command} could not start (${error.message}); is Go installed and on PATH?`)),
    );
    child.on('exit', (code) => {
      if (code === 0) resolve(stdout);
      else {
        log(tail.trim());
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      }
    });
  });
}
