#!/usr/bin/env node
/**
 * Deliberate breaks of the verdict paths (issue 12, "Tests that can fail"):
 * each entry of breaks.mjs replaces one exact piece of compiled code in
 * dist/src (the piece must occur exactly once), runs the test files named
 * (default: the check/app set below) one file at a time with the shared
 * corpus hidden (BLKAUDIT_CORPUS, BLKAUDIT_WILD → a missing path, as on a
 * fresh clone), records which tests failed, and puts the file back.
 *
 *   npm run build && node test/mutations/run.mjs [--all] [id-substring ...]
 *
 * Test files run in order and stop at the first that fails (--all: run them all).
 *
 * Prints one Markdown row per break: rule | path | break | tests that failed.
 * A row with no failing test ("SURVIVED") is a verdict path no test guards.
 * Not part of `npm test`: it runs the suite once per break (minutes).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BREAKS, DEFAULT_TESTS } from './breaks.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const all = process.argv.includes('--all');
const only = process.argv.slice(2).filter((a) => a !== '--all');
const env = { ...process.env, BLKAUDIT_CORPUS: '/nonexistent/corpus', BLKAUDIT_WILD: '/nonexistent/wild' };

// bin/blkaudit.js runs the CLI bundle (dist/cli, scripts/build-cli.mjs) when it is newer than dist/src/cli/main.js;
// a break in another dist/src file would not reach the CLI tests. The bundle is set aside for the run.
const BUNDLE = join(ROOT, 'dist/cli/blkaudit.cjs');
const aside = [BUNDLE, `${BUNDLE}.cache`].filter((f) => existsSync(f));
for (const f of aside) renameSync(f, `${f}.aside`);
const putBack = () => { for (const f of aside) if (existsSync(`${f}.aside`)) renameSync(`${f}.aside`, f); };
process.on('exit', putBack);

let restore;
process.on('SIGINT', () => { restore?.(); putBack(); process.exit(130); });

function failing(testFile) {
  if (!existsSync(join(ROOT, 'dist/test', `${testFile}.test.js`))) return [];
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', join(ROOT, 'dist/test', `${testFile}.test.js`)], { env, cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  // top-level "not ok N - name" lines (subtests are indented)
  return [...r.stdout.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => `${testFile}: ${m[1]}`);
}

const rows = [];
let survived = 0;
for (const b of BREAKS) {
  if (only.length && !only.some((o) => b.id.includes(o))) continue;
  const path = join(ROOT, 'dist/src', b.file);
  const orig = readFileSync(path, 'utf8');
  const n = orig.split(b.from).length - 1;
  if (n !== 1) {
    rows.push(`| ${b.rule} | ${b.path} | \`${b.file}\`: pattern found ${n} times | NOT RUN |`);
    console.error(`${b.id}: pattern occurs ${n} times in ${b.file}`);
    continue;
  }
  restore = () => writeFileSync(path, orig);
  writeFileSync(path, orig.replace(b.from, b.to));
  const failed = [];
  try {
    for (const t of b.tests ?? DEFAULT_TESTS) {
      failed.push(...failing(t));
      if (failed.length > 0 && !all) break; // the first test file that fails is enough (--all: every one)
    }
  } finally {
    restore();
    restore = undefined;
  }
  if (failed.length === 0) survived++;
  const caught = failed.length ? failed.slice(0, 4).join('<br>') + (failed.length > 4 ? `<br>(+${failed.length - 4} more)` : '') : '**SURVIVED**';
  rows.push(`| ${b.rule} | ${b.path} | \`${b.file}\`: ${b.what} | ${caught} |`);
  console.error(`${b.id}: ${failed.length ? `caught by ${failed.length}` : 'SURVIVED'}`);
}
console.log('| rule | verdict path | deliberate break | tests that failed |\n| --- | --- | --- | --- |');
console.log(rows.join('\n'));
process.exitCode = survived > 0 ? 1 : 0;
