/**
 * formats/catalog.ts (what the CLI detects with, parsers loaded on use) and
 * formats/registry.ts (the full specs) must be the same formats: same order,
 * same descriptions, the same detection answer on every fixture, and load()
 * giving the registry's own spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG, detectEntry } from '../src/formats/catalog.js';
import { detectFormat, FORMATS } from '../src/formats/registry.js';
import { ROOT } from './helpers/cli.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('catalog = registry: order, descriptions, and load() gives the same spec', async () => {
  assert.deepEqual(CATALOG.map((f) => f.name), FORMATS.map((f) => f.name));
  for (const [i, e] of CATALOG.entries()) {
    const f = FORMATS[i]!;
    for (const k of ['title', 'example', 'detectedBy', 'kind', 'produces'] as const) assert.equal(e[k], f[k], `${f.name}.${k}`);
    assert.equal(await e.load(), f, `${f.name}: load() is the registry's spec`);
  }
});

test('catalog detection = registry detection on every fixture', () => {
  const all = files(join(ROOT, 'fixtures'));
  assert.ok(all.length > 100);
  let detected = 0;
  for (const p of all) {
    const head = readFileSync(p).subarray(0, 65536);
    const a = detectEntry(head);
    const b = detectFormat(head);
    assert.equal(a?.format.name, b?.format.name, p);
    assert.equal(a?.confidence, b?.confidence, p);
    if (a) detected++;
  }
  assert.ok(detected > 100, `${detected} fixtures detected`);
});
