/**
 * From syscalls to sync calls, shared by every reader of the application
 * layer (strace text, syscall tracepoints): a reader hands each completed
 * syscall as a RawCall — name, positional arguments as printed, return value —
 * and this keeps the fd table and emits the SyncCalls (call.ts).
 *
 * Which syscalls matter (include/uapi/linux/fs.h, asm-generic/mman-common.h):
 *   fsync fdatasync syncfs sync msync(MS_SYNC = 4) sync_file_range[2] → sync calls;
 *   write pwrite64 writev pwritev on an fd with O_DSYNC/O_SYNC, and pwritev2 with
 *   RWF_DSYNC (0x2) / RWF_SYNC (0x4) → sync writes (mm/filemap.c generic_write_sync);
 *   the same on an fd with O_DIRECT only → direct writes (no promise; a later fsync covers them);
 *   openat open creat fcntl(F_GETFL = 3, F_SETFL = 4) close → the fd table.
 * Anything else is counted by the reader as not used.
 */
import type { AppSink, SyncCall, SyncOp } from './call.js';
import { FdTable, OpenFlag, parseOpenFlags } from './fd-table.js';

export interface RawCall {
  source: number;
  loc: number;
  locEnd: number;
  pid: number;
  comm: string;
  name: string;
  /** Positional arguments as printed (strace "26</p>", tracepoint "0x1a"). */
  args: string[];
  /** Return value (negative = -errno); NaN when unknown ("?"). */
  ret: number;
  /** strace -y on the return of open*: the path of the new fd. */
  retPath: string;
  /** Extra text after the return value (strace "(flags O_RDWR|O_DSYNC)" for F_GETFL). */
  retNote: string;
  begin: number;
  end: number;
}

/** The syscall names this module reads; readers count the others. */
export const USED = new Set([
  'fsync', 'fdatasync', 'syncfs', 'sync', 'msync', 'sync_file_range', 'sync_file_range2', 'arm_sync_file_range',
  'write', 'pwrite64', 'pwrite', 'writev', 'pwritev', 'pwritev2', 'openat', 'openat2', 'open', 'creat', 'fcntl', 'fcntl64', 'close',
]);

const WRITES = new Set(['write', 'pwrite64', 'pwrite', 'writev', 'pwritev', 'pwritev2']);
const MS_SYNC = 4;
const RWF_DSYNC = 2;
const RWF_SYNC = 4;
const F_GETFL = 3;
const F_SETFL = 4;

/** "26</var/lib/x>" → fd 26, path; "0x1a" → 26; "AT_FDCWD</x>" → -100. */
export function fdArg(text: string | undefined): { fd: number; path: string } {
  if (text === undefined) return { fd: -1, path: '' };
  const t = text.trim();
  const lt = t.indexOf('<');
  const head = lt >= 0 ? t.slice(0, lt) : t;
  let path = '';
  if (lt >= 0 && t.endsWith('>')) path = unescapePath(t.slice(lt + 1, -1));
  if (head === 'AT_FDCWD') return { fd: -100, path };
  const n = intArg(head);
  return { fd: Number.isFinite(n) ? n : -1, path };
}

/** strace prints non-printable path bytes as \xNN (and quotes with -yy): keep them escaped, drop the quotes. */
function unescapePath(p: string): string {
  return p.length >= 2 && p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1) : p;
}

/** "0x1a" / "26" / "0" → number (NaN when not a number). Hex above 2^63 is a negative return. */
export function intArg(text: string | undefined): number {
  if (text === undefined) return NaN;
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const v = BigInt(t);
    return Number(v >= 1n << 63n ? v - (1n << 64n) : v);
  }
  if (/^-?\d+$/.test(t)) return Number(t);
  return NaN;
}

/** A flags argument: symbolic ("MS_SYNC", "RWF_DSYNC|RWF_HIPRI") or numeric. */
function hasFlag(text: string | undefined, name: string, bit: number): boolean {
  if (text === undefined) return false;
  const t = text.trim();
  if (t.split('|').some((x) => x.trim() === name)) return true;
  const n = intArg(t);
  return Number.isFinite(n) && (n & bit) !== 0;
}

export class SyscallInterpreter {
  readonly fds = new FdTable();
  /** Sync calls emitted, by op (for the reader's summary). */
  readonly counts = new Map<string, number>();

  constructor(private readonly sink: AppSink | undefined) {}

