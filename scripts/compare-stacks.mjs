#!/usr/bin/env node
/**
 * Runs two blkaudit executables over every stack of fixtures/stacks/EXPECTED.json and
 * ../shared/corpus/EXPECTED.json (layer by layer and one file per machine, with each capture's options, no
 * --map) and reports where they differ: exit code, findings (severity, rule, layer, device, details'
 * counts), and each link's alignment (method, offset, width, candidates). For a change meant to alter
 * verdicts in a few places only: every difference is listed, to be shown a correction or fixed.
 *
 *   node scripts/compare-stacks.mjs OTHER_BIN [--only REGEX] [--corpus DIR]
 *
 * OTHER_BIN is the other checkout's bin/blkaudit.js (built; read only); this checkout's bin is the second.
 * Exit 0 when every run agrees, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const THIS_BIN = join(ROOT, 'bin', 'blkaudit.js');

const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const other = argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
if (!other) {
  console.error('usage: node scripts/compare-stacks.mjs OTHER_BIN [--only REGEX] [--corpus DIR]');
  process.exit(2);
}
const only = opt('--only') ? new RegExp(opt('--only')) : undefined;
const corpus = opt('--corpus') ?? join(ROOT, '..', 'shared', 'corpus');

/** Every stack run: a name, the inputs as layer=absolute path (or a path), the options. */
function runs() {
  const out = [];
  const sets = [[join(ROOT, 'fixtures/stacks'), 'stacks'], [corpus, 'corpus']];
  for (const [dir, label] of sets) {
    const file = join(dir, 'EXPECTED.json');
    if (!existsSync(file)) continue;
    for (const c of JSON.parse(readFileSync(file, 'utf8')).captures) {
      const abs = (a) => {
        const eq = a.indexOf('=');
        return eq > 0 ? `${a.slice(0, eq)}=${join(dir, a.slice(eq + 1))}` : join(dir, a);
      };
      const forms = [['layers', c.stack ?? c.inputs]];
      if (c.inputs_one_file_per_machine) forms.push(['machines', c.inputs_one_file_per_machine]);
      for (const [form, inputs] of forms) {
        const name = `${label}/${c.name} (${form})`;
        if (!only || only.test(name)) out.push({ name, args: ['check', '--json', ...(c.options ?? []), ...inputs.map(abs)] });
      }
    }
  }
  return out;
}

function run(bin, args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** What a verdict is made of, as comparable lines. */
function summary(r) {
  let rep;
  try {
    rep = JSON.parse(r.stdout);
  } catch {
    return { code: r.code, findings: [`no JSON: ${r.stderr.slice(0, 200)}`], links: [] };
  }
  const findings = rep.findings.map((f) => {
    const d = f.details ?? {};
    const counts = Object.entries(d).filter(([, v]) => typeof v === 'number' || typeof v === 'string').map(([k, v]) => `${k}=${v}`).join(',');
    return `${f.severity} ${f.rule} ${f.layer} ${f.device} {${counts}}`;
  }).sort();
  const links = (rep.alignment ?? []).map((a) => {
    const cand = (a.candidates ?? []).map((c) => `${c.offsetSeconds.toFixed(6)}(${c.supportingPairs})`).join('/');
    const off = a.offsetSeconds === undefined ? '' : ` ${a.offsetSeconds.toFixed(6)}±${((a.widthSeconds ?? 0) / 2 * 1e6).toFixed(1)}µs`;
    return `${a.upper}→${a.lower} ${a.method}${off}${cand ? ` [${cand}]` : ''} pairs=${a.supportingPairs} confirmed=${a.mapConfirmed ?? '-'}`;
  });
  return { code: r.code, findings, links };
}

function diff(a, b) {
  const left = a.filter((x) => !b.includes(x));
  const right = b.filter((x) => !a.includes(x));
  return [...left.map((x) => `  - ${x}`), ...right.map((x) => `  + ${x}`)];
}

let differ = 0;
let same = 0;
for (const r of runs()) {
  const [x, y] = await Promise.all([run(other, r.args), run(THIS_BIN, r.args)]);
  const sx = summary(x);
  const sy = summary(y);
  const lines = [];
  if (sx.code !== sy.code) lines.push(`  exit ${sx.code} → ${sy.code}`);
  const fd = diff(sx.findings, sy.findings);
  if (fd.length) lines.push('  findings:', ...fd.map((l) => `  ${l}`));
  const ld = diff(sx.links, sy.links);
  const verdictChanged = lines.length > 0;
  if (ld.length) lines.push(verdictChanged ? '  alignment:' : '  alignment only (same findings and exit):', ...ld.map((l) => `  ${l}`));
  if (lines.length === 0) {
    same++;
    continue;
  }
  if (verdictChanged) differ++;
  console.log(`${r.name}: exit ${sx.code}${verdictChanged ? ` → ${sy.code}` : ''}\n${lines.join('\n')}`);
}
console.log(`${same} runs identical; ${differ} with different findings or exit code`);
process.exitCode = differ > 0 ? 1 : 0;
