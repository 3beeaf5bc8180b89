/**
 * The bios in flight on one device, by start sector, for the request tracker
 * (lifetime.ts): an RB tree that keeps duplicates (two in-flight bios for the
 * same sector stay two, earliest-queued first) with runs of back-to-back bios
 * beside it (bio-index.ts), the two searches every block-layer event needs,
 * and a pool of ended bios for reuse.
 */
import { BioIndex } from './bio-index.js';
import { newBio, resetBio, type Bio } from './request.js';

/**
 * Ended bios kept for reuse: a deep queue of merged requests holds a few
 * thousand bios; past the in-flight cap the tracker drops half of it
 * (MAX_IN_FLIGHT / 2) at once, and those are reused too. The pool never holds
 * more than were once in flight together.
 */
const POOL_MAX = 1 << 15;

/** Claims longer than this (a request of more bios) get a fresh array. */
const MAX_CLAIM_ARRAY = 256;

export class BioSet {
  protected readonly tree = new BioIndex();
  /**
   * Ended bios kept for reuse: one record per Q would otherwise be garbage a
   * moment later (a quarter of check's time went to the collector). Safe
   * because subscribers read a bio only inside the hook it is passed to.
   */
  private readonly pool: Bio[] = [];
  /** Where claim() collects (it only grows), and the arrays it hands out by length (claimed()). */
  private readonly scratch: Bio[] = [];
  private readonly byLength: Bio[][] = [[]];

  /** A record for a new bio [start, end), reused when one is free. */
  protected bio(start: number, end: number): Bio {
    const b = this.pool.pop();
    return b ? resetBio(b, start, end) : newBio(start, end);
  }

  /** The bio has ended: its record may be reused (its subscriber slot is cleared). */
  protected release(b: Bio): void {
    b.ext = null;
    b.ext2 = -1;
    if (this.pool.length < POOL_MAX) this.pool.push(b);
  }

  /** Earliest-queued bio starting exactly at `sector` in `state`. */
  protected atStart(sector: number, state: number): Bio | null {
    const ix = this.tree;
    let n = ix.lowerBound(sector);
    let head = ix.foundHead;
    while (n !== null && n.start === sector) {
      if (n.state === state) return n;
      // along the run, then to the next tree node (bio-index.ts foundHead)
      if (n.fnext !== null) n = n.fnext;
      else head = n = ix.nextInTree(head!);
    }
    return null;
  }

  /**
   * Non-overlapping bios inside [lo, hi) with minState <= state <= maxState,
   * in sector order, earliest-queued first among equal starts. The array is
   * reused by the next call of the same length: read it before claiming again.
   */
  protected claim(lo: number, hi: number, maxState: number, minState = 0): readonly Bio[] {
    const s = this.scratch;
    let k = 0;
    let free = lo;
    const ix = this.tree;
    let n = ix.lowerBound(lo);
    let head = ix.foundHead;
    while (n !== null && n.start < hi) {
      if (n.start >= free && n.end <= hi && n.state <= maxState && n.state >= minState) {
        s[k++] = n;
        free = n.end;
      }
      if (n.fnext !== null) n = n.fnext;
      else head = n = ix.nextInTree(head!);
    }
    return this.claimed(k);
  }

  /**
   * The first `k` bios of `scratch` in an array of exactly that length. Each
   * length has its own array, filled in place: cutting one array to each
   * claim's length (`length = k`, a runtime call that also trims its storage)
   * cost more than the claim's walk on a trace of merged requests.
   */
  private claimed(k: number): readonly Bio[] {
    if (k > MAX_CLAIM_ARRAY) return this.scratch.slice(0, k);
    let out = this.byLength[k];
    if (out === undefined) {
      for (let i = this.byLength.length; i <= k; i++) this.byLength.push(new Array<Bio>(i));
      out = this.byLength[k]!;
    }
    const s = this.scratch;
    for (let i = 0; i < k; i++) out[i] = s[i]!;
    return out;
  }

  /** `b` alone, as claim() returns its bios (for a request that matched none). */
  protected single(b: Bio): readonly Bio[] {
    this.scratch[0] = b;
    return this.claimed(1);
  }
}
