/**
 * Named anomaly counters (Perfetto's stats table, STYLE habit 4): every line
 * or record a reader could not use, every event out of order, every completion
 * without an issue is counted under a stable reason, with the first few
 * examples kept so the report can point at them. Never a log line, never a crash.
 */
export type Severity = 'info' | 'data-loss' | 'error';

export interface SkipExample {
  source: string;
  /** "line" or "offset". */
  locKind: 'line' | 'offset';
  loc: number;
  /** The offending text, already truncated (≤ 160 chars); untrusted, escape before display. */
  text: string;
}

export interface CounterEntry {
  reason: string;
  severity: Severity;
  count: number;
  examples: SkipExample[];
}

export const MAX_EXAMPLES = 5;

/** Reasons starting with this count events the tracer dropped (readers name the kind after it). */
export const LOST_EVENTS_PREFIX = 'lost-events';
const MAX_EXAMPLE_TEXT = 160;

export class Diagnostics {
  private readonly entries = new Map<string, CounterEntry>();
  /** reason → source name → count, from the example each occurrence came with ('' when none). */
  private readonly bySource = new Map<string, Map<string, number>>();

  private countSource(reason: string, source: string, n: number): void {
    let m = this.bySource.get(reason);
    if (!m) this.bySource.set(reason, (m = new Map()));
    m.set(source, (m.get(source) ?? 0) + n);
  }

  /** Occurrences of `reason` per source name ('' for those that came without an example). */
  sourcesOf(reason: string): ReadonlyMap<string, number> {
    return this.bySource.get(reason) ?? new Map();
  }

  /** Occurrences of every reason starting with `prefix` that came from `source`. */
  countForSource(prefix: string, source: string): number {
    let n = 0;
    for (const [reason, m] of this.bySource) if (reason.startsWith(prefix)) n += m.get(source) ?? 0;
    return n;
  }

  /** Count one occurrence of `reason`, keeping the first MAX_EXAMPLES examples. */
  add(reason: string, severity: Severity, example?: SkipExample): void {
    this.countSource(reason, example?.source ?? '', 1);
    this.addEntry(reason, severity, example);
  }

  private addEntry(reason: string, severity: Severity, example?: SkipExample): void {
    let e = this.entries.get(reason);
    if (!e) {
      e = { reason, severity, count: 0, examples: [] };
      this.entries.set(reason, e);
    }
    e.count++;
    if (example && e.examples.length < MAX_EXAMPLES) {
      const text = example.text.length > MAX_EXAMPLE_TEXT ? example.text.slice(0, MAX_EXAMPLE_TEXT) + '…' : example.text;
      e.examples.push({ ...example, text });
    }
  }

  /** Add `n` occurrences at once (e.g. lost events from a sequence gap). */
  addMany(reason: string, severity: Severity, n: number, example?: SkipExample): void {
    if (n <= 0) return;
    this.countSource(reason, example?.source ?? '', n);
    this.addEntry(reason, severity, example);
    this.entries.get(reason)!.count += n - 1;
  }

  count(reason: string): number {
    return this.entries.get(reason)?.count ?? 0;
  }

  list(): CounterEntry[] {
    return [...this.entries.values()].sort((a, b) => a.reason.localeCompare(b.reason));
  }

  /** `{reason: count}` as in the JSON contract's "skipped". */
  toRecord(filter?: (e: CounterEntry) => boolean): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.list()) if (!filter || filter(e)) out[e.reason] = e.count;
    return out;
  }

  merge(other: Diagnostics): void {
    for (const e of other.list()) {
      let mine = this.entries.get(e.reason);
      if (!mine) {
        mine = { reason: e.reason, severity: e.severity, count: 0, examples: [] };
        this.entries.set(e.reason, mine);
      }
      mine.count += e.count;
      for (const x of e.examples) if (mine.examples.length < MAX_EXAMPLES) mine.examples.push(x);
    }
    for (const [reason, m] of other.bySource) for (const [source, n] of m) this.countSource(reason, source, n);
  }

  get total(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.count;
    return n;
  }
}
