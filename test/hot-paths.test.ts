/**
 * The forms of hot-path code that make no object per call (issue 16: the 1,000-copy stack bench spent a
 * fifth of its main thread in garbage collection) give what the plain forms gave:
 * - SectorMap.mapInto = SectorMap.map, for identity, offset and extent maps (overlapping extents too);
 * - RangeIndex.withinInto = RangeIndex.within, and within called again from its own callback;
 * - opaqueOf (a thread-pool job's `opaque`) = the regular expression it replaced, on generated arguments;
 * - OpenMap (requests in flight by pointer) = a Map with delete, in content and order, through compaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extentMap, IDENTITY, offsetMap, type SectorMap } from '../src/correlate/mapping.js';
import { OpKind, OpTable } from '../src/correlate/ops.js';
import { RangeIndex } from '../src/correlate/range-index.js';
import { opaqueOf } from '../src/qemu/rebuild.js';
import { IdMap, OpenMap } from '../src/qemu/open-map.js';
import { emptyQemuEvent } from '../src/qemu/event.js';
import { rng } from './helpers/fuzz.js';

function flat(m: SectorMap, s: number, n: number): number[] {
  const out: number[] = [];
  const k = m.mapInto(s, n, out);
  return out.slice(0, 2 * k);
}

type Extent = { upper: number; lower: number; sectors: number };

/** What a map sends [s, s+n) to, by its definition: each extent it overlaps, in order of upper start. */
function byDefinition(extents: Extent[] | number, s: number, n: number): number[] {
  if (typeof extents === 'number') return [s + extents, n];
  const out: number[] = [];
  const end = s + Math.max(n, 1);
  for (const e of [...extents].sort((a, b) => a.upper - b.upper)) {
    const a = Math.max(s, e.upper);
    const b = Math.min(end, e.upper + e.sectors);
    if (b > a) out.push(e.lower + (a - e.upper), n === 0 ? 0 : b - a);
  }
  return out;
}

test('SectorMap.mapInto gives map()’s ranges, flattened, for every kind of map, as the maps define them', () => {
  const three: Extent[] = [{ upper: 0, lower: 1000, sectors: 8 }, { upper: 8, lower: 5000, sectors: 16 }, { upper: 40, lower: 90, sectors: 8 }];
  // overlapping extents (raid5 parity, a cache target): every overlapping one counts
  const overlapping: Extent[] = [{ upper: 0, lower: 100, sectors: 64 }, { upper: 8, lower: 900, sectors: 8 }, { upper: 32, lower: 700, sectors: 32 }];
  const maps: Array<[SectorMap, Extent[] | number]> = [
    [IDENTITY, 0],
    [offsetMap(2048), 2048],
    [offsetMap(-64), -64],
    [extentMap(three, 'three'), three],
    [extentMap(overlapping, 'overlapping'), overlapping],
  ];
  const r = rng(7);
  let pieces = 0;
  for (const [m, def] of maps) {
    const scratch: number[] = [];
    for (let i = 0; i < 400; i++) {
      const s = Math.floor(r() * 80);
      // zero-length ranges (a flush's or an empty bio's) a tenth of the time
      const n = r() < 0.1 ? 0 : Math.floor(r() * 24);
      const want = m.map(s, n).flat();
      assert.deepEqual(want, byDefinition(def, s, n), `${m.describe} ${s}+${n}`);
      assert.deepEqual(flat(m, s, n), want, `${m.describe} ${s}+${n}`);
      // a scratch array longer than needed from an earlier call: only the count returned is read
      const k = m.mapInto(s, n, scratch);
      assert.deepEqual(scratch.slice(0, 2 * k), want);
      pieces += k;
    }
  }
  assert.ok(pieces > 1000);
});

test('RangeIndex.withinInto pushes the rows within() calls back for, in order, also when called from within', () => {
  const t = new OpTable('l', '7,1', 'block', false, 16);
  const r = rng(11);
  for (let i = 0; i < 600; i++) {
    const at = i * 1e5 + Math.floor(r() * 5e4);
    const row = t.add(OpKind.Write, Math.floor(r() * 200) * 8, 8 * (1 + Math.floor(r() * 3)), at, 0, 0);
    t.complete(row, at + Math.floor(r() * 3e5), 0, true);
  }
  const idx = RangeIndex.of(t, [OpKind.Write]);
  let seen = 0;
  for (let i = 0; i < 300; i++) {
    const s = Math.floor(r() * 1700);
    const n = Math.floor(r() * 40);
    const from = Math.floor(r() * 6e7);
    const to = from + Math.floor(r() * 2e6);
    const viaFn: number[] = [];
    const nested: number[] = [];
    idx.within(s, n, from, to, (row) => {
      viaFn.push(row);
      // a lookup made while the first one calls back leaves the first one's rows alone
      idx.within(t.sector[row]!, 8, from, to, (x) => nested.push(x));
    });
    const into: number[] = [];
    idx.withinInto(s, n, from, to, into);
    assert.deepEqual(into, viaFn);
    // the plain definition: rows overlapping [s, s+n) issued at or after from and completed by to
    const plain: number[] = [];
    for (let row = 0; row < t.n; row++) {
      const end = t.sector[row]! + Math.max(t.count[row]!, 1);
      if (t.sector[row]! < s + Math.max(n, 1) && end > s && t.tI[row]! >= from && t.tC[row]! <= to) plain.push(row);
    }
    assert.deepEqual([...into].sort((a, b) => a - b), plain);
    seen += into.length + nested.length;
  }
  assert.ok(seen > 0);
});

