/**
 * Ambiguity is a result. A real VM capture (fixtures/scenarios/vm-none-threads) repeated back to back in every
 * layer, each copy shifted by the same period in each layer's clock: a workload so regular that the clocks
 * can be aligned one period off as well as right. The alignment must say so and decide nothing that needs
 * the clock; with random gaps between the copies the offset is unique again. Neither gives an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadLayers, type Input } from './helpers/correlate-load.js';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/scenarios/${p}`, import.meta.url)));
const LAYERS: Array<[string, string]> = [['guest', 'vda.blkparse.txt'], ['qemu', 'qemu-trace.log'], ['host', 'loop1.blkparse.txt']];

function copies(gaps: number[]): Input[] {
  const out: Input[] = [];
  for (const [layer, file] of LAYERS) {
    let at = 0;
    for (const g of gaps) {
      at += g;
      out.push({ layer, file: `vm-none-threads/${file}`, shift: at });
    }
  }
  return out;
}

const PERIOD = 2e9; // longer than one copy in every layer's clock (the guest trace spans about 0.6 s)

test('periodic stack: the alignment is ambiguous, its candidates are reported, and no clock-dependent verdict is an error', () => {
  const { r } = loadLayers(copies([0, ...Array<number>(14).fill(PERIOD)]), {}, read);
  const guestQemu = r.alignment.find((a) => a.upper === 'guest:254,0')!;
  assert.equal(guestQemu.method, 'ambiguous', JSON.stringify(guestQemu));
  assert.ok((guestQemu.candidates ?? []).length === 2);
  const [c0, c1] = guestQemu.candidates!;
  assert.ok(Math.abs(Math.abs(c0!.offsetSeconds - c1!.offsetSeconds) - PERIOD / 1e9) < 1e-3, JSON.stringify(guestQemu.candidates));
  assert.ok(r.limitations.some((l) => /fit about as well/.test(l)));
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map((f) => f.message), []);
  // each promise is counted once: a flush whose writes cannot be placed is undecided, never also kept
  for (const p of r.pairs) {
    const total = p.promises.flush + p.promises.fua + p.promises.writeThrough;
    assert.ok(p.honored + p.violated + p.undecided + p.notFollowedPromises <= total, JSON.stringify(p));
  }
  const gq = r.pairs.find((p) => p.upper === 'guest:254,0')!;
  assert.ok(gq.notFollowedPromises + gq.undecided > 0 && gq.honored < gq.promises.flush + gq.promises.fua, JSON.stringify(gq));
});

test('the same copies with irregular gaps: one offset, no ambiguity, no error', () => {
  const { r } = loadLayers(copies([0, 2.3e9, 3.1e9, 2.7e9]), {}, read);
  const guestQemu = r.alignment.find((a) => a.upper === 'guest:254,0')!;
  assert.equal(guestQemu.method, 'causal-offset');
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map((f) => f.message), []);
});
