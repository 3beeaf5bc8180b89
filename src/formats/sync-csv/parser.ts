/**
 * A CSV of sync calls, for tools that log their own (a database's
 * instrumentation, an eBPF script): a header naming the columns
 * `pid,comm,op,path,begin,end,ret` (any order; extra columns ignored), one
 * call per row, read by csv-parse's push core (no stream code here).
 *
 *   op     fsync | fdatasync | sync | syncfs | msync | dsync-write | sync-write | sync_file_range
 *          (also O_DSYNC / O_SYNC / RWF_DSYNC / RWF_SYNC for sync writes)
 *   begin, end   seconds (decimal) in the tool's clock; aligned to the block trace
 *                by causality like strace (src/app/align.ts)
 *   ret    the return value; negative = -errno (a failed call promises nothing)
 */
import { Parser } from 'csv-parse';
import type { ParseContext, StreamParser } from '../types.js';
import type { SyncCall, SyncOp } from '../../app/call.js';

export const SyncCsvSkip = {
  noHeader: 'sync-csv: no header with pid,comm,op,path,begin,end,ret',
  badRow: 'sync-csv: row without a known op or with unreadable times',
  csvError: 'sync-csv: malformed line (csv-parse)',
} as const;

import { SYNC_CSV_HEADER as SYNC_CSV_COLUMNS } from './meta.js';

export { SYNC_CSV_COLUMNS };

const OPS: Record<string, SyncOp> = {
  fsync: 'fsync', fdatasync: 'fdatasync', sync: 'sync', syncfs: 'syncfs', msync: 'msync',
  'dsync-write': 'dsync-write', 'sync-write': 'sync-write', o_dsync: 'dsync-write', o_sync: 'sync-write',
  rwf_dsync: 'dsync-write', rwf_sync: 'sync-write', sync_file_range: 'sync_file_range',
};

interface CsvCore {
  parse(buf: Buffer | undefined, end: boolean, push: (r: { record: string[]; info: { lines: number } }) => void, close: () => void): Error | undefined;
}

export class SyncCsvParser implements StreamParser {
  private readonly core: CsvCore;
  private col: Record<string, number> | undefined;
  private baseSec = NaN;

  constructor(private readonly ctx: ParseContext) {
    const p = new Parser({
      relax_column_count: true, trim: true, bom: true, skip_empty_lines: true, info: true,
      skip_records_with_error: true,
      on_skip: (err) => {
        this.count(SyncCsvSkip.csvError, 0, err?.message ?? 'csv-parse error');
        return undefined;
      },
    });
    this.core = (p as unknown as { api: CsvCore }).api;
  }

  push(chunk: Buffer): void {
    this.core.parse(chunk, false, (r) => this.row(r.record, r.info.lines), () => {});
  }

  end(): void {
    this.core.parse(undefined, true, (r) => this.row(r.record, r.info.lines), () => {});
  }

  private count(reason: string, loc: number, text: string): void {
    this.ctx.diag.add(reason, 'error', { source: this.ctx.sourceName, locKind: 'line', loc, text: text.slice(0, 200) });
  }

  private row(rec: string[], line: number): void {
    if (!this.col) {
      const names = rec.map((x) => x.trim().toLowerCase());
      const col: Record<string, number> = {};
      for (const c of SYNC_CSV_COLUMNS) col[c] = names.indexOf(c);
      if (col['op']! < 0 || col['begin']! < 0 || col['end']! < 0) {
        this.count(SyncCsvSkip.noHeader, line, rec.join(','));
        return;
      }
      this.col = col;
      return;
    }
    const get = (k: string): string => {
      const i = this.col![k]!;
      return i >= 0 ? (rec[i] ?? '').trim() : '';
    };
    const op = OPS[get('op').toLowerCase()];
    const begin = secs(get('begin'));
    const end = secs(get('end'));
    if (!op || !begin || !end || end.whole + end.frac / 1e9 < begin.whole + begin.frac / 1e9) {
      this.count(SyncCsvSkip.badRow, line, rec.join(','));
      return;
    }
    if (Number.isNaN(this.baseSec)) {
      this.baseSec = begin.whole;
      this.ctx.setClock({ name: 'sync-csv', origin: `the logging tool's clock, ns since ${begin.whole} s`, baseSeconds: begin.whole });
    }
    const pid = Number(get('pid'));
    const ret = get('ret') === '' ? 0 : Number(get('ret'));
    const call: SyncCall = {
      source: this.ctx.sourceIndex, loc: line, locEnd: line, pid: Number.isFinite(pid) ? pid : -1, comm: get('comm'),
      op, syscall: get('op'), fd: -1, path: get('path'),
      begin: (begin.whole - this.baseSec) * 1e9 + begin.frac, end: (end.whole - this.baseSec) * 1e9 + end.frac,
      ret: Number.isFinite(ret) ? ret : -1, direct: false, bytes: -1, how: get('op'),
    };
    this.ctx.appSink?.call(call);
  }
}

/** "12.000345" → whole seconds and ns, exact. */
function secs(t: string): { whole: number; frac: number } | undefined {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(t);
  if (!m) return undefined;
  return { whole: Number(m[1]), frac: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
}
