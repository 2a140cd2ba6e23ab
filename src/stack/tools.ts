import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
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
 * A Java server assembled from Maven Central: a runtime classpath with each jar pinned by SHA-256, and our own
 * classes (a folder of sources) compiled against it. The cache folder holds the jars, our classes' jar, a
 * class-data-sharing archive (half the JVM's start-up: 0.7 s instead of 1.4 s) and a launcher script. Only the pinned
 * build is used: the `*_PATH` variable, else the cache.
 */
export interface JavaToolSpec {
  /** The launcher script the cache folder holds. */
  binary: string;
  version: string;
  pathVariable: string;
  /** Our sources, relative to the repository root; the main class's takes `--warm-up` (see ensureJavaTool). */
  sourceDir: string;
  mainClass: string;
  /** The runtime classpath as Maven resolves it (`mvn dependency:list`): `group:artifact:version` and SHA-256. */
  jars: (readonly [coordinates: string, sha256: string])[];
  jvmOptions: string[];
}

export const javaTools = {
  /**
   * The embedded MongoDB-wire server of the local stack and the tests: mongo-java-server on H2, with what qbo-sync
   * relies on added (src/stack/mongo-server, docs/architecture.md "The embedded database").
   */
  mongoServer: {
    binary: 'mongo-server',
    version: '1.47.0',
    pathVariable: 'MONGO_SERVER_PATH',
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
    ],
    jvmOptions: [
      // The serial collector: on two cores a second GC thread only competes with the services. The heap holds the
      // indexes, and a test run's whole in-memory store: 2 GB keeps a full suite's out of full-collection storms.
      '-XX:+UseSerialGC',
      '-Xmx2g',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      // A client that hangs up is routine, not an error worth a stack trace.
      '-Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoExceptionHandler=off',
    ],
  },
  /**
   * Temporal's time-skipping test server for `@temporalio/testing`, whose own download (a native build on GitHub)
   * is out of reach here. It is the same Java code the native build is compiled from; LoopbackTestServer starts it
   * as its own main class does, with the same arguments, on 127.0.0.1 instead of every interface.
   */
  temporalTestServer: {
    binary: 'temporal-test-server',
    version: '1.38.0',
    pathVariable: 'TEMPORAL_TEST_SERVER_PATH',
    sourceDir: 'src/stack/test-server',
    mainClass: 'LoopbackTestServer',
    jars: [
      ['com.cronutils:cron-utils:9.2.1', '02af0e8b2fe93c9fa6eecf97b53b39faae14c5b996356edb132e9fe620013744'],
      [
        'com.fasterxml.jackson.core:jackson-annotations:2.15.4',
        'f204ebbd552614a22b8531ffe350d47f8fd42c45bb60517c07974dc27a5a1dd3',
      ],
      [
        'com.fasterxml.jackson.core:jackson-core:2.15.4',
        '8dc9210dd285db366f45f518dd1e6a9ccfeb0f1a8e184a899fe96d29edf1fd94',
      ],
      [
        'com.fasterxml.jackson.core:jackson-databind:2.15.4',
        '0f99ff7719eef3ee85608b3dee6ecf3c698003fe9d6e34eabbfabccdc9b5ac2c',
      ],
      [
        'com.fasterxml.jackson.datatype:jackson-datatype-jdk8:2.15.4',
        '3efb9d55b62f50e64b11fe00625800285fef8781736b80bd206677fb56040aac',
      ],
      [
        'com.fasterxml.jackson.datatype:jackson-datatype-jsr310:2.15.4',
        '472498cbba2726012ff82f86fc8feef9593663bda1a695a17db804a63fa733ff',
      ],
      [
        'com.google.android:annotations:4.1.1.4',
        'ba734e1e84c09d615af6a09d33034b4f0442f8772dec120efb376d86a565ae15',
      ],
      [
        'com.google.api.grpc:proto-google-common-protos:2.59.2',
        '9407f50aef5d1cb12675c170fa64ee216023eefca49f8f5eac45124f23a6cb29',
      ],
      [
        'com.google.code.findbugs:jsr305:3.0.2',
        '766ad2a0783f2687962c8ad74ceecc38a28b9f72a2d085ee438b7813e928d0c7',
      ],
      [
        'com.google.code.gson:gson:2.10.1',
        '4241c14a7727c34feea6507ec801318a3d4a90f070e4525681079fb94ee4c593',
      ],
      [
        'com.google.errorprone:error_prone_annotations:2.36.0',
        '77440e270b0bc9a249903c5a076c36a722c4886ca4f42675f2903a1c53ed61a5',
      ],
      [
        'com.google.guava:failureaccess:1.0.3',
        'cbfc3906b19b8f55dd7cfd6dfe0aa4532e834250d7f080bd8d211a3e246b59cb',
      ],
      [
        'com.google.guava:guava:33.4.8-android',
        'a1f8a4bafe5a77232d333356843e194599b30837574a7f4be1063daaaaab102c',
      ],
      [
        'com.google.guava:listenablefuture:9999.0-empty-to-avoid-conflict-with-guava',
        'b372a037d4230aa57fbeffdef30fd6123f9c0c2db85d0aced00c91b974f33f99',
      ],
      [
        'com.google.j2objc:j2objc-annotations:3.0.0',
        '88241573467ddca44ffd4d74aa04c2bbfd11bf7c17e0c342c94c9de7a70a7c64',
      ],
      [
        'com.google.protobuf:protobuf-java-util:3.25.8',
        'e7196eaefc3f81afa1571821635c7aefe2933f4be4a9df9e601fb59214b50269',
      ],
      [
        'com.google.protobuf:protobuf-java:3.25.8',
        '72bdb32eb38cafb7dcd288262c29a34d57cba2e19101af9685155ba8c0a56008',
      ],
      ['com.uber.m3:tally-core:0.13.0', 'b3ccc572be36be91c47447c7778bc141a74591279cdb40224882e8ac8271b58b'],
      ['io.grpc:grpc-api:1.76.0', '13ce42c59871a04a7340f01e1dbd879fefa04811878cfd68864596321f555ed3'],
      ['io.grpc:grpc-context:1.76.0', '3b4eb9ca65fe5cd98b2665f9b355158fac5a048708626b5b68dc66c43fb820d3'],
      ['io.grpc:grpc-core:1.76.0', '00926861e7dcd9ce993a3ed3cb6f55b104c0a3ad0dad2cdde8680d1bcbd100b6'],
      ['io.grpc:grpc-inprocess:1.76.0', 'cb1f0095ab7f2603508433554ec7bd9602bbe0e3340ade262c58e911cb8ccc63'],
      [
        'io.grpc:grpc-netty-shaded:1.76.0',
        '196ef71498808fbd81555af0c5b00e0f6e8263d8e6d2bc115d36239088876328',
      ],
      [
        'io.grpc:grpc-protobuf-lite:1.76.0',
        '5fb276bfc4974182888e11c1c0115d9d01cb970a39fc75c8c73695d3da13d878',
      ],
      ['io.grpc:grpc-protobuf:1.76.0', '52a004da0065d39601257ded13c40e0e4dfcf74db1c55a9bf7932a88fc384809'],
      ['io.grpc:grpc-services:1.76.0', '64ed014542d83664b401faed38d6b32cbd624234481c71a7277c777937c0e902'],
      ['io.grpc:grpc-stub:1.76.0', 'e8d2fb3f6a75c8052c16173072111cb5140c8a0ad054a0c43188e0d1da162de6'],
      ['io.grpc:grpc-util:1.76.0', 'f342c19c9dc3ac9235a0b5d564834b326b375831373d5a9f87b2b5362553b17e'],
      [
        'io.micrometer:micrometer-core:1.9.9',
        'ddec1c877a32dcf4f5e6cab5efc22707975d1d7e0fb780bcffe505384c52070c',
      ],
      [
        'io.nexusrpc:nexus-sdk:0.5.0-alpha',
        '0619e8f4559b17bdc3610a4aeb9b961e414b3642ca15fcf1c9e3aed14b573175',
      ],
      ['io.perfmark:perfmark-api:0.27.0', 'c7b478503ec524e55df19b424d46d27c8a68aeb801664fadd4f069b71f52d0f6'],
      ['io.temporal:temporal-sdk:1.38.0', '4d0ed300118b9dcc1251a5ab6ced503e3ca35ac8c95a4b47500b98fc20a645d0'],
      [
        'io.temporal:temporal-serviceclient:1.38.0',
        '3a2b014541a0799fb182f3ae3b01ce0a5d706a70b57ee933ed4e702d7085e1c8',
      ],
      [
        'io.temporal:temporal-test-server:1.38.0',
        'c6c813bbee46dcdc9df5a018fe6ed4caaf79b0c3c9511a3dd6275232a6d8538e',
      ],
      [
        'org.codehaus.mojo:animal-sniffer-annotations:1.24',
        'c720e6e5bcbe6b2f48ded75a47bccdb763eede79d14330102e0d352e3d89ed92',
      ],
      [
        'org.hdrhistogram:HdrHistogram:2.1.12',
        '9b47fbae444feaac4b7e04f0ea294569e4bc282bc69d8c2ce2ac3f23577281e2',
      ],
      ['org.jspecify:jspecify:1.0.0', '1fad6e6be7557781e4d33729d49ae1cdc8fdda6fe477bb0cc68ce351eafdfbab'],
      [
        'org.latencyutils:LatencyUtils:2.0.3',
        'a32a9ffa06b2f4e01c5360f8f9df7bc5d9454a5d373cd8f361347fa5a57165ec',
      ],
      ['org.slf4j:slf4j-api:1.7.36', 'd3ef575e3e4979678dc01bf1dcce51021493b4d11fb7f1be8ad982877c16a1c0'],
      ['org.slf4j:slf4j-nop:1.7.36', 'c214958b07816cb4412b30c7bdbd4308ffdc6ba2a83767b8f3a9229cbd9274d6'],
    ],
    // Short-lived and small: the client compiler alone and a serial collector start fastest.
    jvmOptions: ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xmx512m'],
  },
} satisfies Record<string, JavaToolSpec>;

