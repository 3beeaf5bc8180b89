#!/usr/bin/env -S node --max-semi-space-size=1
'use strict';
// CommonJS (bin/package.json): a CommonJS entry starts without Node's ESM
// loader, about 3 ms less for every command.
//
// V8's young generation is bounded at 1 MiB semi-spaces (the shebang above;
// the flag only works at startup): the analysis makes short-lived garbage at
// a steady rate, scavenges stay cheap, and peak RSS on the 10 M-event bench
// drops from 130-180 to about 90-110 MiB at the same speed (README,
// Performance). Run as `node bin/blkaudit.js` the shebang is not read; then
// at least keep the young generation from growing past its initial size.
//
// The CLI runs from one file, dist/cli/blkaudit.cjs, with V8's code cache for
// it (both made by `npm run build`, scripts/build-cli.mjs): start-up is
// reading two files instead of resolving and compiling some 90 modules. The
// cache is used only when V8 accepts it (same Node, same flags: the shebang's).
// When the bundle is missing or older than the tsc output (after a bare
// `tsc`), the CLI runs from dist/src/cli/main.js as before: slower, same code.
const { readFileSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'blkaudit.cjs');
const CACHE = `${BUNDLE}.cache`;
const TSC_MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** The bundle, when it is at least as new as the tsc output it was made from. */
function bundleIsCurrent() {
  try {
    return statSync(BUNDLE).mtimeMs >= statSync(TSC_MAIN).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Compiles and runs the bundle as CommonJS would (same wrapper), with the
 * code cache when given. Returns the script (for scripts/train-cli.cjs, which
 * makes the cache) and the bundle's exports.
 */
function compileBundle(cachedData) {
  const vm = require('node:vm');
  const source = readFileSync(BUNDLE, 'latin1'); // esbuild writes ASCII only
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    cachedData,
  });
  // The start-up test (test/startup.test.ts) reads what ran from this list.
  globalThis.__blkauditModules?.push(`code cache: ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}`);
  const mod = { exports: {} };
  // The bundle requires Node built-ins only (esbuild resolved everything else), so this file's require serves.
  script.runInThisContext()(mod.exports, require, mod, BUNDLE, dirname(BUNDLE));
  return { script, exports: mod.exports };
}

function readCache() {
  try {
    return readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

async function loadMain() {
  if (process.env.BLKAUDIT_DEBUG) process.setSourceMapsEnabled(true);
  if (bundleIsCurrent()) {
    // Node maps stack traces (to src/*.ts, through dist/cli/blkaudit.cjs.map)
    // for files it loads itself, not for a vm.Script: debugging goes without the cache.
    if (process.env.BLKAUDIT_DEBUG) return require(BUNDLE).main;
    return compileBundle(readCache()).exports.main;
  }
  return (await import(require('node:url').pathToFileURL(TSC_MAIN).href)).main;
}

/**
 * Inputs this small are read faster without V8's optimizing compiler: on a
 * 2,000-line trace TurboFan spends about 25 ms of CPU compiling the parser's
 * and the checker's hot functions, more than the run takes without them, and
 * on a 40,000-line (3 MB) trace still 45 ms more than it saves (README,
 * Performance). Only plain files count; stdin, a directory or a .gz (its
 * size says little of its text) keep the optimizing compiler.
 */
const SMALL_INPUT_BYTES = 4 << 20;

function smallInputsOnly(args) {
  let total = 0;
  let files = 0;
  for (const arg of args) {
    if (arg === '-') return false;
    if (arg.startsWith('-')) continue;
    let st;
    try {
      st = statSync(arg);
    } catch {
      // layer=path (check, stack, follow, report)
      const eq = arg.indexOf('=');
      try {
        st = eq > 0 ? statSync(arg.slice(eq + 1)) : undefined;
      } catch {
        st = undefined;
      }
    }
    if (st === undefined) continue;
    if (!st.isFile() || /\.gz$/i.test(arg)) return false;
    total += st.size;
    files++;
  }
  return files > 0 && total < SMALL_INPUT_BYTES;
}

if (require.main === module) {
  loadMain().then((main) => {
    const v8 = require('node:v8');
    if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) v8.setFlagsFromString('--semi-space-growth-factor=1');
    if (smallInputsOnly(process.argv.slice(2))) v8.setFlagsFromString('--no-opt');
    return main(process.argv);
  }).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { BUNDLE, CACHE, SMALL_INPUT_BYTES, compileBundle, smallInputsOnly };
