/**
 * Properties every parser core must keep (issue: hostile input):
 *  - no parser throws on arbitrary bytes, or on mutated real traces;
 *  - feeding input in any chunking gives the same events;
 * Every FormatSpec in the registry is covered automatically. Crashes found by
 * the long fuzz run (npm run fuzz) are kept in fixtures/regressions/ and
 * replayed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { FORMATS } from '../src/formats/registry.js';
import { ROOT } from './helpers/cli.js';
import { checkInput, mutate, rng } from './helpers/fuzz.js';

/** Real seeds per format, found by content detection over fixtures/. */
function seeds(): Map<string, Buffer[]> {
  const out = new Map<string, Buffer[]>();
  const walk = (dir: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (!ent.name.endsWith('.md') && !ent.name.endsWith('.json')) {
        const data = readFileSync(p).subarray(0, 16384);
        let best: { name: string; c: number } | undefined;
        for (const f of FORMATS) {
          let c = 0;
          try {
            c = f.detect(data);
          } catch {
            c = 0;
          }
          if (c > 0 && (!best || c > best.c)) best = { name: f.name, c };
        }
        if (best) {
          const list = out.get(best.name) ?? [];
          if (list.length < 4) list.push(data);
          out.set(best.name, list);
        }
      }
    }
  };
  walk(join(ROOT, 'fixtures'));
  return out;
}

test('no parser throws on arbitrary bytes, and chunking never changes the events', () => {
  for (const format of FORMATS) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.integer({ min: 1, max: 97 }), (bytes, chunk) => {
        const failure = checkInput(format, Buffer.from(bytes), chunk);
        assert.equal(failure, undefined, failure && `${format.name}: ${failure.message}`);
      }),
      { numRuns: 60, seed: 1234 },
    );
  }
});

test('no parser throws on mutated real traces; chunking never changes the events', () => {
  const bySeed = seeds();
  assert.ok(bySeed.size >= 1, 'fixtures provide at least one seed');
  for (const format of FORMATS) {
    const list = bySeed.get(format.name) ?? [];
    const r = rng(42);
    for (const seed of list) {
      let input = seed;
      for (let i = 0; i < 40; i++) {
        input = mutate(input, r);
        if (input.length > 65536) input = input.subarray(0, 65536);
        const failure = checkInput(format, input, 1 + Math.floor(r() * 300));
        assert.equal(failure, undefined, failure && `${format.name}: ${failure.message}`);
      }
    }
  }
});

test('every regression fixture found by fuzzing parses without a throw, whatever the chunking', () => {
  const dir = join(ROOT, 'fixtures/regressions');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => !f.endsWith('.md')) : [];
  for (const file of files) {
    const name = file.split('--')[0]!;
    const format = FORMATS.find((f) => f.name === name);
    assert.ok(format, `regression fixture ${file} names a known format (name--description.bin)`);
    const data = readFileSync(join(dir, file));
    for (const chunk of [1, 7, 65536]) {
      const failure = checkInput(format, data, chunk);
      assert.equal(failure, undefined, failure && `${file}: ${failure.message}`);
    }
  }
});
