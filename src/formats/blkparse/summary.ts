/**
 * blkparse's trailing statistics (blkparse.c `show_device_and_cpu_stats`,
 * `dump_io_stats`): one `CPUn (dev):` block per CPU with events, a
 * `Total (dev):` block when more than one CPU had events, then Throughput,
 * `Events (dev): N entries` and `Skips: N forward (…)`. Parsed into a
 * structure so results can be checked against blkparse's own numbers.
 * Older dialects (no Requeued/depth lines, `Events (dev): N entries, N skips`),
 * locale-less printf (musl: empty numbers) and wrapped lines are tolerated:
 * a value that cannot be read is left out, never guessed.
 */

export type SummaryCounters = Record<string, number>;

export interface SummaryBlock {
  /** "CPU0" … or "Total". */
  scope: string;
  /** Device as named in the header: a name ("loop1") or "maj,min". */
  device: string;
  counters: SummaryCounters;
}

export interface BlkparseSummary {
  blocks: SummaryBlock[];
  /** `Events (dev): N entries` per device name. */
  events: Record<string, number>;
  /** `Skips: N forward` (lost events), summed when several lines appear. */
  skips: number;
  throughput?: string;
  /**
   * Files named by blkparse's `Input file loop1.blktrace.0 added` notes
   * (blkparse.c `setup_file`, written to stderr: in the stream when it was
   * captured with 2>&1). Their names say which device the text is of.
   */
  inputFiles?: string[];
}

/** Labels as printed → JSON contract keys. */
const LABELS: Record<string, [string, string | undefined]> = {
  'Reads Queued': ['readsQueued', 'readsQueuedKiB'],
  'Writes Queued': ['writesQueued', 'writesQueuedKiB'],
  'Read Dispatches': ['readDispatches', 'readDispatchesKiB'],
  'Write Dispatches': ['writeDispatches', 'writeDispatchesKiB'],
  'Reads Requeued': ['readsRequeued', undefined],
  'Writes Requeued': ['writesRequeued', undefined],
  'Reads Completed': ['readsCompleted', 'readsCompletedKiB'],
  'Writes Completed': ['writesCompleted', 'writesCompletedKiB'],
  'Read Merges': ['readMerges', 'readMergesKiB'],
  'Write Merges': ['writeMerges', 'writeMergesKiB'],
  'Read depth': ['readDepth', undefined],
  'Write depth': ['writeDepth', undefined],
  'IO unplugs': ['ioUnplugs', undefined],
  'Timer unplugs': ['timerUnplugs', undefined],
  'PC Reads Queued': ['pcReadsQueued', 'pcReadsQueuedKiB'],
  'PC Writes Queued': ['pcWritesQueued', 'pcWritesQueuedKiB'],
  'PC Read Disp.': ['pcReadDispatches', 'pcReadDispatchesKiB'],
  'PC Write Disp.': ['pcWriteDispatches', 'pcWriteDispatchesKiB'],
  'PC Reads Req.': ['pcReadsRequeued', undefined],
  'PC Writes Req.': ['pcWritesRequeued', undefined],
  'PC Reads Compl.': ['pcReadsCompleted', undefined],
  'PC Writes Compl.': ['pcWritesCompleted', undefined],
};

const BLOCK_HEADER = /^\s*(CPU\d+|Total)\s+\(([^)]*)\):\s*$/;
const PAIR = /([A-Za-z][A-Za-z .]*?):\s*(\d[\d,']*?)?(?:,\s*(\d[\d,']*?)\s*([KMGTP]?)i?B)?(?=\s|$)/g;
const EVENTS = /^\s*Events\s+\(([^)]*)\):\s*([\d,']+)\s+entries(?:,\s*([\d,']+)\s+skips)?/;
const SKIPS = /Skips:\s*([\d,']+)\s+forward/;
const INPUT_FILE = /^\s*Input file (.+) added\s*$/;

/** Does this line belong to the summary trailer (so it is not counted as garbage)? */
export function isSummaryLine(line: string): boolean {
  const t = line.trimStart();
  if (t.length === 0) return false;
  if (BLOCK_HEADER.test(line)) return true;
  if (/^(Throughput \(R\/W\):|Events \(|Skips:|Input file |Trace started at |Total \(|CPU\d+ \()/.test(t)) return true;
  const colon = t.indexOf(':');
  if (colon > 0) {
    const label = t.slice(0, colon).trim();
    if (label in LABELS) return true;
  }
  return false;
}

function toNumber(text: string | undefined, unit?: string): number | undefined {
  if (text === undefined) return undefined;
  const digits = text.replace(/[,']/g, '');
  if (digits.length === 0) return undefined;
  const v = Number(digits);
  if (!Number.isFinite(v)) return undefined;
  const mult: Record<string, number> = { '': 1, K: 1, M: 1024, G: 1024 * 1024, T: 1024 ** 3, P: 1024 ** 4 };
  return unit ? v * (mult[unit] ?? 1) : v;
}

/** Accumulates summary lines in order; `current` tracks the open block. */
export class SummaryCollector {
  readonly summary: BlkparseSummary = { blocks: [], events: {}, skips: 0 };
  private current: SummaryBlock | undefined;

  get seen(): boolean {
    return this.summary.blocks.length > 0 || Object.keys(this.summary.events).length > 0 || (this.summary.inputFiles?.length ?? 0) > 0;
  }

  /** Feed one summary line (isSummaryLine was true). */
  line(text: string): void {
    const input = INPUT_FILE.exec(text);
    if (input) {
      const files = (this.summary.inputFiles ??= []);
      if (files.length < 4096 && !files.includes(input[1]!)) files.push(input[1]!);
      return;
    }
    const header = BLOCK_HEADER.exec(text);
    if (header) {
      this.current = { scope: header[1]!, device: header[2]!.trim(), counters: {} };
      this.summary.blocks.push(this.current);
      return;
    }
    const ev = EVENTS.exec(text);
    if (ev) {
      const n = toNumber(ev[2]);
      if (n !== undefined) this.summary.events[ev[1]!.trim()] = n;
      const sk = toNumber(ev[3]);
      if (sk !== undefined) this.summary.skips += sk;
    }
    const sk = SKIPS.exec(text);
    if (sk) this.summary.skips += toNumber(sk[1]) ?? 0;
    const tp = /Throughput \(R\/W\):\s*(.*)$/.exec(text);
    if (tp) this.summary.throughput = tp[1]!.trim();
    if (!this.current) return;
    PAIR.lastIndex = 0;
    for (let m = PAIR.exec(text); m; m = PAIR.exec(text)) {
      const keys = LABELS[m[1]!.trim()];
      if (!keys) continue;
      const count = toNumber(m[2]);
      if (count !== undefined) this.current.counters[keys[0]] = count;
      if (keys[1]) {
        const kib = toNumber(m[3], m[4]);
        if (kib !== undefined) this.current.counters[keys[1]] = kib;
      }
    }
  }

  /** The block blkparse's own totals are in for `device`: Total, or the only CPU block. */
  totalFor(device: string): SummaryBlock | undefined {
    const mine = this.summary.blocks.filter((b) => b.device === device);
    return mine.find((b) => b.scope === 'Total') ?? (mine.length === 1 ? mine[0] : undefined);
  }
}
