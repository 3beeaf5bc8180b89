/**
 * The application layer's model: one sync call — a window [begin, end] in
 * which the kernel promised that the data it covers is durable when it
 * returns — as the strace, syscall-tracepoint and sync-call CSV readers
 * produce it. Nothing after the readers sees a format's lines.
 *
 * What each call promises (Linux man pages fsync(2), open(2), msync(2),
 * sync(2), sync_file_range(2); fs/sync.c):
 *   fsync / fdatasync  the file's data (and for fsync its metadata) written before the call;
 *   O_DSYNC / O_SYNC write, pwritev2 RWF_DSYNC / RWF_SYNC  that write (generic_write_sync);
 *   msync(MS_SYNC)     the mapped range (vfs_fsync_range);
 *   syncfs / sync      everything dirty on that filesystem / on every filesystem;
 *   sync_file_range    nothing: a writeback hint, no flush of the device cache ("This system
 *                      call is extremely dangerous …", sync_file_range(2)); kept, never judged.
 */
import type { Nanos } from '../model/time.js';

export type SyncOp =
  | 'fsync'
  | 'fdatasync'
  | 'sync'
  | 'syncfs'
  | 'msync'
  | 'dsync-write'
  | 'sync-write'
  | 'sync_file_range'
  /** A plain O_DIRECT write (no O_DSYNC): no promise of its own; a later fsync/fdatasync covers it. */
  | 'direct-write';

export interface SyncCall {
  /** Index of the input in the analysis' source table. */
  source: number;
  /** Line of the call's entry (or its only line) and of its return (same when one line). */
  loc: number;
  locEnd: number;
  /** Thread id as the tool printed it (strace -f pid, tracepoint pid); -1 unknown. */
  pid: number;
  /** Process name when the input gives one ('' otherwise; strace gives none). */
  comm: string;
  op: SyncOp;
  /** The syscall as called ("fdatasync", "pwrite64", "pwritev2"). */
  syscall: string;
  fd: number;
  /** File path (strace -y, CSV, openat) or ''. Untrusted text. */
  path: string;
  /** Entry and return, ns in the source's clock. */
  begin: Nanos;
  end: Nanos;
  /** Return value; negative = -errno. */
  ret: number;
  /** The fd was opened (or set by fcntl F_SETFL) with O_DIRECT. */
  direct: boolean;
  /** Bytes written by a sync write; -1 otherwise. */
  bytes: number;
  /** How an O_DSYNC/O_SYNC write was recognised ("openat line 12 O_RDWR|O_DSYNC", "RWF_DSYNC"). */
  how: string;
}

/** Receives sync calls synchronously, in the order the reader completes them. */
export interface AppSink {
  call(c: SyncCall): void;
}

/** A call that carries a durability promise (sync_file_range and plain O_DIRECT writes do not; failed calls promise nothing). */
export function promises(c: SyncCall): boolean {
  return c.op !== 'sync_file_range' && c.op !== 'direct-write' && c.ret >= 0;
}

/** "fdatasync", "O_DSYNC write", … for messages. */
export function opText(op: SyncOp): string {
  switch (op) {
    case 'dsync-write': return 'O_DSYNC write';
    case 'sync-write': return 'O_SYNC write';
    case 'direct-write': return 'O_DIRECT write';
    default: return op;
  }
}
