#!/usr/bin/env node
/**
 * Runs two blkaudit executables over every trace in fixtures/ (and
 * ../shared/corpus when it is there) and reports where their stdout, stderr
 * or exit code differ: for changes that must not change any output (start-up
 * work, refactoring).
 *
 *   node scripts/compare-cli.mjs OTHER_BIN [--jobs 1] [--commands check-json,check,stats] [--only REGEX]
 *
 * OTHER_BIN is the other checkout's bin/blkaudit.js (built); this checkout's
 * bin is the second. Each input is a fixture file (traces, logs, JSON, .gz;
 * READMEs left out) or a directory holding per-CPU blktrace files, given by
 * its path relative to the repository (outputs name their inputs), run from
 * the repository root; every tenth file is also read as standard input.
 * Exit 0 when every run agrees, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, openSync, closeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const THIS_BIN = join(ROOT, 'bin', 'blkaudit.js');

const COMMANDS = {
  'check-json': ['check', '--json'],
  check: ['check'],
  stats: ['stats'],
};

function parseArgs(argv) {
  const o = { other: undefined, jobs: 1, commands: ['check-json', 'check'], only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--jobs') o.jobs = Number(argv[++i]);
    else if (a === '--commands') o.commands = argv[++i].split(',');
    else if (a === '--only') o.only = new RegExp(argv[++i]);
    else if (!a.startsWith('-') && o.other === undefined) o.other = a;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.other) throw new Error('usage: node scripts/compare-cli.mjs OTHER_BIN [--jobs N] [--commands check-json,check,stats] [--only REGEX]');
  for (const c of o.commands) if (!COMMANDS[c]) throw new Error(`unknown command ${c} (${Object.keys(COMMANDS).join(', ')})`);
  return o;
}

const SKIP_FILE = /(^README|^ORIGIN|\.md$|\.py$|\.sh$|\.diff$)/;
const PER_CPU = /\.blktrace\.\d+$/;

/** Every input under dir: files, and directories that hold per-CPU blktrace files. */
function inputs(dir, out = []) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  if (entries.some((e) => e.isFile() && PER_CPU.test(e.name))) out.push({ path: relative(ROOT, dir) });
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) inputs(p, out);
    else if (e.isFile() && !SKIP_FILE.test(e.name)) out.push({ path: relative(ROOT, p) });
  }
  return out;
}

function run(bin, args, stdinFile) {
  return new Promise((resolve) => {
    const fd = stdinFile ? openSync(join(ROOT, stdinFile), 'r') : 'ignore';
    const child = spawn(bin, args, { cwd: ROOT, stdio: [fd, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    if (typeof fd === 'number') closeSync(fd);
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

function firstDifference(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}:\n      - ${la[i] ?? '(none)'}\n      + ${lb[i] ?? '(none)'}`;
  }
  return '';
}

const o = parseArgs(process.argv.slice(2));
const cases = [];
const dirs = [join(ROOT, 'fixtures'), join(ROOT, '..', 'shared', 'corpus')].filter((d) => existsSync(d) && statSync(d).isDirectory());
let n = 0;
for (const input of dirs.flatMap((d) => inputs(d))) {
  if (o.only && !o.only.test(input.path)) continue;
  for (const c of o.commands) {
    cases.push({ label: `${COMMANDS[c].join(' ')} ${input.path}`, args: [...COMMANDS[c], input.path] });
    if (n % 10 === 0 && statSync(join(ROOT, input.path)).isFile()) {
      cases.push({ label: `${COMMANDS[c].join(' ')} - < ${input.path}`, args: [...COMMANDS[c], '-'], stdin: input.path });
    }
  }
  n++;
}

let differ = 0;
let done = 0;
const queue = [...cases];
async function worker() {
  for (let c = queue.shift(); c; c = queue.shift()) {
    const [a, b] = await Promise.all([run(o.other, c.args, c.stdin), run(THIS_BIN, c.args, c.stdin)]);
    const parts = [];
    if (a.code !== b.code) parts.push(`exit ${a.code} vs ${b.code}`);
    if (a.stdout !== b.stdout) parts.push(`stdout ${firstDifference(a.stdout, b.stdout)}`);
    if (a.stderr !== b.stderr) parts.push(`stderr ${firstDifference(a.stderr, b.stderr)}`);
    if (parts.length > 0) {
      differ++;
      process.stdout.write(`DIFFER ${c.label}\n    ${parts.join('\n    ')}\n`);
    }
    if (++done % 200 === 0) process.stderr.write(`compare-cli: ${done}/${cases.length}\n`);
  }
}
await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
process.stdout.write(`compare-cli: ${cases.length} runs, ${cases.length - differ} identical, ${differ} differ (${o.other} vs ${THIS_BIN})\n`);
process.exitCode = differ === 0 ? 0 : 1;
