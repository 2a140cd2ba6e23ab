import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The Temporal CLI does not ship as a downloadable binary here, so it is built from the Go module proxy once per
 * machine into a per-user cache shared by every clone and CI run.
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
} satisfies Record<string, ToolSpec>;

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.QBO_SYNC_TOOLS_DIR) return path.resolve(env.QBO_SYNC_TOOLS_DIR);
  const cacheHome = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'qbo-sync', 'bin');
}

/** Where the pinned build lives: one folder per version (`temporal@v1.5.1`), so a bump never reuses a stale binary. */
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
    await run('go', ['install', `${spec.module}@${spec.version}`], { ...env, GOBIN: buildDir }, log);
    renameSync(built, target);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  log(`built ${target} in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: target, source: 'built' };
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

/**
 * A Java server assembled from Maven Central jars and the project's own Java sources, compiled with `javac` once
 * per machine into the same per-user cache. Its folder is named after the pinned release and a digest of the jars
 * and sources, so an edit to either builds a new one beside the old.
 */
export interface JavaToolSpec {
  /** The launcher script's name, and the cache folder's. */
  binary: string;
  /** The release of the main library the jars pin. */
  version: string;
  /** The project's Java sources, relative to the repository root. */
  sourceDir: string;
  mainClass: string;
  /** `group:artifact:version` and the SHA-256 of its jar, exactly: nothing is resolved at build time. */
  jars: { coordinates: string; sha256: string }[];
  /** JVM flags the launcher passes before the class path. */
  jvmOptions: string[];
  pathVariable: string;
}

export const javaTools = {
  mongoServer: {
    binary: 'mongo-server',
    version: '1.47.0',
    sourceDir: 'src/stack/mongo-server',
    mainClass: 'qbosync.mongoserver.EmbeddedMongoServer',
    jars: [
      [
        'de.bwaldvogel:mongo-java-server-core:1.47.0',
        '9a34c9ad6ac6261906295481838256033ec1efc8c93a3e3828e5d47a006b0bd4',
      ],
      [
        'de.bwaldvogel:mongo-java-server-h2-backend:1.47.0',
        '58ca6760a25f8a05adfe8a0f7a8a042ca22bd472869028755931507cdce20e71',
      ],
      ['com.h2database:h2:2.3.232', '8dae62d22db8982c3dcb3826edb9c727c5d302063a67eef7d63d82de401f07d3'],
      [
        'io.netty:netty-buffer:4.2.2.Final',
        '4820eeb2d3db269b20b30711e3d7d21979664249aaf10fc67f90dee935810747',
      ],
      [
        'io.netty:netty-codec:4.2.2.Final',
        '6a4ea3cedc831a377e20e32da5df4d2a47b954810e941138e3358e313db3a7f9',
      ],
      [
        'io.netty:netty-codec-base:4.2.2.Final',
        '76987614ccb2fda7d3292b69ba5b61351f30e91bf5c7d8fa4b51bc32c9f67456',
      ],
      [
        'io.netty:netty-codec-compression:4.2.2.Final',
        '005734e20aceb5e2c030033f7e042c81ee444497efd110cfca8de445642652ac',
      ],
      [
        'io.netty:netty-codec-marshalling:4.2.2.Final',
        'ae8bb7a077ca02357c922e3abc1acf1bf191d5e2776721d69cbca50a16281096',
      ],
      [
        'io.netty:netty-codec-protobuf:4.2.2.Final',
        'cfe0c7e6e68d83480a639b533eb7edaaf3252cfae8b73d0e362859673a4f9d97',
      ],
      [
        'io.netty:netty-common:4.2.2.Final',
        '5d022f3acad74cb0f195f60213500a4000d1340e5e941edaf1a0e756686b9bae',
      ],
      [
        'io.netty:netty-handler:4.2.2.Final',
        'd4ef582c78125457baa0cfa52992b5fb1bb9172d1a2c03b726e8b26e17d3fe2c',
      ],
      [
        'io.netty:netty-resolver:4.2.2.Final',
        'fa7841ffe2e39d52251814fb8560d6936b10ae7c67453ee50426b83fd5170ba0',
      ],
      [
        'io.netty:netty-transport:4.2.2.Final',
        '116d766a1af4722fe76a4cdaed969644985d44e08ec1337d2dbab697dd109603',
      ],
      [
        'io.netty:netty-transport-native-unix-common:4.2.2.Final',
        'aa8821a7ea2ca47f62740bd1f37d67deb97824cc77e76dde6ae2c439a923fc9d',
      ],
      ['org.slf4j:slf4j-api:2.0.17', '7b751d952061954d5abfed7181c1f645d336091b679891591d63329c622eb832'],
      ['org.slf4j:slf4j-simple:2.0.17', 'ddfea59ac074c6d3e24ac2c38622d2d963895e17f70b38ed4bdae4d780be6964'],
    ].map(([coordinates, sha256]) => ({ coordinates: coordinates!, sha256: sha256! })),
    // A small heap and the serial collector: on two cores a second GC thread only competes with the services.
    jvmOptions: [
      '-XX:+UseSerialGC',
      '-Xmx1g',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      // A client that hangs up is routine, not an error worth a stack trace.
      '-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoExceptionHandler=off',
    ],
    pathVariable: 'MONGO_SERVER_PATH',
  },
} satisfies Record<string, JavaToolSpec>;

/** Maven Central, or the mirror `MAVEN_REPOSITORY_URL` names. */
function mavenRepository(env: NodeJS.ProcessEnv): string {
  return (env.MAVEN_REPOSITORY_URL ?? 'https://repo1.maven.org/maven2').replace(/\/$/, '');
}

function jarUrl(repository: string, coordinates: string): string {
  const [group, artifact, version] = coordinates.split(':') as [string, string, string];
  return `${repository}/${group.replace(/\./g, '/')}/${artifact}/${version}/${artifact}-${version}.jar`;
}

function javaToolDigest(spec: JavaToolSpec, root: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([spec.mainClass, spec.jars, spec.jvmOptions]));
  const sourceDir = path.join(root, spec.sourceDir);
  for (const file of readdirSync(sourceDir)
    .filter((name) => name.endsWith('.java'))
    .sort())
    hash.update(file).update(readFileSync(path.join(sourceDir, file)));
  return hash.digest('hex').slice(0, 12);
}

/** The launcher of the build for these sources, e.g. `~/.cache/qbo-sync/bin/mongo-server@1.47.0+3f2a…/bin/mongo-server`. */
export function cachedJavaToolPath(
  spec: JavaToolSpec,
  env: NodeJS.ProcessEnv = process.env,
  root = repositoryRoot,
): string {
  const folder = `${spec.binary}@${spec.version}+${javaToolDigest(spec, root)}`;
  return path.join(toolsDir(env), folder, 'bin', spec.binary);
}

const repositoryRoot = path.resolve(__dirname, '..', '..');

export function locateJavaTool(
  spec: JavaToolSpec,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; source: ToolSource } | undefined {
  const explicit = env[spec.pathVariable];
  if (explicit) {
    if (!isExecutable(explicit))
      throw new Error(`${spec.pathVariable}=${explicit} is not an executable file`);
    return { path: explicit, source: 'env' };
  }
  const cached = cachedJavaToolPath(spec, env);
  return isExecutable(cached) ? { path: cached, source: 'cache' } : undefined;
}

/** A JDK program: from JAVA_HOME when set, else from PATH. */
function jdkProgram(name: 'java' | 'javac', env: NodeJS.ProcessEnv): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', name) : name;
}

/**
 * Returns the launcher for `spec`, building it when missing: the pinned jars are downloaded and checked against
 * their SHA-256, the sources compiled, and a launcher script written, all in a private folder renamed into place.
 */
export async function ensureJavaTool(
  spec: JavaToolSpec,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ path: string; source: ToolSource }> {
  const found = locateJavaTool(spec, env);
  if (found) return found;

  const launcher = cachedJavaToolPath(spec, env);
  const target = path.dirname(path.dirname(launcher));
  mkdirSync(path.dirname(target), { recursive: true });
  const buildDir = mkdtempSync(path.join(path.dirname(target), '.build-'));
  const started = Date.now();
  log(`building ${spec.binary} ${spec.version} from Maven Central jars and ${spec.sourceDir}`);
  try {
    const lib = path.join(buildDir, 'lib');
    mkdirSync(lib);
    const repository = mavenRepository(env);
    await Promise.all(
      spec.jars.map(async ({ coordinates, sha256 }) => {
        const url = jarUrl(repository, coordinates);
        const response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        const bytes = Buffer.from(await response.arrayBuffer());
        const actual = createHash('sha256').update(bytes).digest('hex');
        if (actual !== sha256) throw new Error(`${url}: SHA-256 ${actual}, expected ${sha256}`);
        writeFileSync(path.join(lib, path.basename(new URL(url).pathname)), bytes);
      }),
    );
    const sourceDir = path.join(repositoryRoot, spec.sourceDir);
    const sources = readdirSync(sourceDir)
      .filter((name) => name.endsWith('.java'))
      .map((name) => path.join(sourceDir, name));
    const javac = jdkProgram('javac', env);
    await run(
      javac,
      [
        '--release',
        '17',
        '-encoding',
        'UTF-8',
        '-d',
        path.join(buildDir, 'classes'),
        '-cp',
        `${lib}/*`,
        ...sources,
      ],
      env,
      log,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (a JDK 17 or later is needed once; on Debian: default-jdk-headless)`);
    });
    mkdirSync(path.join(buildDir, 'bin'));
    const script = path.join(buildDir, 'bin', spec.binary);
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        `# ${spec.binary} ${spec.version}: built by qbo-sync (src/stack/tools.ts) from ${spec.sourceDir}`,
        'here=$(cd "$(dirname "$0")/.." && pwd)',
        `exec "\${JAVA_HOME:+$JAVA_HOME/bin/}java" ${spec.jvmOptions.join(' ')} -cp "$here/classes:$here/lib/*" ${spec.mainClass} "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    try {
      renameSync(buildDir, target);
    } catch (error) {
      // Another clone finished first: use its build.
      if (!locateJavaTool(spec, env)) throw error;
      rmSync(buildDir, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(buildDir, { recursive: true, force: true });
    throw error;
  }
  log(`built ${launcher} in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: launcher, source: 'built' };
}
