import { execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
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
  /** What `<binary> --version` prints for a compatible release; a binary on PATH that prints otherwise is passed over. */
  compatibleVersion: RegExp;
  /**
   * Some modules need a generated file that their release process writes and the module proxy lacks. Such a
   * module is built from a writable copy of its source with that file written, exactly as its maintainers
   * instruct, instead of with a plain `go install`.
   */
  generatedFile?: { moduleRoot: string; path: string; content: string };
  /** Fixes applied to that copy of the source; their name goes into the cache folder's, so builds never mix. */
  patches?: { name: string; file: string; replace: string; with: string }[];
}

export const tools = {
  temporal: {
    binary: 'temporal',
    module: 'github.com/temporalio/cli/cmd/temporal',
    version: 'v1.5.1',
    pathVariable: 'TEMPORAL_CLI_PATH',
    // A source build reports `0.0.0-DEV`: any Temporal CLI runs the dev server the same way.
    compatibleVersion: /^temporal version /m,
  },
  ferretdb: {
    binary: 'ferretdb',
    module: 'github.com/FerretDB/FerretDB/cmd/ferretdb',
    version: 'v1.24.2',
    pathVariable: 'FERRETDB_PATH',
    // FerretDB 2.x dropped the SQLite backend this stack runs it with.
    compatibleVersion: /^version: v1\./m,
    // Without build/version/version.txt the binary panics at start ("Please run `bin/task gen-version`").
    generatedFile: {
      moduleRoot: 'github.com/FerretDB/FerretDB',
      path: 'build/version/version.txt',
      content: 'v1.24.2',
    },
    patches: [
      {
        // FerretDB looks documents up by `_ferretdb_sjson->'$._id'`, but its unique _id index is on
        // `->"_id"`; SQLite only uses an expression index for the identical expression, so every lookup, update
        // and delete by _id scanned the whole table while holding the database's one write lock ("database is
        // locked" under concurrent writers). The two expressions mean the same in SQLite. Measured: 60 writers
        // on 30,000 documents, 231 updates in 30 s (p50 2.6 s) before, 13,456 (p50 23 ms) after.
        name: 'id-index',
        file: 'internal/backends/sqlite/metadata/metadata.go',
        replace: `IDColumn = DefaultColumn + "->'$._id'"`,
        with: `IDColumn = DefaultColumn + "->'_id'"`,
      },
    ],
  },
} satisfies Record<string, ToolSpec>;

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QBO_SYNC_TOOLS_DIR) return path.resolve(env.QBO_SYNC_TOOLS_DIR);
  const cacheHome = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'qbo-sync', 'bin');
}

/**
 * Where the pinned build lives: one folder per version and set of patches (`ferretdb@v1.24.2+id-index`), so a
 * version bump or a new patch never reuses a stale binary.
 */
export function cachedToolPath(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  const patches = (spec.patches ?? []).map((patch) => `+${patch.name}`).join('');
  return path.join(toolsDir(env), `${spec.binary}@${spec.version}${patches}`, spec.binary);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function printsCompatibleVersion(binary: string, spec: ToolSpec): boolean {
  try {
    return spec.compatibleVersion.test(
      execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }),
    );
  } catch {
    return false;
  }
}

function findOnPath(spec: ToolSpec, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, spec.binary);
    if (isExecutable(candidate) && printsCompatibleVersion(candidate, spec)) return candidate;
  }
  return undefined;
}

export type ToolSource = 'env' | 'path' | 'cache' | 'built';