/** Maven Central, or the mirror `MAVEN_REPOSITORY_URL` names. */
function mavenRepository(env: NodeJS.ProcessEnv): string {
  return (env.MAVEN_REPOSITORY_URL ?? 'https://repo1.maven.org/maven2').replace(/\/$/, '');
}
/** Bound on each jar's download; the largest is 13 MB. */
const jarDownloadTimeoutMs = 120_000;

const repositoryRoot = path.resolve(__dirname, '..', '..');

/** Our sources of `spec`, sorted. */
function sourcesOf(spec: JavaToolSpec, root = repositoryRoot): string[] {
  const dir = path.join(root, spec.sourceDir);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.java'))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * The pinned folder, e.g. `~/.cache/qbo-sync/bin/temporal-test-server@1.38.0+9eb45bfe`: the suffix digests our
 * sources, the JVM options and the pins, so a change to any of them assembles a new folder instead of reusing one.
 */
export function cachedJavaToolDir(
  spec: JavaToolSpec,
  env: NodeJS.ProcessEnv = process.env,
  root = repositoryRoot,
): string {
  const sources = sourcesOf(spec, root).map((file) => [path.basename(file), readFileSync(file, 'utf8')]);
  const digest = createHash('sha256')
    .update(JSON.stringify([spec.mainClass, sources, spec.jvmOptions, spec.jars]))
    .digest('hex')
    .slice(0, 8);
  return path.join(toolsDir(env), `${spec.binary}@${spec.version}+${digest}`);
}

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
  const launcher = path.join(cachedJavaToolDir(spec, env), spec.binary);
  return isExecutable(launcher) ? { path: launcher, source: 'cache' } : undefined;
}

