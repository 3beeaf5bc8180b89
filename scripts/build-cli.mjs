#!/usr/bin/env node
/**
 * The CLI as one file: `npm run build` (and `prepare`, `test`) runs tsc, then
 * this. It bundles the tsc output under dist/src/ (entry cli/main.js) with
 * esbuild into dist/cli/blkaudit.cjs, then has scripts/train-cli.cjs run the
 * bundle over a small trace and save V8's code cache for it
 * (dist/cli/blkaudit.cjs.cache). bin/blkaudit.js loads the bundle with that
 * cache: one file read and no compiling instead of resolving, reading and
 * compiling some 90 modules (README, "Performance": start-up).
 *
 * What stays as it was:
 * - the library (dist/src/index.js) is tsc output; the bundle is only the CLI;
 * - lazy loading: a module reached by `await import()` (a command, a format's
 *   reader, the stages) is wrapped by esbuild and runs only when imported;
 * - files found next to a module at run time (`new URL('./x', import.meta.url)`:
 *   worker entries, report.schema.json, package.json, csv-parse) are found
 *   next to the module's tsc output, so workers run dist/src's files;
 * - stack traces: dist/cli/blkaudit.cjs.map maps back to src/*.ts through the
 *   tsc maps (bin/blkaudit.js turns source maps on with BLKAUDIT_DEBUG).
 *
 * Every module of dist/src starts with a record of its own name in
 * globalThis.__blkauditModules when a caller set that to an array (the
 * start-up test, test/startup.test.ts: which modules a command runs).
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
const OUT = join(ROOT, 'dist', 'cli', 'blkaudit.cjs');

/** The tsc output's own files, each marked, with import.meta.url pointing at the file itself. */
const distSrc = {
  name: 'dist-src',
  setup(b) {
    b.onLoad({ filter: /\/dist\/src\/.*\.js$/ }, async ({ path }) => {
      let text = await readFile(path, 'utf8');
      const rel = relative(SRC, path);
      // version.js reads package.json at run time; the bundle is made with the package, so it carries the value.
      if (rel === 'version.js') text = `export const VERSION = ${JSON.stringify(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version)};\n`;
      // CommonJS has no import.meta: the URL of the tsc file this code came
      // from, so relative URLs resolve where they did before bundling.
      const fromOut = JSON.stringify(relative(dirname(OUT), path));
      text = text.replaceAll('import.meta.url', `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${fromOut})).href`);
      // A dynamic import() left in the bundle (esbuild keeps those of
      // built-ins) has no loader to call in a vm.Script: require them.
      text = text.replace(/\bimport\((['"])(node:[\w/]+)\1\)/g, "Promise.resolve().then(() => require('$2'))");
      // A statement before the first import shifts no mapping that matters
      // (esbuild hoists imports); it is one line of the bundle per module.
      text = `globalThis.__blkauditModules?.push(${JSON.stringify(rel)});\n${text}`;
      return { contents: text, loader: 'js', resolveDir: dirname(path) };
    });
  },
};

/**
 * commander requires node:child_process at load for executable subcommands,
 * which blkaudit does not have; loading it pulls in net, dgram and streams
 * (about 5 ms of start-up). The shim requires it on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${'/node_modules/commander/'}`) ? { path: 'lazy-child-process', namespace: 'shim' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'shim' }, () => ({
      contents: "let cp; module.exports = new Proxy({}, { get: (_, k) => (cp ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

await rm(dirname(OUT), { recursive: true, force: true });
const result = await build({
  entryPoints: [join(SRC, 'cli', 'main.js')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  // csv-parse is required through createRequire at run time (formats/csv/load.ts), not bundled.
  plugins: [distSrc, lazyChildProcess],
  logLevel: 'warning',
  metafile: true,
  legalComments: 'none',
  // V8 hashes a script's whole source before it can take the code cache, and
  // the top level of the bundle is parsed from it: half the bytes (comments,
  // white space and local names gone) is about 1 ms less for every command.
  // keepNames: functions and classes keep their names (stack traces, errors).
  minify: true,
  keepNames: true,
});
const inputs = Object.keys(result.metafile.inputs).length;
const left = /(?<![\w$.])import\(/.exec(readFileSync(OUT, 'latin1'));
if (left) {
  process.stderr.write(`build-cli: a dynamic import() is left in ${relative(ROOT, OUT)} at offset ${left.index}: bin/blkaudit.js runs the bundle as a vm.Script, which cannot import\n`);
  process.exit(1);
}

// The code cache is only valid for the V8 flags it was made with: train with
// the flags of bin/blkaudit.js's shebang line.
const shebang = readFileSync(join(ROOT, 'bin', 'blkaudit.js'), 'utf8').split('\n', 1)[0];
const flags = shebang.split(/\s+/).filter((w) => w.startsWith('--'));
const train = spawnSync(process.execPath, [...flags, join(ROOT, 'scripts', 'train-cli.cjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (train.status !== 0) {
  process.stderr.write(`build-cli: training the code cache failed (exit ${train.status})\n`);
  process.exit(1);
}
process.stderr.write(`build-cli: ${relative(ROOT, OUT)} from ${inputs} modules\n`);
