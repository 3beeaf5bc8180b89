/**
 * QEMU's own causal links, front request row → the host job rows it caused (qemu-ops.ts), in two typed
 * columns (compressed rows): a ten-minute VM trace has a quarter of a million requests, which as a Map of
 * arrays cost more memory than their rows.
 */
export class Links {
  /** Rows of front row u: jobs[start[u] … start[u+1]); u without links has an empty range. */
  private constructor(
    private readonly start: Int32Array,
    private readonly jobs: Int32Array,
    /** Front rows that have an entry (possibly empty), in row order. */
    private readonly has: Uint8Array,
  ) {}

  /** From (front row, its job rows) entries, front rows below `rows`. */
  static from(rows: number, entries: Iterable<[number, number[]]>): Links {
    const count = new Int32Array(rows + 1);
    const has = new Uint8Array(rows);
    const list: Array<[number, number[]]> = [];
    for (const e of entries) {
      list.push(e);
      has[e[0]] = 1;
      count[e[0] + 1]! += e[1].length;
    }
    for (let u = 0; u < rows; u++) count[u + 1]! += count[u]!;
    const jobs = new Int32Array(count[rows]!);
    const fill = count.slice(0, rows);
    // entries in any order; each front row's jobs in the order given
    for (const [u, js] of list) for (const j of js) jobs[fill[u]!++] = j;
    return new Links(count, jobs, has);
  }

  /** The job rows of front row u, or undefined when u has no entry. */
  get(u: number): Int32Array | undefined {
    if (!(u >= 0 && u < this.has.length) || !this.has[u]) return undefined;
    return this.jobs.subarray(this.start[u]!, this.start[u + 1]!);
  }

  /** Front rows with an entry. */
  get size(): number {
    let n = 0;
    for (let u = 0; u < this.has.length; u++) n += this.has[u]!;
    return n;
  }

  /** Every link (front row, job row) counted. */
  get pairs(): number {
    return this.jobs.length;
  }
}
