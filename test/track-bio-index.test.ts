/**
 * BioIndex (src/track/bio-index.ts) keeps runs of back-to-back bios beside
 * its tree: every search must see exactly the order a tree holding every bio
 * gives (by start, earlier-inserted first among equal starts). Checked here
 * against a plain sorted list under random operations shaped like traces —
 * plugged runs of adjacent bios, duplicates, bios landing inside a run,
 * erasing heads, tails and middles, partial-completion moves, evictions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BioIndex, MAX_RUN, OPEN_RUNS } from '../src/track/bio-index.js';
import { newBio, type Bio } from '../src/track/request.js';
import { BioSet } from '../src/track/bio-set.js';

/** Small deterministic PRNG (tests must not be flaky). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The reference: every bio in one list, in the order a tree with duplicates gives. */
class Reference {
  readonly list: Bio[] = [];
  insert(b: Bio): boolean {
    let i = this.list.length;
    while (i > 0 && this.list[i - 1]!.start > b.start) i--;
    const dup = this.list.some((x) => x.start === b.start);
    this.list.splice(i, 0, b);
    return dup;
  }
  erase(b: Bio): void {
    this.list.splice(this.list.indexOf(b), 1);
  }
  lowerBound(s: number): Bio | null {
    return this.list.find((x) => x.start >= s) ?? null;
  }
}

function inOrder(ix: BioIndex): Bio[] {
  const out: Bio[] = [];
  for (let n = ix.first(); n; n = ix.next(n)) out.push(n);
  return out;
}

function run(seed: number, steps: number, writers = 1): { runs: number } {
  const r = rng(seed);
  const ix = new BioIndex();
  const ref = new Reference();
  let id = 0;
  // where each plugged writer's next bio starts (writers interleave as kworkers on several CPUs do)
  const nexts = Array.from({ length: writers }, (_, w) => w * 1024);
  let w = 0;
  let appended = 0;
  const ids = new Map<Bio, number>();
  const make = (start: number, len: number): Bio => {
    const b = newBio(start, start + len);
    ids.set(b, id++);
    return b;
  };
  for (let i = 0; i < steps; i++) {
    const op = r();
    const live = ref.list;
    if (op < 0.5 || live.length === 0) {
      // mostly the next sectors of a plugged run; sometimes a jump, a duplicate, or a bio inside a run
      const k = r();
      if (writers > 1 && r() < 0.4) w = Math.floor(r() * writers);
      const next = nexts[w]!;
      const start = k < 0.7 ? next : k < 0.8 && live.length > 0 ? live[Math.floor(r() * live.length)]!.start : k < 0.9 ? Math.max(0, next - Math.floor(r() * 64)) : Math.floor(r() * 4096);
      const len = 1 + Math.floor(r() * 16);
      const b = make(start, len);
      const before = ix.size;
      assert.equal(ix.insertMulti(b), ref.insert(b), `dup answer at step ${i}`);
      if (b.follower) appended++;
      assert.equal(ix.size, before + 1);
      nexts[w] = start + len;
    } else if (op < 0.8) {
      // complete a range: erase the bios of a contiguous stretch of the order, front to back (as claim then erase)
      const at = Math.floor(r() * live.length);
      const n = 1 + Math.floor(r() * 8);
      for (const b of live.slice(at, at + n)) {
        ix.erase(b);
        ref.erase(b);
      }
    } else if (op < 0.9) {
      // erase one bio anywhere (requeue, eviction, a partial completion moving it)
      const b = live[Math.floor(r() * live.length)]!;
      ix.erase(b);
      ref.erase(b);
      if (r() < 0.5) {
        b.start = b.start + 1 < b.end ? b.start + 1 : b.start;
        assert.equal(ix.insertMulti(b), ref.insert(b));
      }
    } else if (op < 0.97) {
      const s = Math.floor(r() * 4200);
      assert.equal(ix.lowerBound(s), ref.lowerBound(s), `lowerBound(${s}) at step ${i}`);
    } else {
      const count = Math.floor(r() * 5);
      const age = (b: Bio): number => Math.floor(ids.get(b)! / 7);
      const want = [...ref.list].sort((a, b) => age(a) - age(b)).slice(0, count);
      const got: Bio[] = [];
      assert.equal(ix.evictOldest(count, age, (b) => got.push(b)), want.length);
      assert.deepEqual(got.map((b) => ids.get(b)), want.map((b) => ids.get(b)), `evictOldest at step ${i}`);
      for (const b of got) ref.erase(b);
    }
    assert.equal(ix.size, ref.list.length, `size at step ${i}`);
    if (i % 7 === 0) assert.deepEqual(inOrder(ix).map((b) => ids.get(b)), ref.list.map((b) => ids.get(b)), `order at step ${i}`);
  }
  return { runs: appended };
}

