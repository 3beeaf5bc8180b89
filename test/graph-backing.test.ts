/**
 * graph.ts unmapped: a QEMU drive whose writes fit no traced host device is linked, with no map, to the one
 * device left, unless that device holds only an image the drive reads (its backing file): the real capture
 * fixtures/stacks/vm-qstream-none with loop1 alone (test/stacks-block-jobs) shows the quiet backing device; the
 * other side — a device that also shows writes stays linked, its flushes still asked — has no capture here (an
 * overlay file whose writes fit no map beside a backing file whose reads fit one), so it is built from rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEdges, type StackLayer, type StackNode } from '../src/correlate/graph.js';
import { OpKind, OpTable } from '../src/correlate/ops.js';

const cache = { mode: 'unknown', source: 'unknown' } as unknown as StackNode['cache'];

function row(t: OpTable, kind: OpKind, sector: number, count: number, at: number): number {
  const r = t.add(kind, sector, count, at, at, 0);
  t.complete(r, at + 100, at, true);
  return r;
}

/** The drive: 20 reads of a backing node it never writes (sectors 1000 + 64k), 20 writes of its overlay node. */
function drive(): StackNode {
  const t = new OpTable('qemu', 'd0', 'qemu-back', false);
  const ro: number[] = [];
  for (let k = 0; k < 20; k++) {
    ro[row(t, OpKind.Read, 1000 + 64 * k, 8, 1e6 * k)] = 0;
    ro[row(t, OpKind.Write, 7000 + 128 * k, 8, 1e6 * k + 5e5)] = -1;
  }
  return { index: 0, name: 'qemu:jobs', layer: 'qemu', table: t, cache, dev: -1, readOnlyNodes: Int32Array.from(ro) };
}

/** A host device holding the backing's reads at the same sectors; `written`: and writes no map explains (qcow2 clusters). */
function host(written: boolean): StackNode {
  const t = new OpTable('host', '7,1', 'block', false);
  for (let k = 0; k < 20; k++) {
    row(t, OpKind.Read, 1000 + 64 * k, 8, 1e6 * k);
    if (written) row(t, OpKind.Write, 900000 + 3 * k * k * 8 + k * 40, 16, 1e6 * k + 6e5);
  }
  if (written) row(t, OpKind.Flush, -1, 0, 3e7);
  return { index: 1, name: 'host', layer: 'host', table: t, cache, dev: 0x700001 };
}

function layers(lower: StackNode): StackLayer[] {
  return [{ name: 'qemu', kind: 'qemu', nodes: [drive()] }, { name: 'host', kind: 'block', nodes: [lower] }];
}

test('a device that shows the backing\'s reads and nothing else is not linked under the drive\'s writes', () => {
  const g = buildEdges(layers(host(false)));
  assert.deepEqual(g.edges, []);
  assert.ok(g.limitations.some((l) => /host holds an image it only reads/.test(l)), JSON.stringify(g.limitations));
});

test('a device that shows the backing\'s reads and writes is still linked, with no map (the same host filesystem may hold both images)', () => {
  const g = buildEdges(layers(host(true)));
  assert.deepEqual(g.edges.map((e) => [e.upper, e.lower, e.mapSource]), [[0, 1, 'none']]);
});

test('with no read-only node the device left is linked as before (an empty trace of the disk under a drive is a proof)', () => {
  const d = drive();
  delete d.readOnlyNodes;
  const g = buildEdges([{ name: 'qemu', kind: 'qemu', nodes: [d] }, { name: 'host', kind: 'block', nodes: [host(false)] }]);
  assert.deepEqual(g.edges.map((e) => [e.upper, e.lower, e.mapSource]), [[0, 1, 'none']]);
});
