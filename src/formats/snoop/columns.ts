/**
 * Column layouts of the snoop tools, read from their header lines.
 *
 * bcc tools/biosnoop.py (2015, iovisor/bcc a4645289):
 *   "%-14s %-14s %-6s %-7s %-2s %-9s %-7s %7s"  TIME(s) COMM PID DISK T SECTOR BYTES LAT(ms)
 * bcc tools/biosnoop.py (2016+):  "%-11s %-14s %-6s %-7s %-1s %-10s %-7s" + ["P"] + ["QUE(ms)"] + "LAT(ms)"
 * bcc libbpf-tools/biosnoop.c:    TIME(s)|TIMESTAMP COMM PID DISK T(rwbs) SECTOR BYTES [QUE(ms)] LAT(ms)
 * perf-tools iosnoop (2014):      [STARTs] [ENDs] COMM PID TYPE DEV BLOCK BYTES LATms
 *
 * Columns are whitespace separated. COMM is the only one that may contain
 * spaces (a task name), so a row is split from both ends: the columns left
 * of COMM from the left, the others from the right, and what remains is COMM.
 */

export type Role =
  | 'time' // TIME(s): completion time, s since the run's first printed I/O
  | 'timestamp' // TIMESTAMP: wall-clock HH:MM:SS.mmm when the row was printed (libbpf -t)
  | 'start' // STARTs: issue time, ftrace clock s
  | 'end' // ENDs: completion time, ftrace clock s
  | 'comm'
  | 'pid'
  | 'disk' // disk name, no dev_t
  | 'dev' // "maj,min"
  | 'type' // R/W (biosnoop.py) or RWBS (libbpf biosnoop, iosnoop)
  | 'sector' // SECTOR / BLOCK: 512-byte sectors
  | 'bytes'
  | 'pattern' // P: S(equential)/R(andom) (biosnoop.py -P)
  | 'queue' // QUE(ms): time queued before issue (-Q)
  | 'latency' // LAT(ms) / LATms: issue → completion
  | 'unknown';

const ROLES: Record<string, Role> = {
  'TIME(s)': 'time',
  TIMESTAMP: 'timestamp',
  STARTs: 'start',
  ENDs: 'end',
  COMM: 'comm',
  PID: 'pid',
  DISK: 'disk',
  DEV: 'dev',
  T: 'type',
  TYPE: 'type',
  SECTOR: 'sector',
  BLOCK: 'sector',
  BYTES: 'bytes',
  P: 'pattern',
  'QUE(ms)': 'queue',
  'LAT(ms)': 'latency',
  LATms: 'latency',
};

export interface Layout {
  roles: Role[];
  /** Header names as printed (for messages). */
  names: string[];
  /** Index of COMM, or -1. */
  comm: number;
}

/** Default layouts, used when rows come before any header (excerpts). */
export const DEFAULT_HEADERS = {
  biosnoop: 'TIME(s)     COMM           PID    DISK    T SECTOR     BYTES  LAT(ms)',
  iosnoop: 'COMM             PID    TYPE DEV      BLOCK        BYTES     LATms',
} as const;

/**
 * A header line: needs COMM, PID and a latency column, and every name must be
 * known. Returns undefined for anything else.
 */
export function parseHeader(line: string): Layout | undefined {
  const names: string[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) names.push(m[0]);
  const roles = names.map((n) => ROLES[n] ?? 'unknown');
  if (!roles.includes('comm') || !roles.includes('pid') || !roles.includes('latency')) return undefined;
  if (roles.includes('unknown')) return undefined;
  return { roles, names, comm: roles.indexOf('comm') };
}

/** Quick check before the full header parse. */
export function looksLikeHeader(line: string): boolean {
  return line.includes('COMM') && (line.includes('LAT(ms)') || line.includes('LATms'));
}
