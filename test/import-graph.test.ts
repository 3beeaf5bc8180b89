/**
 * The import graph of src/ (issue 12): no cycle, nothing imports from
 * src/cli/ (the commands sit on top), and no stage reaches into the stage
 * list or the library entry above it. Plain TypeScript: the files are read
 * and their relative import specifiers taken with a regex (type-only imports
 * count too — a cycle of types is still a knot in the design).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './helpers/cli.js';

const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** file (relative to src/) → the src files it imports (relative). */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const spec = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const file of tsFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(spec)) {
      const s = (m[1] ?? m[2])!;
      const target = resolve(dirname(file), s.replace(/\.js$/, '.ts'));
      deps.add(relative(SRC, target));
    }
    graph.set(relative(SRC, file), [...deps].sort());
  }
  return graph;
}

/** Every elementary cycle found by a DFS (each reported once, from its smallest member). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, number>(); // 1 on stack, 2 done
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      const st = state.get(d);
      if (st === 1) {
        const cyc = stack.slice(stack.indexOf(d));
        const min = cyc.reduce((a, b) => (a < b ? a : b));
        const rot = [...cyc.slice(cyc.indexOf(min)), ...cyc.slice(0, cyc.indexOf(min))];
        const key = rot.join(' > ');
        if (!seen.has(key)) {
          seen.add(key);
          out.push(rot);
        }
      } else if (st === undefined) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return out;
}

test('the graph is read: every src file is in it and the known entry points import what they should', () => {
  const g = importGraph();
  assert.ok(g.size > 100, `${g.size} files`);
  assert.ok(g.get('index.ts')!.includes('stages.ts'));
  assert.ok(g.get('cli/main.ts')!.length > 0);
  // the cycle finder finds a cycle when there is one
  assert.deepEqual(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]])), [['a.ts', 'b.ts', 'c.ts']]);
});

test('src/ has no import cycle', () => {
  const found = cycles(importGraph()).map((c) => [...c, c[0]].join(' -> '));
  assert.deepEqual(found, []);
});

test('nothing under src/ imports from src/cli/, and no module below reaches up to the top-level entry files', () => {
  // top level (src/*.ts: index.ts = analyze(), stages.ts, analyze-report.ts, correlate-files.ts) is the
  // library API over the stages; cli/ sits on it. A file in any other folder importing either is an upward arrow.
  // version.ts is a leaf (a constant, imports nothing): any layer may read it.
  // src/fleet is `check --each`'s machinery (discovery, worker pool, per-capture record): it runs the command's
  // analysis (cli/check-analysis.ts) in worker threads, so it sits in the command layer with src/cli.
  const graph = importGraph();
  const leaf = (d: string) => !d.includes('/') && (graph.get(d) ?? []).length === 0;
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const cli = file.startsWith('cli/') || file.startsWith('fleet/');
    const nested = file.includes('/');
    for (const d of deps) {
      if (!cli && d.startsWith('cli/')) bad.push(`${file} -> ${d}`);
      if (nested && !cli && !d.includes('/') && !leaf(d)) bad.push(`${file} -> ${d}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('io sits above formats: formats never import io (line framing is formats/lines.ts, InputError model/errors.ts)', () => {
  const bad: string[] = [];
  for (const [file, deps] of importGraph()) {
    if (file.startsWith('formats/')) for (const d of deps) if (d.startsWith('io/')) bad.push(`${file} -> ${d}`);
  }
  assert.deepEqual(bad, []);
});
