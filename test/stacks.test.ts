/**
 * Real stack captures (fixtures/stacks, made with the lab; each ORIGIN.md says how and why its verdict holds):
 * every capture, layer by layer and as one file per machine, through the CLI as a user runs it, no --map. A stack
 * of host devices only gives its layers in `stack` (its `inputs` are the files as `check --each` finds them).
 * Clean ones: exit 0, no error, no warning but those the capture allows (where the trace cannot decide).
 * Violations: exit 1 and an error of an expected rule that names the device where the promise broke.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

interface Capture {
  name: string;
  inputs: string[];
  stack?: string[];
  inputs_one_file_per_machine?: string[];
  verdict: 'clean' | 'violation';
  rules: string[];
  allowed_warnings?: string[];
  layer?: string;
  device?: string;
  not_reached?: Array<{ layer: string; device: string }>;
  options?: string[];
  inputs_verdict?: { verdict: 'undecided'; rules: string[]; why: string };
  counts?: Record<string, Record<string, { writesCompleted: number; flushesCompleted: number }>>;
}

interface Finding {
  rule: string;
  severity: string;
  layer: string;
  device: string;
  message: string;
  details?: { lower?: string; chain?: number; lowerDurabilityPoints?: number };
}

const DIR = join(ROOT, 'fixtures/stacks');
const captures = (JSON.parse(readFileSync(join(DIR, 'EXPECTED.json'), 'utf8')) as { captures: Capture[] }).captures;

async function run(c: Capture, inputs: string[]): Promise<{ code: number | null; findings: Finding[]; stderr: string }> {
  const args = inputs.map((a) => {
    const eq = a.indexOf('=');
    return `${a.slice(0, eq)}=${join(DIR, a.slice(eq + 1))}`;
  });
  const r = await runCli(['check', '--json', ...(c.options ?? []), ...args]);
  assert.ok(r.stdout.length > 0, `${c.name}: no output (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings, stderr: r.stderr };
}

const brief = (fs: Finding[]) => fs.map((f) => `${f.severity} ${f.rule}@${f.layer} ${f.device}: ${f.message.slice(0, 160)}`).join('\n');

for (const c of captures) {
  const forms: Array<[string, string[]]> = [['layer by layer', c.stack ?? c.inputs]];
  if (c.inputs_one_file_per_machine) forms.push(['one file per machine', c.inputs_one_file_per_machine]);
  for (const [form, inputs] of forms) {
    test(`stack ${c.name} (${form}): ${c.verdict}`, async () => {
      const { code, findings } = await run(c, inputs);
      const errors = findings.filter((f) => f.severity === 'error');
      const warnings = findings.filter((f) => f.severity === 'warning');
      const expect = form === 'layer by layer' && c.inputs_verdict ? c.inputs_verdict.verdict : c.verdict;
      if (expect === 'clean') {
        assert.equal(errors.length, 0, `false alarm:\n${brief(errors)}`);
        const stray = warnings.filter((w) => !(c.allowed_warnings ?? []).includes(w.rule));
        assert.equal(stray.length, 0, `warnings the traces should decide:\n${brief(stray)}`);
        assert.equal(code, 0);
        return;
      }
      if (expect === 'undecided') {
        assert.equal(errors.length, 0, `an error without the proof (${c.inputs_verdict!.why}):\n${brief(errors)}`);
        assert.ok(warnings.some((w) => w.rule === 'cross-layer-undecided' && (!c.device || w.device === c.device)), brief(findings));
        return;
      }
      assert.equal(code, 1, brief(findings));
      const named = errors.filter((f) => c.rules.includes(f.rule));
      assert.ok(named.length > 0, `no ${c.rules.join('/')} error:\n${brief(findings)}`);
      for (const f of named.filter((x) => typeof x.details?.chain === 'number')) {
        // a count-level chain finding (correlate/flush-chain.ts) names a level below that never made it durable,
        // and counts exactly the durability points that lower trace holds (its completed flushes; no FUA there)
        const nr = (c.not_reached ?? []).find((n) => (f.details?.lower ?? '').endsWith(`:${n.device}`));
        assert.ok(nr, `the chain finding names no device that never got the flushes:\n${brief([f])}`);
        assert.equal(f.details!.lowerDurabilityPoints, c.counts?.[nr.layer]?.[nr.device]?.flushesCompleted, brief([f]));
        assert.ok(f.details!.chain! > f.details!.lowerDurabilityPoints!, brief([f]));
      }
      if (c.device) {
        // the device that broke the promise: the one that acknowledged it, or the one below that never made it durable
        const dev = c.device;
        const names = (f: Finding) => f.device === dev || (f.details?.lower ?? '').endsWith(`:${dev}`);
        assert.ok(named.some(names), `no error names ${c.layer} ${dev}:\n${brief(named.slice(0, 5))}`);
      }
    });
  }
}

test('stack vm-file-raw-ext4nobarrier-none: the host ext4 nobarrier alone is a warning on loop1 that says its write-back cache was inferred, not unknown', async () => {
  const c = captures.find((x) => x.name === 'vm-file-raw-ext4nobarrier-none')!;
  const { findings } = await run(c, c.inputs);
  const fni = findings.filter((f) => f.rule === 'flush-never-issued');
  assert.deepEqual(fni.map((f) => `${f.severity} ${f.layer} ${f.device}`), ['warning host 7,1']);
  assert.match(fni[0]!.message, /write-back inferred from its own flushes/);
  assert.doesNotMatch(fni[0]!.message, /cache mode unknown/);
});

/**
 * With the true map (the image file's extents, filefrag -v -b512 after the run, in the capture) the QEMU → host
 * link is followed sector by sector: the clean capture stays clean through a map confirmed in time, and the host
 * nobarrier capture breaks each promise on its own — at least as many as the count-level chain proved without it.
 */
