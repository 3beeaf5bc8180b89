/** Detection of the sync-call CSV without its parser. */
import type { FormatMeta } from '../types.js';

/** The columns, in the order tools write them (pid,comm,op,path,begin,end,ret). */
export const SYNC_CSV_HEADER = ['pid', 'comm', 'op', 'path', 'begin', 'end', 'ret'] as const;

/** The first line is a header holding every column of the sync-call CSV. */
export function syncCsvConfidence(head: Buffer): number {
  if (head.indexOf(0) >= 0) return 0;
  const first = head.toString('utf8', 0, Math.min(head.length, 4096)).replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const names = first.split(',').map((x) => x.trim().replace(/^"|"$/g, '').toLowerCase());
  return SYNC_CSV_HEADER.every((c) => names.includes(c)) ? 0.97 : 0;
}

export const syncCsvMeta: FormatMeta = {
  name: 'sync-csv',
  title: 'CSV of application sync calls: pid,comm,op,path,begin,end,ret',
  example: '812,postgres,fdatasync,/pgdata/pg_wal/000000010000000000000002,1796537001.927884,1796537001.928254,0',
  detectedBy: 'a header line naming pid, comm, op, path, begin, end and ret',
  kind: 'text',
  produces: 'app',
  detect: syncCsvConfidence,
};
