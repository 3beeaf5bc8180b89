/**
 * Makes dist/cli/blkaudit.cjs.cache, V8's code cache for the CLI bundle
 * (run by scripts/build-cli.mjs with the V8 flags of bin/blkaudit.js's shebang,
 * none today; a cache made with other flags is rejected). The bundle is compiled exactly
 * as bin/blkaudit.js compiles it, then runs the commands whose start-up the
 * bench measures (bench/startup.ts) on a small real trace: the cache V8 writes
 * afterwards holds the bytecode of every function those runs compiled, so the
 * same commands start without compiling them again. Code they did not run
 * (other formats' readers, report, stack) is compiled on first use as before.
 */
'use strict';
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { CACHE, compileBundle } = require('../bin/blkaudit.js');

const TRACE = join(__dirname, '..', 'fixtures', 'check', 'real', 'host-ext4-fsync', 'loop1.blkparse.txt');

const RUNS = [['--version'], ['--help']];
if (existsSync(TRACE)) RUNS.push(['check', TRACE], ['check', '--json', TRACE], ['stats', TRACE]);

async function train() {
  const { script, exports } = compileBundle(undefined);
  for (const args of RUNS) {
    const code = await exports.main([process.execPath, 'blkaudit', ...args]);
    if (code === 2) throw new Error(`blkaudit ${args.join(' ')}: exit 2`);
  }
  writeFileSync(CACHE, script.createCachedData());
}

train().catch((err) => {
  process.stderr.write(`train-cli: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
