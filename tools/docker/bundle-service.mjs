// The build stage's one step that decides what a service image ships: each entry point bundled by esbuild into one
// file at the path tsc would have emitted it (`dist/services/<name>/src/<entry>.js`), plus — for native addons, which
// cannot be bundled because they load a compiled `.node` file relative to their own directory at run time — exactly
// the files the addon's JavaScript reaches and its compiled binaries, nothing of its sources, build tools or
// install-time dependencies. Every other dependency, @pulumi/* included, never reaches the image.
//
//   node tools/docker/bundle-service.mjs --out /out [--native <package>]... <entry.ts>...
//
// Run from the repository root after `npm ci --ignore-scripts` and `npm rebuild <package>` for each native one.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals: entries } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, native: { type: 'string', multiple: true, default: [] } },
});
if (!values.out || entries.length === 0) {
  process.stderr.write('usage: bundle-service.mjs --out <dir> [--native <package>]... <entry.ts>...\n');
  process.exit(2);
}
const root = process.cwd();
const out = resolve(values.out);
// Resolves packages as the bundled service will at run time: CommonJS `require` from the repository root.
const requireHere = createRequire(join(root, 'package.json'));

const bundled = await build({
  entryPoints: entries,
  outbase: '.',
  outdir: join(out, 'dist'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Native addons stay outside the bundle. A `.node` file some dependency loads only optionally (ssh2's crypto
  // binding, cpu-features, under dockerode) is left as a require that fails at run time inside the dependency's own
  // try/catch, which then falls back to JavaScript, as it does wherever the addon was not compiled.
  external: [...values.native, '*.node'],
  // Not minified: stack traces in production logs keep readable names and lines.
  keepNames: true,
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});
// In a bundle, `require.main === module` holds inside every inlined ES module, not only the entry (esbuild leaves
// `module` meaning the bundle's own): a module of ours that runs a script when it is the main one would run it in
// the service. Refused here, before it reaches an image.
const entryFiles = new Set(entries.map((e) => relative(root, resolve(e))));
const scripts = Object.keys(bundled.metafile.inputs).filter(
  (f) => !f.includes('node_modules') && !entryFiles.has(relative(root, resolve(f))) && /require\.main\s*===\s*module/.test(readFileSync(resolve(root, f), 'utf8')),
);
if (scripts.length > 0) {
  process.stderr.write(`bundle-service: ${scripts.join(', ')} test require.main === module, which in a bundle is true for every inlined ES module; move the script into a file of its own\n`);
  process.exit(1);
}
for (const [file, output] of Object.entries(bundled.metafile.outputs)) {
  process.stdout.write(`bundled ${resolve(file)}: ${(output.bytes / 1e6).toFixed(2)} MB from ${Object.keys(output.inputs).length} files\n`);
}

for (const name of values.native) {
  const files = await runtimeFilesOf(name);
  for (const file of files) {
    const target = join(out, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  process.stdout.write(`native ${name}: ${files.length} files, ${(bytes / 1e6).toFixed(2)} MB\n`);
}

/**
 * What `require(name)` loads at run time: every file its main module reaches (found by letting esbuild walk it,
 * without writing anything), the package.json of each package among them (Node and node-gyp-build read them), and
 * the compiled addons under build/Release, which are loaded by a computed path no bundler can see.
 */
async function runtimeFilesOf(name) {
  const pkgDir = dirname(requireHere.resolve(`${name}/package.json`));
  const walked = await build({
    entryPoints: [requireHere.resolve(name)],
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'unused.js',
    external: ['*.node'],
  });
  const files = new Set(Object.keys(walked.metafile.inputs).map((f) => resolve(root, f)));
  for (const file of [...files]) files.add(packageJsonOf(file));
  const release = join(pkgDir, 'build', 'Release');
  const addons = existsSync(release) ? readdirSync(release).filter((f) => f.endsWith('.node')) : [];
  if (addons.length === 0) throw new Error(`${name} has no compiled addon in ${release}; run \`npm rebuild ${name}\` first`);
  for (const addon of addons) files.add(join(release, addon));
  return [...files].sort();
}

/** The package.json of the installed package a file belongs to (`…/node_modules/[@scope/]name/package.json`). */
function packageJsonOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const parent = dirname(dir);
    const inNodeModules = basename(parent) === 'node_modules' || (basename(parent).startsWith('@') && basename(dirname(parent)) === 'node_modules');
    if (inNodeModules && existsSync(join(dir, 'package.json'))) return join(dir, 'package.json');
  }
  throw new Error(`${file} is not inside an installed package`);
}