/** `java`, `javac` or `jar` from JAVA_HOME when it is set, else from PATH. */
function jdkCommand(name: string, env: NodeJS.ProcessEnv): string {
  return env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', name) : name;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Writes a file under a private name, then renames it into place: a reader never sees half of it. */
function writeAtomically(file: string, content: string | Buffer, mode = 0o644): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}

function sha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

async function downloadJar(
  coordinates: string,
  expected: string,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const [group, artifact, version] = coordinates.split(':') as [string, string, string];
  const url = `${mavenRepository(env)}/${group.replace(/\./g, '/')}/${artifact}/${version}/${artifact}-${version}.jar`;
  const response = await fetch(url, { signal: AbortSignal.timeout(jarDownloadTimeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const body = Buffer.from(await response.arrayBuffer());
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== expected)
    throw new Error(`${coordinates}: SHA-256 ${actual} from ${url}, but ${expected} is pinned`);
  writeAtomically(file, body);
}

/**
 * Returns the launcher of `spec`, assembling it in the cache when it is missing: jars downloaded and checked
 * against their pins, our main class compiled (a JDK is needed once), the class-data-sharing archive recorded from
 * a warm-up start, and the launcher script written last. Every file is written under a private name and renamed
 * into place, so two clones installing at once only do the same work twice; jars already there are kept.
 */
export async function ensureJavaTool(
  spec: JavaToolSpec,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ path: string; source: ToolSource }> {
  const found = locateJavaTool(spec, env);
  if (found) return found;

  const dir = cachedJavaToolDir(spec, env);
  const lib = path.join(dir, 'lib');
  mkdirSync(lib, { recursive: true });
  const started = Date.now();
  log(`installing ${spec.binary} ${spec.version} from Maven Central into ${dir}`);
  const jarFiles = spec.jars.map(([coordinates, digest]) => ({
    coordinates,
    digest,
    file: path.join(lib, `${coordinates.split(':').slice(1).join('-')}.jar`),
  }));
  const missing = jarFiles.filter((jar) => sha256(jar.file) !== jar.digest);
  // A few downloads at a time: most jars are small, and one slow answer should not hold up the rest.
  const queue = [...missing];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let jar = queue.shift(); jar; jar = queue.shift())
        await downloadJar(jar.coordinates, jar.digest, jar.file, env);
    }),
  );

  const classesDir = mkdtempSync(path.join(dir, '.classes-'));
  const mainJar = path.join(dir, `${spec.binary}-classes.jar`);
  const classpath = [mainJar, ...jarFiles.map((jar) => jar.file)].join(path.delimiter);
  try {
    const dependencies = jarFiles.map((jar) => jar.file).join(path.delimiter);
    const javacArgs = ['--release', '17', '-encoding', 'UTF-8', '-d', classesDir, '-cp', dependencies];
    await run(jdkCommand('javac', env), [...javacArgs, ...sourcesOf(spec)], env, log).catch(
      (error: Error) => {
        throw new Error(
          `${error.message} (a JDK 17 or later is needed once; on Debian: default-jdk-headless)`,
        );
      },
    );
    const temporaryJar = `${mainJar}.${process.pid}.tmp`;
    await run(jdkCommand('jar', env), ['--create', '--file', temporaryJar, '-C', classesDir, '.'], env, log);
    renameSync(temporaryJar, mainJar);
  } finally {
    rmSync(classesDir, { recursive: true, force: true });
  }

  // The archive is tied to this JVM and this exact classpath; with another JVM the launcher just starts slower.
  const archive = path.join(dir, 'classes.jsa');
  const temporaryArchive = `${archive}.${process.pid}.tmp`;
  const quietArchive = ['-Xlog:cds=off', '-Xlog:cds+dynamic=off'];
  try {
    await run(
      jdkCommand('java', env),
      [
        ...spec.jvmOptions,
        ...quietArchive,
        `-XX:ArchiveClassesAtExit=${temporaryArchive}`,
        '-cp',
        classpath,
        spec.mainClass,
        '--warm-up',
      ],
      env,
      log,
    );
    renameSync(temporaryArchive, archive);
  } catch (error) {
    rmSync(temporaryArchive, { force: true });
    log(`no class-data-sharing archive (${(error as Error).message}); ${spec.binary} starts slower`);
  }

  const java = env.JAVA_HOME ? `${shellQuote(env.JAVA_HOME)}/bin/java` : 'java';
  const options = [
    ...spec.jvmOptions,
    ...(existsSync(archive) ? [...quietArchive, `-XX:SharedArchiveFile=${archive}`] : []),
  ];
  const launcher = path.join(dir, spec.binary);
  writeAtomically(
    launcher,
    [
      '#!/bin/sh',
      `# ${spec.binary} ${spec.version}, assembled by qbo-sync's src/stack/tools.ts; arguments go to ${spec.mainClass}.`,
      `exec ${java} ${options.map(shellQuote).join(' ')} -cp ${shellQuote(classpath)} ${spec.mainClass} "$@"`,
      '',
    ].join('\n'),
    0o755,
  );
  log(`installed ${launcher} in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: launcher, source: 'built' };
}
