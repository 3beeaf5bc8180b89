/**
 * The request tracker's bios in flight, in sector order (bio-set.ts): an RB
 * tree of duplicates (rbtree.ts `insertMulti`) in which a bio queued right
 * after the one before it in that order is not put in the tree but appended
 * to that bio's run. Up to OPEN_RUNS runs take bios at once: writers on
 * several CPUs interleave their streams.
 *
 * Why: a plugged writer queues one bio after another at the next sectors
 * (`Q s`, `M s`, `Q s+8`, `M s+8` …: blk-merge.c back-merges each into the
 * request the first one got), and most bios of a trace are such. Each used
 * to cost a tree insert with rebalancing at Q and an erase with rebalancing
 * at C; appended to a run they cost a few pointer writes, and the tree holds
 * one node per run.
 *
 * The order every search sees is exactly the tree's would be with every bio
 * in it — by start sector, earlier-inserted first among equal starts — because
 * a run only ever holds bios that come right after its head in that order:
 *  - a bio is appended only when its start is at least the run's last one's
 *    (and at most that one's end: back to back) and below the start of the
 *    next bio in the tree (the run's barrier, lowered when a tree insert
 *    lands right after the run — only the run before the new node's place
 *    can have it as its next node);
 *  - a bio inserted in the tree inside a run's sectors takes the rest of the
 *    run (the followers starting after it) as its own;
 *  - erasing a head makes its first follower the tree node in its place
 *    (rb_replace_node: same position, no rebalancing).
 * Only `findContaining`, which follows the tree's shape (btt's `rb_find_sec`),
 * may pick a different one of several overlapping bios than a tree holding
 * every bio would; with bios that do not overlap there is one answer.
 */
import { RbTree } from './rbtree.js';
import type { Bio } from './request.js';

/**
 * Bios appended to one run at most: a search that lands inside a run walks
 * it, so a run as long as the queue (65,536 queued bios at adjacent sectors,
 * then completed one by one) would make each search linear. Past this the
 * next bio goes in the tree and starts a run of its own.
 */
export const MAX_RUN = 32;

/**
 * Runs open for appending at once: one per writer whose bios interleave
 * (the bench's four kworkers, a database's WAL beside its data files). With
 * one, each switch between writers sent the next bio to the tree.
 */
export const OPEN_RUNS = 4;

export class BioIndex {
  private readonly tree = new RbTree<Bio>();
  /** Bios in runs (not in the tree). */
  private followers = 0;
  /**
   * The open runs, slot by slot: the bio that ends the run (null: slot free;
   * the next bio may follow it), the tree node whose run it ends, the start
   * of the first tree node after the run (Infinity: none; only ever too low,
   * never too high), and the bios in the run (at most MAX_RUN).
   */
  private readonly tails: Array<Bio | null> = new Array<Bio | null>(OPEN_RUNS).fill(null);
  private readonly heads: Array<Bio | null> = new Array<Bio | null>(OPEN_RUNS).fill(null);
  private readonly barriers = new Float64Array(OPEN_RUNS).fill(Infinity);
  private readonly lengths = new Int32Array(OPEN_RUNS);
  /** The slot a new run takes when none is free (round robin). */
  private victim = 0;

  get size(): number {
    return this.tree.size + this.followers;
  }

