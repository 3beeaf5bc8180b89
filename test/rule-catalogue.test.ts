/**
 * One rule catalogue (src/check/rules/catalogue.ts): `check --help` and the
 * README's Rules table list exactly its rules, every rule id the code emits
 * is in it, and every entry that is not reserved is emitted somewhere.
 */
import { ROOT, runCli } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE } from '../src/check/rules/catalogue.js';

const ids = CATALOGUE.map((r) => r.id);

function readmeRules(): Array<{ id: string; severity: string; source: string }> {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = text.slice(text.indexOf('\n## Rules'));
  const table = section.slice(section.indexOf('| rule |'), section.indexOf('\n\n', section.indexOf('| rule |')));
  return table.split('\n').slice(2).map((row) => {
    const cells = row.replace(/\\\|/g, '\u0000').split('|').slice(1, -1).map((c) => c.trim().replace(/\u0000/g, '|'));
    return { id: cells[0]!.replace(/`/g, ''), severity: cells[1]!, source: cells[4] ?? '' };
  });
}

test('every catalogue entry has a meaning, evidence and a kernel/QEMU citation; ids are unique', () => {
  assert.equal(new Set(ids).size, ids.length);
  for (const r of CATALOGUE) {
    assert.ok(r.meaning.length > 20 && r.evidence.length > 5 && r.citation.length > 10, r.id);
  }
  for (const id of ['flush-not-passed-down', 'fua-not-honored', 'write-through-not-durable', 'durable-order-inverted', 'cross-layer-undecided']) {
    assert.equal(CATALOGUE.find((r) => r.id === id)?.scope, 'cross-layer', id);
  }
  assert.equal(CATALOGUE.find((r) => r.id === 'sync-call-not-durable')?.scope, 'app');
});

test('the README Rules table lists exactly the catalogue, with its severities and citations', () => {
  const rows = readmeRules();
  assert.deepEqual(rows.map((r) => r.id), ids);
  for (const r of rows) {
    const c = CATALOGUE.find((x) => x.id === r.id)!;
    assert.ok(r.severity.startsWith(c.severity), `${r.id}: README says ${r.severity}, catalogue ${c.severity}`);
    assert.equal(r.source, c.citation, r.id);
  }
});

test('check --help lists exactly the catalogue', async () => {
  const r = await runCli(['check', '--help']);
  assert.equal(r.code, 0);
  const listed = [...r.stdout.matchAll(/^ {2}([a-z]+(?:-[a-z]+)+) +(error|warning|info)\b/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(listed, CATALOGUE.map((c) => [c.id, c.severity]));
});

function srcFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...srcFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every rule id the code emits is catalogued, and every catalogued rule (not reserved) is emitted', () => {
  const emitted = new Set<string>();
  for (const f of srcFiles(join(ROOT, 'src'))) {
    if (f.endsWith('catalogue.ts')) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!/\brule:|makeFinding\(|\bid: '/.test(line)) continue;
      for (const m of line.matchAll(/'([a-z]+(?:-[a-z]+){1,5})'/g)) emitted.add(m[1]!);
    }
  }
  const notCatalogued = [...emitted].filter((id) => !ids.includes(id) && /-(issued|stripped|failed|error|drained|flight|end|issue|off|events|down|honored|durable|inverted|undecided)$/.test(id));
  assert.deepEqual(notCatalogued, []);
  const notEmitted = CATALOGUE.filter((c) => !c.reserved && !emitted.has(c.id)).map((c) => c.id);
  assert.deepEqual(notEmitted, []);
});
