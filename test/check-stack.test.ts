/**
 * `blkaudit check` across layers, end to end through the CLI, on the real
 * multi-layer captures in fixtures/scenarios (corpus MANIFEST verdicts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

const S = (name: string, file: string) => join(ROOT, 'fixtures/scenarios', name, file);

interface CheckDoc {
  findings: Array<{ rule: string; severity: string; layer: string }>;
  correlation?: { statements: string[] };
  alignment?: Array<{ upper: string; lower: string; method: string; supportingPairs: number; widthSeconds?: number }>;
  devices: Array<{ device: string; cache: string; cacheSource: string; cacheHow?: string }>;
}

async function check(args: string[]): Promise<{ code: number | null; doc: CheckDoc }> {
  const r = await runCli(['check', '--json', ...args]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  return { code: r.code, doc: JSON.parse(r.stdout) as CheckDoc };
}

const vm = (name: string) => [`guest=${S(name, 'vda.blkparse.txt')}`, `qemu=${S(name, 'qemu-trace.log')}`, `host=${S(name, 'loop1.blkparse.txt')}`];
const count = (doc: CheckDoc, sev: string) => doc.findings.filter((f) => f.severity === sev).length;

test('vm-unsafe-threads: every guest flush acknowledged with no host flush is an error, and the count is stated', async () => {
  const { code, doc } = await check(vm('vm-unsafe-threads'));
  assert.equal(code, 1);
  assert.equal(doc.findings.filter((f) => f.rule === 'flush-not-passed-down' && f.severity === 'error').length, 104);
  assert.ok(doc.correlation!.statements.includes('104 flush(es) acknowledged at guest (254,0); 0 flush(es) at host (7,1)'));
});

test('vm-none-threads: no error; guest→QEMU and QEMU→host clocks aligned with an interval and supporting pairs', async () => {
  const { code, doc } = await check(vm('vm-none-threads'));
  assert.equal(code, 0);
  assert.equal(count(doc, 'error'), 0);
  assert.equal(count(doc, 'warning'), 0);
  const aligned = doc.alignment!.filter((a) => a.method === 'causal-offset');
  assert.equal(aligned.length, 2);
  for (const a of aligned) {
    assert.ok(a.supportingPairs > 100, `${a.upper} → ${a.lower}: ${a.supportingPairs} pairs`);
    assert.ok(a.widthSeconds! > 0 && a.widthSeconds! < 0.001);
  }
});

test('vm-writethrough-threads: a write-through guest that sends no flushes is not a violation (not even a warning)', async () => {
  const { code, doc } = await check(vm('vm-writethrough-threads'));
  assert.equal(code, 0);
  assert.equal(count(doc, 'error'), 0);
  assert.equal(count(doc, 'warning'), 0);
  // the layer below shows the guest disk write-through (QEMU adds FUA to every write: WCE=0) before the
  // single-layer rules finish, so the "no flush ever" suspicion is not raised at all
  assert.equal(doc.findings.find((f) => f.rule === 'flush-never-issued'), undefined);
  const vda = doc.devices.find((d) => d.device === '254,0')!;
  assert.deepEqual([vda.cache, vda.cacheSource], ['writethrough', 'inferred']);
  assert.match(vda.cacheHow ?? '', /layer below.*WCE=0/);
});

test('qemu-io: cache=unsafe drops the FUA write (error); none and writethrough are clean', async () => {
  const q = (name: string) => [`qemu=${S(name, 'qemu-trace.log')}`, `host=${S(name, 'loop1.blkparse.txt')}`];
  const unsafe = await check(q('qio-raw-unsafe-threads'));
  assert.equal(unsafe.code, 1);
  assert.deepEqual(unsafe.doc.findings.filter((f) => f.severity === 'error').map((f) => f.rule), ['fua-not-honored']);
  for (const name of ['qio-raw-none-threads', 'qio-raw-writethrough-threads']) {
    const r = await check(q(name));
    assert.equal(r.code, 0, name);
    assert.equal(count(r.doc, 'error') + count(r.doc, 'warning'), 0, name);
  }
});

test('loop on loop: the bottom filesystem without barriers breaks the upper flushes; buffered with barriers is clean', async () => {
  const lol = (name: string) => [
    `upper=${S(name, 'loop2.blkparse.txt')}`, `lower=${S(name, 'loop1.blkparse.txt')}`, '--map', `upper=${S(name, 'upper.img.filefrag.txt')}`,
  ];
  const bad = await check(lol('lol-bottom-nobarrier'));
  assert.equal(bad.code, 1);
  assert.ok(bad.doc.findings.some((f) => f.rule === 'flush-not-passed-down' && f.severity === 'error'));
  const good = await check(lol('lol-buffered'));
  assert.equal(good.code, 0);
  assert.equal(count(good.doc, 'error') + count(good.doc, 'warning'), 0);
});