  /** Insert keeping duplicates (after equal starts); returns whether a bio with the same start was there. */
  insertMulti(b: Bio): boolean {
    const tails = this.tails;
    for (let i = 0; i < OPEN_RUNS; i++) {
      const t = tails[i]!;
      // At most one run can take b: runs are disjoint stretches of the order, each below its barrier. Only a
      // bio that starts where the run's last one ends (or inside it) follows: another writer's bio further on
      // would take this writer's run, and its next bio would cut it again.
      if (t !== null && t.fnext === null && b.start >= t.start && b.start <= t.end && b.start < this.barriers[i]! && this.lengths[i]! < MAX_RUN) {
        // right after `t` in sector order: appended to its run
        b.follower = true;
        b.fprev = t;
        b.fnext = null;
        t.fnext = b;
        this.heads[i]!.ftail = b;
        this.followers++;
        this.lengths[i]!++;
        tails[i] = b;
        return b.start === t.start;
      }
    }
    let dup = this.tree.insertMulti(b);
    const p = this.tree.prev(b);
    let split = false;
    if (p !== null && p.ftail !== null && p.ftail.start >= b.start) {
      // b lands inside p's run: the followers starting after it are now b's
      let f = p.fnext;
      while (f !== null && f.start <= b.start) {
        if (f.start === b.start) dup = true;
        f = f.fnext;
      }
      if (f !== null) {
        const before = f.fprev!;
        before.fnext = null;
        b.ftail = p.ftail;
        p.ftail = before === p ? null : before;
        b.fnext = f;
        f.fprev = b;
        split = true;
      }
    }
    // Only p's run is next to b in the order: its barrier is now b (or, split, its tail is b's). A slot
    // whose run is full or cut gives its place to b's run.
    let slot = -1;
    if (p !== null) {
      for (let i = 0; i < OPEN_RUNS; i++) {
        if (this.heads[i] !== p || tails[i] === null) continue;
        if (split || this.lengths[i]! >= MAX_RUN) slot = i;
        else if (b.start < this.barriers[i]!) this.barriers[i] = b.start;
      }
    }
    if (slot < 0) {
      for (let i = 0; i < OPEN_RUNS; i++) {
        if (tails[i] === null) {
          slot = i;
          break;
        }
      }
    }
    if (slot < 0) {
      slot = this.victim;
      this.victim = slot + 1 === OPEN_RUNS ? 0 : slot + 1;
    }
    tails[slot] = b.ftail ?? b;
    this.heads[slot] = b;
    let length = 0;
    for (let f = b.fnext; f !== null; f = f.fnext) length++;
    this.lengths[slot] = length;
    const n = this.tree.next(b);
    this.barriers[slot] = n === null ? Infinity : n.start;
    return dup;
  }

  erase(b: Bio): void {
    const tails = this.tails;
    for (let i = 0; i < OPEN_RUNS; i++) if (tails[i] === b) tails[i] = null;
    if (b.follower) {
      const prev = b.fprev!;
      const next = b.fnext;
      prev.fnext = next;
      if (next !== null) next.fprev = prev;
      else {
        let head = prev;
        while (head.follower) head = head.fprev!;
        head.ftail = prev === head ? null : prev;
      }
      this.followers--;
      b.follower = false;
      b.fprev = b.fnext = null;
      return;
    }
    const f = b.fnext;
    if (f === null) {
      this.tree.erase(b);
      return;
    }
    // the first follower takes b's place in the tree: it comes right after b in order
    this.tree.replace(b, f);
    f.follower = false;
    f.fprev = null;
    f.ftail = b.ftail === f ? null : b.ftail;
    for (let i = 0; i < OPEN_RUNS; i++) if (this.heads[i] === b) this.heads[i] = f;
    b.fnext = b.ftail = null;
    this.followers--;
  }

  /**
   * Erases every bio of `list` (a claim: in order, each once). Where the list
   * holds a run's head and the followers right after it, they go at once:
   * the next follower takes the head's place in the tree (or, the whole run
   * gone, the head is erased from it) — the tree ends exactly as erasing them
   * one by one leaves it (each erase of a head put its follower in the same
   * place), without a replace per bio.
   */
  eraseAll(list: readonly Bio[]): void {
    const n = list.length;
    for (let i = 0; i < n; ) {
      const b = list[i]!;
      let f = b.fnext;
      if (b.follower || f === null || i + 1 === n || list[i + 1] !== f) {
        this.erase(b);
        i++;
        continue;
      }
      // b heads a run and the list goes on with its followers: take as many as it holds
      let k = i + 1;
      while (f !== null && k < n && list[k] === f) {
        f = f.fnext;
        k++;
      }
      const last = list[k - 1]!;
      const tails = this.tails;
      for (let s = 0; s < OPEN_RUNS; s++) if (tails[s] === last) tails[s] = null;
      if (f === null) this.tree.erase(b);
      else {
        this.tree.replace(b, f);
        f.follower = false;
        f.fprev = null;
        f.ftail = b.ftail === f ? null : b.ftail;
        this.followers--;
        for (let s = 0; s < OPEN_RUNS; s++) if (this.heads[s] === b) this.heads[s] = f;
      }
      this.followers -= k - i - 1;
      for (let j = i; j < k; j++) {
        const x = list[j]!;
        x.follower = false;
        x.fprev = x.fnext = x.ftail = null;
      }
      i = k;
    }
  }