test('the order every search sees is the order of a tree holding every bio', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const { runs } = run(seed, 4000);
    // the runs were used (else this tests only the tree)
    assert.ok(runs > 500, `seed ${seed}: ${runs} bios appended to runs`);
  }
});

test('with writers interleaved, several runs are open at once and the order stays the tree\'s', () => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    for (const writers of [2, OPEN_RUNS, OPEN_RUNS + 2]) {
      const { runs } = run(seed, 4000, writers);
      assert.ok(runs > 500, `seed ${seed}, ${writers} writers: ${runs} bios appended to runs`);
    }
  }
});

test('writers taking turns each keep their run open: their bios stay out of the tree', () => {
  const ix = new BioIndex();
  const all: Bio[] = [];
  let appended = 0;
  const writers = 4;
  assert.ok(OPEN_RUNS >= writers);
  for (let round = 0; round < 10; round++) {
    for (let w = 0; w < writers; w++) {
      const b = newBio(w * 10000 + round * 8, w * 10000 + round * 8 + 8);
      assert.equal(ix.insertMulti(b), false);
      if (b.follower) appended++;
      all.push(b);
    }
  }
  // all but each writer's first bio (one slot each; with one open run every switch went to the tree)
  assert.equal(appended, 10 * writers - writers);
  assert.deepEqual(inOrder(ix), [...all].sort((a, b) => a.start - b.start));
  // a fifth writer takes a slot; the others' runs stay in order around it
  const x = newBio(5000, 5008);
  ix.insertMulti(x);
  const y = newBio(5008, 5016);
  ix.insertMulti(y);
  assert.equal(y.follower, true);
  assert.deepEqual(inOrder(ix), [...all, x, y].sort((a, b) => a.start - b.start));
});

test('findContaining finds a bio held in a run, and nothing past every bio', () => {
  const ix = new BioIndex();
  const a = newBio(100, 108);
  const b = newBio(108, 116);
  const c = newBio(116, 124);
  for (const x of [a, b, c]) ix.insertMulti(x);
  assert.ok(b.follower && c.follower, 'adjacent bios go to the run of the first');
  assert.equal(ix.findContaining(110), b);
  assert.equal(ix.findContaining(123), c);
  assert.equal(ix.findContaining(124), null);
  assert.equal(ix.findContaining(99), null);
  // erasing the head makes its first follower the tree node: the rest is still found
  ix.erase(a);
  assert.equal(ix.findContaining(120), c);
  assert.deepEqual(inOrder(ix), [b, c]);
});

test('a bio inserted inside a run takes the followers after it; clear forgets everything', () => {
  const ix = new BioIndex();
  const bios = [0, 8, 16, 24].map((s) => newBio(s, s + 8));
  for (const b of bios) ix.insertMulti(b);
  const x = newBio(10, 12);
  ix.insertMulti(x);
  assert.deepEqual(inOrder(ix), [bios[0], bios[1], x, bios[2], bios[3]]);
  assert.equal(ix.lowerBound(9), x);
  assert.equal(ix.lowerBound(11), bios[2]);
  ix.clear();
  assert.equal(ix.size, 0);
  assert.equal(ix.first(), null);
});

test('a run holds at most MAX_RUN followers: a queue of adjacent bios stays a tree of short runs', () => {
  const ix = new BioIndex();
  const bios = Array.from({ length: 10 * (MAX_RUN + 1) }, (_, i) => newBio(i * 8, i * 8 + 8));
  for (const b of bios) ix.insertMulti(b);
  // every (MAX_RUN + 1)-th bio is a tree node heading the next run
  bios.forEach((b, i) => assert.equal(b.follower, i % (MAX_RUN + 1) !== 0, `bio ${i}`));
  assert.deepEqual(inOrder(ix), bios);
  assert.equal(ix.lowerBound(8 * (5 * (MAX_RUN + 1) + 3)), bios[5 * (MAX_RUN + 1) + 3]);
});

