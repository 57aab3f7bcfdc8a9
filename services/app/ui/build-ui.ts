/**
 * `npm run build:ui`: bundles the monitor's page into static files (dist/app-ui/: index.html, styles.css, app.js)
 * that the app serves at `/`. Everything is in the bundle; the page loads nothing from anywhere but the app.
 * Tests and the benchmark call `buildUi` into a directory of their own.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const UI_DIR = __dirname;
export const DEFAULT_UI_OUT = resolve(UI_DIR, '../../../dist/app-ui');

export interface UiBuild {
  outDir: string;
  /** Bytes of each file written. */
  files: Record<string, number>;
}

export async function buildUi(outDir = DEFAULT_UI_OUT): Promise<UiBuild> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(UI_DIR, 'src/main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'iife',
    target: ['chrome110', 'firefox115', 'safari16'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'styles.css']) copyFileSync(join(UI_DIR, f), join(outDir, f));
  const files: Record<string, number> = {};
  for (const f of ['index.html', 'styles.css', 'app.js', 'app.js.map']) files[f] = statSync(join(outDir, f)).size;
  return { outDir, files };
}

if (require.main === module) {
  buildUi(process.argv[2] ? resolve(process.argv[2]) : undefined).then(
    (b) => process.stdout.write(`${Object.entries(b.files).map(([f, n]) => `${b.outDir}/${f}  ${(n / 1024).toFixed(1)} KiB`).join('\n')}\n`),
    (err: Error) => {
      process.stderr.write(`build:ui failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
