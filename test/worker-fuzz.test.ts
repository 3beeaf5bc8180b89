/**
 * The parse workers on inputs nobody wrote on purpose: seeded mutations of the fixtures' blkparse texts and QEMU
 * logs (flipped bytes, cut and doubled lines, odd tokens: test/helpers/fuzz.ts), each parsed on the main thread,
 * by a worker reading the file, by a worker sent chunks, and for blkparse in blocks of random size by three
 * workers — every call compared (test/helpers/fuzz-workers.ts). Anything the long run
 * (`npm run fuzz -- --workers`) finds is kept in fixtures/regressions/ as `<format>--fuzz-worker-*.bin` and
 * replayed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatByName } from '../src/formats/registry.js';
import { rng } from './helpers/fuzz.js';
import { mutatedInput, workerDifference, workerFixtures } from './helpers/fuzz-workers.js';
import { tempDir } from './helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

for (const name of ['blkparse', 'qemu-log']) {
  test(`${name}: the workers = the main thread on mutated fixtures`, async () => {
    const format = formatByName(name)!;
    const files = workerFixtures(name);
    assert.ok(files.length >= 5, `${files.length} ${name} fixtures`);
    const dir = tempDir('blkaudit-worker-fuzz-');
    const r = rng(name === 'blkparse' ? 20261206 : 61202026);
    for (let k = 0; k < 8; k++) {
      const path = join(dir, `${k}.in`);
      writeFileSync(path, mutatedInput(files, r));
      const diff = await workerDifference(format, path, 1 + Math.floor(r() * 8192));
      assert.equal(diff, undefined, `input ${k}: ${diff}`);
    }
  });
}

test('the workers = the main thread on every worker regression kept by the long fuzz run', async () => {
  const dir = join(ROOT, 'fixtures/regressions');
  const kept = readdirSync(dir).filter((f) => f.includes('--fuzz-worker-'));
  for (const f of kept) {
    const format = formatByName(f.slice(0, f.indexOf('--')))!;
    assert.ok(format, f);
    assert.equal(await workerDifference(format, join(dir, f), 97), undefined, f);
  }
});