/** The tree's shape and the runs hung on it, by bio id: two indexes fed alike must give one string. */
function shape(ix: BioIndex, id: (b: Bio) => number): string {
  const walk = (n: Bio | null): string => {
    if (n === null) return '.';
    const run: number[] = [];
    for (let f = n.fnext; f !== null; f = f.fnext) run.push(id(f));
    return `(${walk(n.left as Bio | null)} ${id(n)}${n.red ? 'r' : 'b'}[${run.join(',')}] ${walk(n.right as Bio | null)})`;
  };
  return walk((ix as unknown as { tree: { root: Bio | null } }).tree.root);
}

test('eraseAll leaves the tree as erasing the claimed bios one by one does (same shape: findContaining sees the same)', () => {
  for (const seed of [21, 22, 23, 24]) {
    const r = rng(seed);
    const one = new BioIndex();
    const all = new BioIndex();
    const twin = new Map<Bio, Bio>();
    const ids = new Map<Bio, number>();
    const ref = new Reference();
    const nexts = [0, 3000, 6000];
    for (let i = 0; i < 3000; i++) {
      if (r() < 0.55 || ref.list.length === 0) {
        const w = Math.floor(r() * nexts.length);
        const k = r();
        const start = k < 0.8 ? nexts[w]! : Math.floor(r() * 9000);
        const len = 1 + Math.floor(r() * 8);
        const a = newBio(start, start + len);
        const b = newBio(start, start + len);
        ids.set(a, i).set(b, i);
        twin.set(a, b);
        one.insertMulti(a);
        all.insertMulti(b);
        ref.insert(a);
        nexts[w] = start + len;
      } else {
        // a claim: a stretch of the order, often a whole run or a run's front
        const at = Math.floor(r() * ref.list.length);
        const list = ref.list.slice(at, at + 1 + Math.floor(r() * 12));
        for (const a of list) {
          one.erase(a);
          ref.erase(a);
        }
        all.eraseAll(list.map((a) => twin.get(a)!));
      }
      const id = (b: Bio): number => ids.get(b)!;
      assert.equal(all.size, one.size, `size at step ${i}`);
      assert.equal(shape(all, id), shape(one, id), `seed ${seed}: shape at step ${i}`);
    }
    assert.deepEqual(inOrder(all).map((b) => ids.get(b)), ref.list.map((b) => ids.get(b)));
  }
});

/** The tracker's searches over the index (bio-set.ts), opened for the test. */
class Searches extends BioSet {
  constructor() {
    super();
    // a walk that does not move on would loop for ever: fail instead
    const ix = this.tree;
    const nextInTree = ix.nextInTree.bind(ix);
    let steps = 0;
    ix.nextInTree = (head: Bio): Bio | null => {
      if (++steps > 1000) throw new Error('the walk does not move on');
      return nextInTree(head);
    };
  }
  add(b: Bio): void {
    this.tree.insertMulti(b);
  }
  remove(b: Bio): void {
    this.tree.erase(b);
  }
  at(sector: number, state: number): Bio | null {
    return this.atStart(sector, state);
  }
  take(lo: number, hi: number, maxState: number, minState = 0): readonly Bio[] {
    return this.claim(lo, hi, maxState, minState);
  }
}

test('atStart and claim go on past a run\'s end to the next tree node at the same sector, and stop after it', () => {
  const s = new Searches();
  const head = newBio(100, 108);
  const dup = newBio(100, 108);
  const gone = newBio(108, 116);
  for (const b of [head, dup, gone]) s.add(b);
  assert.ok(dup.follower && gone.follower);
  // the run's open end erased: the next bio at 100 goes to the tree, right after the run
  s.remove(gone);
  const node = newBio(100, 104);
  s.add(node);
  assert.equal(node.follower, false);
  const after = newBio(300, 308);
  s.add(after);
  head.state = dup.state = node.state = after.state = 3;
  assert.equal(s.at(100, 0), null);
  assert.equal(s.at(100, 3), head);
  head.state = dup.state = 1;
  assert.equal(s.at(100, 3), node);
  assert.deepEqual(s.take(100, 400, 0), []);
  after.state = 0;
  assert.deepEqual(s.take(100, 400, 0), [after]);
  assert.deepEqual(s.take(100, 400, 3), [head, after]);
});
