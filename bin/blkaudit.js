#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): a CommonJS entry starts without Node's ESM
// loader, about 3 ms less for every command.
//
// No V8 flag on the command line (the shebang): any flag Node starts with
// makes V8 refuse Node's own code cache for its built-in modules, and every
// built-in a command loads (streams, fs, readline, …) is then compiled from
// source, about 5 ms of `check`'s start-up. The flags blkaudit wants are set
// here once the command line is known (setV8Flags, below).
//
// The CLI runs from one file, dist/cli/blkaudit.cjs, with V8's code cache for
// it (both made by `npm run build`, scripts/build-cli.mjs): start-up is
// reading two files instead of resolving and compiling some 90 modules. The
// cache is used only when V8 accepts it (same Node, same flags: none).
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

/** The CLI's module: `main`, and `keepHeapFlags` (see setV8Flags). */
async function loadMain() {
  if (process.env.BLKAUDIT_DEBUG) process.setSourceMapsEnabled(true);
  if (bundleIsCurrent()) {
    // Node maps stack traces (to src/*.ts, through dist/cli/blkaudit.cjs.map)
    // for files it loads itself, not for a vm.Script: debugging goes without the cache.
    if (process.env.BLKAUDIT_DEBUG) return require(BUNDLE);
    return compileBundle(readCache()).exports;
  }
  return import(require('node:url').pathToFileURL(TSC_MAIN).href);
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
    // --stack FILE names the traces in FILE, whose sizes are not known here
    if (arg === '--stack' || arg.startsWith('--stack=')) return false;
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

/**
 * V8's flags for this run, set before the command starts (V8 reads them at
 * run time; the main thread's heap exists already, worker threads' heaps are
 * made with them):
 * - small plain files only (SMALL_INPUT_BYTES): no optimizing compiler, and
 *   the young generation left to grow as V8 sees fit (one scavenge fewer on
 *   a small trace; its memory is no concern under 4 MiB);
 * - any other input: the young generation stays at 1 MiB semi-spaces (the
 *   main thread's does not grow past its initial 1 MiB, as long as the growth
 *   factor is set again after each worker thread starts: the function returned
 *   does that; worker threads start with 1 MiB as their maximum). The
 *   analysis makes short-lived garbage at a
 *   steady rate, scavenges stay cheap, and peak RSS on the 10 M-event bench
 *   drops from 130-180 to about 90-110 MiB at the same speed (README,
 *   Performance);
 * - nothing for --version and --help: loading node:v8 alone costs them about
 *   1.5 ms.
 * A flag set here also makes V8 refuse Node's code cache for the built-ins
 * loaded afterwards, as one on the command line would for every built-in:
 * the ones a reading command needs are loaded first, and test/startup.test.ts
 * fails when `check` or `stats` loads another one afterwards.
 */
function setV8Flags(args) {
  let again;
  if (readsNoInput(args)) return again;
  // Built-ins every reading command loads, loaded now with Node's cache
  // (after the flags, `fs.ReadStream` took 3 ms instead of 0.8): the output
  // stream, and node:os (io/worker-pump.ts counts the CPUs).
  void process.stdout;
  void require('node:os');
  const v8 = require('node:v8');
  if (smallInputsOnly(args)) {
    v8.setFlagsFromString('--no-opt');
  } else if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
    // `node --max-semi-space-size=N bin/blkaudit.js`: the caller's choice stands
    v8.setFlagsFromString('--max-semi-space-size=1');
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    // each worker thread's isolate puts the growth factor back to 2 (src/io/heap-flags.ts): set again then
    again = () => v8.setFlagsFromString('--semi-space-growth-factor=1');
  }
  // test/startup.test.ts: which built-ins were loaded after this point
  globalThis.__blkauditModules?.push(`v8 flags: after ${process.moduleLoadList.length} modules`);
  return again;
}

/** --version and --help print and exit; no arguments at all prints the help too. */
function readsNoInput(args) {
  return args.length === 0 || args.some((a) => a === '-V' || a === '--version' || a === '-h' || a === '--help');
}

if (require.main === module) {
  loadMain().then((cli) => {
    cli.keepHeapFlags(setV8Flags(process.argv.slice(2)));
    return cli.main(process.argv);
  }).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { BUNDLE, CACHE, SMALL_INPUT_BYTES, compileBundle, readsNoInput, smallInputsOnly };
