/**
 * Clock drift (src/correlate/drift.ts). A real VM capture (fixtures/scenarios/vm-none-threads) repeated 30
 * times with random gaps (about 200 s) and one layer's clock made to run faster or slower by a known rate:
 * the alignment must measure the rate, keep the verdicts the undrifted copies get (clean: every promise
 * kept, none undecided), find a broken promise where one was made (host flushes removed in three copies),
 * and report no drift where there is none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStack, type StackOptions } from '../bench/stack.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const COPIES = 30;

interface Link {
  upper: string;
  lower: string;
  method: string;
  mapConfirmed?: boolean;
  widthSeconds?: number;
  drift?: { ppm: number; windows: number; spanSeconds: number };
}

interface Finding {
  rule: string;
  severity: string;
  layer: string;
  device: string;
}

async function checkStack(o: Partial<StackOptions>): Promise<{ code: number; links: Link[]; findings: Finding[] }> {
  const root = tempDir('blkaudit-drift-');
  try {
    const s = prepareStack({ root, copies: COPIES, variant: 'random', seed: 3, ...o });
    const r = await runCli(['check', '--json', ...s.inputs]);
    const j = JSON.parse(r.stdout) as { alignment: Link[]; findings: Finding[] };
    return { code: r.code ?? -1, links: j.alignment, findings: j.findings };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const link = (links: Link[], upper: RegExp) => links.find((l) => upper.test(l.upper))!;

test('no drift: one offset, no drift reported', async () => {
  const r = await checkStack({});
  assert.equal(r.code, 0);
  for (const l of r.links) assert.equal(l.drift, undefined, JSON.stringify(l));
  assert.equal(link(r.links, /^guest:/).method, 'causal-offset');
  // every sector is rewritten 30 times: the map is confirmed in time by writes matched at the offset found
  assert.equal(link(r.links, /^guest:/).mapConfirmed, true);
  assert.equal(link(r.links, /^qemu:jobs:/).mapConfirmed, true);
});

for (const ppm of [200, -120]) {
  test(`a guest clock ${ppm} ppm off the host's: the rate is measured and every promise is kept as without drift`, async () => {
    const r = await checkStack({ driftPpm: ppm });
    const g = link(r.links, /^guest:/);
    assert.equal(g.method, 'causal-offset', JSON.stringify(g));
    assert.ok(g.drift, JSON.stringify(g));
    // guest time runs faster by ppm: lower − upper shrinks by that rate
    assert.ok(Math.abs(g.drift.ppm + ppm) < 1, JSON.stringify(g.drift));
    assert.ok(g.drift.spanSeconds > 150 && g.drift.windows >= 8, JSON.stringify(g.drift));
    assert.ok((g.widthSeconds ?? 1) < 100e-6, JSON.stringify(g));
    // nothing the clock decides is left undecided at the guest (as with no drift)
    assert.deepEqual(r.findings.filter((f) => f.layer === 'guest' && f.rule === 'cross-layer-undecided'), []);
    // QEMU and the host share one clock: no drift between them
    assert.equal(link(r.links, /^qemu:jobs:/).drift, undefined);
    assert.deepEqual(r.findings.filter((f) => f.severity === 'error'), []);
    assert.equal(r.code, 0);
  });
}

test('a host traced on a drifting clock with its flushes removed in three copies: errors there, and only there', async () => {
  const broken = new Set([10, 11, 12]);
  const r = await checkStack({
    driftPpm: 150,
    driftLayer: 'host',
    tag: 'noflush',
    // the host loop device's flush requests and PREFLUSH bios of three copies (rwbs starting with F)
    dropLine: (layer, copy, line) => layer === 'host' && broken.has(copy) && /^\s*\S+\s+\d+\s+\d+\s+\S+\s+\d+\s+[A-Z]\s+F/.test(line),
  });
  const h = link(r.links, /^qemu:jobs:/);
  assert.equal(h.method, 'causal-offset', JSON.stringify(h));
  assert.ok(h.drift && Math.abs(h.drift.ppm - 150) < 1, JSON.stringify(h));
  const errors = r.findings.filter((f) => f.severity === 'error');
  assert.ok(errors.length > 0, 'the removed flushes are found');
  assert.ok(errors.every((f) => f.rule === 'flush-not-passed-down' && /^0x/.test(f.device)), JSON.stringify(errors.slice(0, 3)));
  assert.equal(r.code, 1);
});
