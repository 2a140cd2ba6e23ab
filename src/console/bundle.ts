import { createHash } from 'node:crypto';
import path from 'node:path';
import { build } from 'esbuild';

export interface ConsoleAsset {
  /** The file name with a hash of its content, so browsers may cache it for good. */
  name: string;
  type: 'application/javascript' | 'text/css';
  body: Buffer;
}

export interface ConsoleBundle {
  script: ConsoleAsset;
  style: ConsoleAsset;
}

/** From the package root, so the compiled API (dist/console) bundles the same TypeScript sources as `npm start`. */
const clientDir = path.resolve(__dirname, '..', '..', 'src', 'console', 'client');

/**
 * The console's browser code (client/, with the SDK, uPlot and its CSS) as one script and one stylesheet, bundled
 * with esbuild in memory: nothing to build beforehand, and every byte served from this process (no CDN).
 */
export async function bundleConsole(): Promise<ConsoleBundle> {
  const result = await build({
    entryPoints: [path.join(clientDir, 'main.ts')],
    tsconfig: path.join(clientDir, 'tsconfig.json'),
    bundle: true,
    write: false,
    outdir: 'console',
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const asset = (extension: 'js' | 'css'): ConsoleAsset => {
    const file = result.outputFiles.find((output) => output.path.endsWith(`.${extension}`));
    if (!file) throw new Error(`the console bundle has no .${extension} output`);
    const body = Buffer.from(file.contents);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    return {
      name: `console.${hash}.${extension}`,
      type: extension === 'js' ? 'application/javascript' : 'text/css',
      body,
    };
  };
  return { script: asset('js'), style: asset('css') };
}