/** Finds a usable binary without building anything: explicit variable, then a compatible one on PATH, then the cache. */
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
  const onPath = findOnPath(spec, env);
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
  for (const patch of spec.patches ?? []) {
    const file = path.join(source, patch.file);
    const text = readFileSync(file, 'utf8');
    if (text.split(patch.replace).length !== 2)
      throw new Error(`patch ${patch.name}: ${patch.file} does not contain ${patch.replace} exactly once`);
    writeFileSync(file, text.replace(patch.replace, patch.with));
    log(`patched ${patch.file} (${patch.name})`);
  }
  const packagePath = `./${path.posix.relative(generated.moduleRoot, spec.module)}`;
  // -trimpath keeps the temporary folder's name out of the build, so a rebuild reuses Go's build cache.
  await run('go', ['build', '-trimpath', '-buildvcs=false', '-o', output, packagePath], env, log, source);
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
      reject(
        new Error(
          `${command} could not start (${error.message}); is ${command === 'go' ? 'Go' : command} installed and on PATH?`,
        ),
      ),
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

/**
 * A Python command-line tool that only the test suite needs, installed from PyPI with pip into its own virtual
 * environment in the same per-user cache. Its flags change between releases, so only the pinned version is used:
 * the `*_PATH` variable, else the cached venv, never whatever `PATH` has.
 */
export interface PythonToolSpec {
  /** The console script the package installs, and the cache folder's name. */
  binary: string;
  /** The PyPI requirement, pinned. */
  requirement: string;
  version: string;
  pathVariable: string;
}

export const pythonTools = {
  schemathesis: {
    binary: 'schemathesis',
    requirement: 'schemathesis==4.32.5',
    version: '4.32.5',
    pathVariable: 'SCHEMATHESIS_PATH',
  },
} satisfies Record<string, PythonToolSpec>;

/** The pinned venv's folder, e.g. `~/.cache/qbo-sync/bin/schemathesis@4.32.5`. */
export function cachedVenvPath(spec: PythonToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolsDir(env), `${spec.binary}@${spec.version}`);
}

/**
 * How to run a Python tool: `[program, ...leading arguments]`. A cached venv's script is run by the venv's own
 * Python rather than through its shebang, which names the private folder the venv was built in.
 */
export function locatePythonTool(
  spec: PythonToolSpec,
  env: NodeJS.ProcessEnv = process.env,
): { command: string[]; source: ToolSource } | undefined {
  const explicit = env[spec.pathVariable];
  if (explicit) {
    if (!isExecutable(explicit))
      throw new Error(`${spec.pathVariable}=${explicit} is not an executable file`);
    return { command: [explicit], source: 'env' };
  }
  const venv = cachedVenvPath(spec, env);
  const python = path.join(venv, 'bin', 'python');
  const script = path.join(venv, 'bin', spec.binary);
  // isExecutable follows the python symlink, so a venv whose base interpreter is gone counts as missing.
  if (isExecutable(python) && isExecutable(script)) return { command: [python, script], source: 'cache' };
  return undefined;
}

/**
 * Returns a way to run `spec`, installing it with `python3 -m venv` and pip into the cache when it is missing. The
 * venv is built in a private folder and renamed into place, so two clones installing at once never see half of it.
 */
export async function ensurePythonTool(
  spec: PythonToolSpec,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ command: string[]; source: ToolSource }> {
  const found = locatePythonTool(spec, env);
  if (found) return found;

  const target = cachedVenvPath(spec, env);
  mkdirSync(path.dirname(target), { recursive: true });
  const buildDir = mkdtempSync(path.join(path.dirname(target), '.build-'));
  const started = Date.now();
  log(`installing ${spec.requirement} from PyPI into ${target}`);
  try {
    const venv = path.join(buildDir, 'venv');
    await run('python3', ['-m', 'venv', venv], env, log).catch((error: Error) => {
      throw new Error(`${error.message} (Python 3 with venv is needed; on Debian: python3-venv)`);
    });
    await run(
      path.join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', spec.requirement],
      env,
      log,
    );
    try {
      renameSync(venv, target);
    } catch (error) {
      // Another clone finished first: use its venv.
      if (!locatePythonTool(spec, env)) throw error;
    }
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  log(`installed ${target} in ${Math.round((Date.now() - started) / 1000)} s`);
  const installed = locatePythonTool(spec, env);
  if (!installed) throw new Error(`${spec.binary} is missing from ${target} after installing it`);
  return { ...installed, source: 'built' };
}