  /** First bio in order with start >= `start`. */
  lowerBound(start: number): Bio | null {
    let n = this.tree.root;
    let best: Bio | null = null;
    let pred: Bio | null = null;
    while (n !== null) {
      if (n.start >= start) {
        best = n;
        n = n.left as Bio | null;
      } else {
        pred = n;
        n = n.right as Bio | null;
      }
    }
    // the run of the last tree node before `start` may reach past it
    if (pred !== null && pred.ftail !== null && pred.ftail.start >= start) {
      for (let f = pred.fnext; f !== null; f = f.fnext) {
        if (f.start >= start) {
          this.foundHead = pred;
          return f;
        }
      }
    }
    this.foundHead = best;
    return best;
  }

  /**
   * The tree node whose run holds the bio lowerBound() last returned (that
   * bio itself when it is a tree node): a walk from there goes on with
   * nextInTree(head) where the run ends, instead of next()'s walk back along
   * the run to find its head (runs span several requests of one writer, so a
   * claim ending inside a run walked most of it back).
   */
  foundHead: Bio | null = null;

  /** The tree node after `head` (a tree node), past its run. */
  nextInTree(head: Bio): Bio | null {
    return this.tree.next(head);
  }

  /** In-order successor. */
  next(b: Bio): Bio | null {
    if (b.fnext !== null) return b.fnext;
    let head = b;
    while (head.follower) head = head.fprev!;
    return this.tree.next(head);
  }

  first(): Bio | null {
    return this.tree.first();
  }

  /** btt `rb_find_sec` on the tree, then the runs: a bio whose [start, end) holds `sec`. */
  findContaining(sec: number): Bio | null {
    const x = this.tree.findContaining(sec);
    if (x !== null || this.followers === 0) return x;
    // the last tree node starting at or before sec, and its run
    let n = this.tree.root;
    let p: Bio | null = null;
    while (n !== null) {
      if (n.start <= sec) {
        p = n;
        n = n.right as Bio | null;
      } else n = n.left as Bio | null;
    }
    for (let f = p?.fnext ?? null; f !== null && f.start <= sec; f = f.fnext) if (sec < f.end) return f;
    return null;
  }

  /**
   * Removes the `count` bios with the smallest `age` (oldest first, in order
   * among equals), then hands each to `dropped`; returns how many. O(n log n):
   * meant for rare memory-cap evictions (one array of the bios, sized once).
   */
  evictOldest(count: number, age: (b: Bio) => number, dropped: (b: Bio) => void): number {
    const all = new Array<Bio>(this.size);
    let k = 0;
    for (let n = this.first(); n; n = this.next(n)) all[k++] = n;
    all.length = k;
    all.sort((a, b) => age(a) - age(b));
    const m = Math.max(0, Math.min(count, k));
    for (let i = 0; i < m; i++) this.erase(all[i]!);
    for (let i = 0; i < m; i++) dropped(all[i]!);
    return m;
  }

  /** Forget every bio (time went backwards); they are not unlinked. */
  clear(): void {
    this.tree.clear();
    this.followers = 0;
    this.tails.fill(null);
    this.heads.fill(null);
    this.barriers.fill(Infinity);
    this.lengths.fill(0);
    this.victim = 0;
  }
}