test('image file on host ext4, with the file extents as --map: clean stays clean, nobarrier breaks at least what the chain count proved', async () => {
  // cache=none: O_DIRECT, the host write runs inside the job (confirmed in time); writeback: page-cache writeback later
  const withMap = async (name: string, confirmed: boolean) => {
    const c = captures.find((x) => x.name === name)!;
    const r = await run({ ...c, options: ['--map', `qemu=${join(DIR, name, 'host/vda.raw.filefrag.txt')}`] }, c.inputs);
    const rep = JSON.parse((await runCli(['check', '--json', '--map', `qemu=${join(DIR, name, 'host/vda.raw.filefrag.txt')}`,
      ...c.inputs.map((a) => `${a.slice(0, a.indexOf('='))}=${join(DIR, a.slice(a.indexOf('=') + 1))}`)])).stdout) as
      { alignment: Array<{ upper: string; lower: string; mapSource?: string; mapConfirmed?: boolean }> };
    const link = rep.alignment.find((a) => a.upper.startsWith('qemu:jobs:') && a.lower === 'host:7,1')!;
    assert.deepEqual([link.mapSource, link.mapConfirmed], ['given', confirmed], name);
    return r;
  };
  for (const [name, confirmed] of [['vm-file-raw-ext4-none', true], ['vm-file-raw-ext4-writeback', false]] as const) {
    const r = await withMap(name, confirmed);
    assert.equal(r.findings.filter((f) => f.severity === 'error').length, 0, `${name}:\n${brief(r.findings)}`);
    assert.equal(r.code, 0);
  }
  const c = captures.find((x) => x.name === 'vm-file-raw-ext4nobarrier-none')!;
  const counted = (await run(c, c.inputs)).findings.find((f) => typeof f.details?.chain === 'number')!;
  const mapped = (await withMap(c.name, true)).findings.filter((f) => f.rule === 'flush-not-passed-down' && f.severity === 'error');
  assert.ok(mapped.every((f) => (f.details?.lower ?? '').endsWith(':7,1')), brief(mapped.slice(0, 3)));
  assert.ok(mapped.length >= (counted.details as { notPassedDown: number }).notPassedDown, `${mapped.length} broken with the map`);
});

test('stack vm-file-raw-ext4nobarrier-none: with the host layer declared write-through the chain count proves nothing (no flush is needed there)', async () => {
  const c = captures.find((x) => x.name === 'vm-file-raw-ext4nobarrier-none')!;
  const { code, findings } = await run({ ...c, options: ['--cache', 'host=writethrough'] }, c.inputs);
  assert.deepEqual(findings.filter((f) => f.severity === 'error'), []);
  assert.equal(code, 0);
});