  handle(r: RawCall): void {
    switch (r.name) {
      case 'fsync':
      case 'fdatasync':
      case 'syncfs':
        return this.fdCall(r, r.name);
      case 'sync':
        return this.emit(r, 'sync', -1, '', '', -1, false);
      case 'msync':
        if (hasFlag(r.args[2], 'MS_SYNC', MS_SYNC)) this.emit(r, 'msync', -1, '', 'MS_SYNC', -1, false);
        return;
      case 'sync_file_range':
      case 'sync_file_range2':
      case 'arm_sync_file_range':
        return this.fdCall(r, 'sync_file_range');
      case 'openat':
      case 'openat2':
        return this.open(r, r.args[1], r.args[2]);
      case 'open':
        return this.open(r, r.args[0], r.args[1]);
      case 'creat':
        return this.open(r, r.args[0], 'O_CREAT|O_WRONLY|O_TRUNC');
      case 'fcntl':
      case 'fcntl64':
        return this.fcntl(r);
      case 'close': {
        const { fd } = fdArg(r.args[0]);
        if (fd >= 0 && r.ret === 0) this.fds.close(r.pid, fd);
        return;
      }
      default:
        if (WRITES.has(r.name)) this.write(r);
    }
  }

  private fdCall(r: RawCall, op: SyncOp): void {
    const { fd, path } = fdArg(r.args[0]);
    const info = fd >= 0 ? this.fds.get(r.pid, fd, path) : undefined;
    this.emit(r, op, fd, path || info?.path || '', '', -1, ((info?.flags ?? 0) & OpenFlag.DIRECT) !== 0);
  }

  private open(r: RawCall, pathArg: string | undefined, flagsArg: string | undefined): void {
    if (!(r.ret >= 0)) return;
    let path = r.retPath;
    if (!path && pathArg && pathArg.startsWith('"')) path = pathArg.replace(/^"|"(?:\.\.\.)?$/g, '');
    const flags = parseOpenFlags(flagsArg ?? '');
    this.fds.open(r.pid, r.ret, path, flags, `${r.name} line ${r.loc} ${(flagsArg ?? '').trim()}`);
  }

  private fcntl(r: RawCall): void {
    const { fd, path } = fdArg(r.args[0]);
    if (fd < 0 || !(r.ret >= 0)) return;
    const cmd = (r.args[1] ?? '').trim();
    if (cmd === 'F_GETFL' || intArg(cmd) === F_GETFL) {
      const m = /\(flags\s+([^)]*)\)/.exec(r.retNote);
      this.fds.known(r.pid, fd, path, parseOpenFlags(m ? m[1]! : String(r.ret)), `fcntl F_GETFL line ${r.loc}`);
    } else if (cmd === 'F_SETFL' || intArg(cmd) === F_SETFL) {
      this.fds.setfl(r.pid, fd, parseOpenFlags(r.args[2] ?? ''), `fcntl F_SETFL line ${r.loc}`);
    }
  }

  private write(r: RawCall): void {
    const { fd, path } = fdArg(r.args[0]);
    if (fd < 0) return;
    const info = this.fds.get(r.pid, fd, path);
    const flags = info?.flags ?? 0;
    let op: SyncOp | undefined;
    let how = '';
    if (r.name === 'pwritev2') {
      const f = r.args[4];
      if (hasFlag(f, 'RWF_SYNC', RWF_SYNC)) [op, how] = ['sync-write', 'RWF_SYNC'];
      else if (hasFlag(f, 'RWF_DSYNC', RWF_DSYNC)) [op, how] = ['dsync-write', 'RWF_DSYNC'];
    }
    if (!op && flags & OpenFlag.DSYNC) {
      op = flags & OpenFlag.SYNC ? 'sync-write' : 'dsync-write';
      how = info!.how;
    }
    if (!op && flags & OpenFlag.DIRECT) [op, how] = ['direct-write', info!.how];
    if (!op) return;
    const bytes = r.ret >= 0 ? r.ret : intArg(r.args[2]);
    this.emit(r, op, fd, path || info?.path || '', how, Number.isFinite(bytes) ? bytes : -1, (flags & OpenFlag.DIRECT) !== 0);
  }

  private emit(r: RawCall, op: SyncOp, fd: number, path: string, how: string, bytes: number, direct: boolean): void {
    // "= ?": the thread went away inside the call; it never returned, so it promised nothing
    if (!Number.isFinite(r.ret)) return;
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
    if (!this.sink) return;
    const c: SyncCall = {
      source: r.source, loc: r.loc, locEnd: r.locEnd, pid: r.pid, comm: r.comm, op, syscall: r.name, fd, path,
      begin: r.begin, end: r.end, ret: r.ret, direct, bytes, how,
    };
    this.sink.call(c);
  }
}
