/**
 * Every verdict of ../shared/corpus/EXPECTED.json as a user gets it (the sweep shared/tools/corpus-verdicts.py
 * runs): `check --json` with no --map, stacks also as one file per machine; then the captures that have a map
 * (loop on loop: filefrag of upper.img; qcow2: filefrag of disk.qcow2) once more with it. Skipped without the corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

interface Capture {
  name: string;
  inputs: string[];
  stack?: string[];
  inputs_one_file_per_machine?: string[];
  verdict: 'clean' | 'violation';
  rules: string[];
  options?: string[];
}

const have = existsSync(join(CORPUS_DIR, 'EXPECTED.json'));
const captures: Capture[] = have ? (JSON.parse(readFileSync(join(CORPUS_DIR, 'EXPECTED.json'), 'utf8')) as { captures: Capture[] }).captures : [];
const path = (a: string) => (a.includes('=') && !a.startsWith('/') ? `${a.slice(0, a.indexOf('='))}=${join(CORPUS_DIR, a.slice(a.indexOf('=') + 1))}` : join(CORPUS_DIR, a));

async function judge(c: Capture, inputs: string[], extra: string[] = []): Promise<string | undefined> {
  const r = await runCli(['check', '--json', ...(c.options ?? []), ...extra, ...inputs.map(path)]);
  const fs = (JSON.parse(r.stdout) as { findings: Array<{ severity: string; rule: string; layer: string }> }).findings;
  const errs = fs.filter((f) => f.severity === 'error');
  const warns = fs.filter((f) => f.severity === 'warning');
  if (c.verdict === 'clean' ? r.code === 0 && errs.length + warns.length === 0 : r.code === 1 && errs.some((f) => c.rules.includes(f.rule))) return undefined;
  return `want ${c.verdict}; exit ${r.code}: ${[...errs, ...warns].slice(0, 5).map((f) => `${f.severity} ${f.rule}@${f.layer}`).join(', ')}`;
}

test('corpus: every EXPECTED.json verdict, no --map, layer by layer and one file per machine', { skip: !have && 'no ../shared/corpus' }, async () => {
  const bad: string[] = [];
  for (const c of captures) {
    const forms: Array<[string, string[]]> = [['', c.stack ?? c.inputs]];
    if (c.inputs_one_file_per_machine) forms.push([' (one file per machine)', c.inputs_one_file_per_machine]);
    for (const [label, inputs] of forms) {
      const why = await judge(c, inputs);
      if (why) bad.push(`${c.name}${label}: ${why}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('corpus: the same verdicts with each capture\'s sector map given', { skip: !have && 'no ../shared/corpus' }, async () => {
  const dir = tempDir('blkaudit-maps-');
  const filefrag = (capture: string, key: string) => {
    const w = (JSON.parse(readFileSync(join(CORPUS_DIR, capture, 'capture.json'), 'utf8')) as { workload: Record<string, { filefrag_output: string }> }).workload;
    const f = join(dir, `${capture.replace(/\//g, '_')}.filefrag.txt`);
    writeFileSync(f, w[key]!.filefrag_output);
    return f;
  };
  const bad: string[] = [];
  for (const c of captures) {
    let map: string[] | undefined;
    if (c.name.startsWith('host/lol-')) map = ['--map', `upper=${filefrag(c.name, 'mapping_after')}`];
    if (c.name === 'qemu-io/qio-qcow2-ext4-none') map = ['--map', `qemu=${filefrag(c.name, 'host_file_extents')}`];
    if (!map) continue;
    const why = await judge(c, c.stack ?? c.inputs, map);
    if (why) bad.push(`${c.name} with its map: ${why}`);
  }
  assert.deepEqual(bad, []);
});