test('opaqueOf reads what /\\bopaque[ =]0x0*([0-9a-fA-F]{1,13})\\b/ read (leading zeros of a padded %p skipped)', () => {
  // (a bare 0x0 has its one digit: the regular expression's 0* takes none back, the value is the same 0)
  const RE = /\bopaque[ =]0x(?:0*([0-9a-fA-F]{1,13})|(0+))\b/;
  const ref = (args: string) => {
    const m = RE.exec(args);
    return m ? Number.parseInt(m[1] ?? m[2]!, 16) : -1;
  };
  const parts = ['opaque', 'xopaque', '_opaque', 'opaque=', 'opaque ', '0x', '0X', 'fF', '1234567890abc', 'abcdef0123456', '7', 'g', '_', ' ', '=', 'pool', 'opaque 0x', 'é', '-', '000', '0'];
  const r = rng(3);
  const e = emptyQemuEvent();
  let found = 0;
  for (let i = 0; i < 50000; i++) {
    let s = '';
    for (let j = 1 + Math.floor(r() * 8); j > 0; j--) s += parts[Math.floor(r() * parts.length)]!;
    e.args = s;
    const want = ref(s);
    assert.equal(opaqueOf(e), want, JSON.stringify(s));
    if (want >= 0) found++;
  }
  for (const [s, want] of [
    ['pool 0x55d0c0 req 0x7f01 opaque 0x7f2a3c001234', 0x7f2a3c001234],
    ['pool 0x1 req 0x2 opaque 0x12345678901234 ret 0', -1],
    ['opaque=0xABCdef', 0xabcdef],
    // qemu-trace-stap: SystemTap prints %p as 16 zero-padded hex digits
    ['pool 0x0000559a00001000 req 0x0000559a00002000 opaque 0x00007f2a3c001234', 0x7f2a3c001234],
    ['opaque 0x0000000000000000 ret 0', 0],
  ] as const) {
    e.args = s;
    assert.equal(opaqueOf(e), want, s);
  }
  assert.ok(found > 200, `${found} matches`);
});

test('OpenMap holds what a Map with delete holds, in the same order, through compaction', () => {
  const r = rng(5);
  const open = new OpenMap<number>();
  const ref = new Map<string, number>();
  const keys = Array.from({ length: 3000 }, (_, i) => `0x${(0x7f0000 + i * 16).toString(16)}`);
  for (let i = 0; i < 60000; i++) {
    // a few hot pointers reused all the time, and now and then a burst of new ones (compaction)
    const k = keys[r() < 0.9 ? Math.floor(r() * 40) : Math.floor(r() * keys.length)]!;
    const x = r();
    if (x < 0.5) {
      open.set(k, i);
      ref.set(k, i);
    } else {
      open.delete(k);
      ref.delete(k);
    }
    assert.equal(open.size, ref.size);
    assert.equal(open.get(k), ref.get(k));
    assert.equal(open.has(k), ref.has(k));
    if (i % 997 === 0) assert.deepEqual(open.values(), [...ref.values()]);
  }
  assert.deepEqual(open.values(), [...ref.values()]);
  open.clear();
  assert.equal(open.size, 0);
  assert.deepEqual(open.values(), []);
});

test('IdMap holds what a Map by increasing ids holds, in the same order, through compaction', () => {
  const r = rng(7);
  const ids = new IdMap<string>();
  const ref = new Map<number, string>();
  const open: number[] = [];
  let next = 0;
  for (let i = 0; i < 60000; i++) {
    // requests start in id order and end in any order; now and then one stays open for long (holes behind it)
    if (open.length === 0 || r() < 0.5) {
      const id = next++;
      ids.set(id, `v${id}`);
      ref.set(id, `v${id}`);
      open.push(id);
    } else {
      const k = r() < 0.98 ? Math.floor(r() * open.length) : open.length - 1;
      const id = open.splice(k, 1)[0]!;
      ids.delete(id);
      ref.delete(id);
      ids.delete(id); // twice: nothing more happens
    }
    const probe = Math.floor(r() * (next + 2)) - 1;
    assert.equal(ids.get(probe), ref.get(probe));
    assert.equal(ids.size, ref.size);
    if (i % 997 === 0) {
      assert.deepEqual(ids.values(), [...ref.values()]);
      const walked: string[] = [];
      for (let k = 0; k < ids.entries; k++) {
        const v = ids.at(k);
        if (v !== undefined) walked.push(v);
      }
      assert.deepEqual(walked, [...ref.values()]);
    }
  }
  assert.throws(() => ids.set(0, 'old id'), /not above/);
  ids.clear();
  assert.equal(ids.size, 0);
  assert.deepEqual(ids.values(), []);
});
