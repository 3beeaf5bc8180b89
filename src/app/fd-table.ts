/**
 * What the readers know about each open file: path and the open flags that
 * change durability (O_DSYNC, O_SYNC, O_DIRECT), from openat/open/creat
 * results, fcntl(F_GETFL) answers and fcntl(F_SETFL), dropped at close.
 *
 * Keyed by (pid, fd): strace -f prints thread ids, and threads of one process
 * share an fd table the trace does not show, so an fd unknown under its pid
 * falls back to the last open of the same path by any pid (marked as such).
 * F_SETFL cannot set or clear O_DSYNC/O_SYNC on Linux (fs/fcntl.c setfl():
 * SETFL_MASK = O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | O_NOATIME), so it
 * only changes O_DIRECT here.
 *
 * Numeric flags (syscall tracepoints print them in hex) use the asm-generic
 * values of include/uapi/asm-generic/fcntl.h, which x86 uses: O_DSYNC 0o10000,
 * __O_SYNC 0o4000000, O_DIRECT 0o40000, O_DIRECTORY 0o200000 (arm64, powerpc
 * and others differ for O_DIRECT/O_DIRECTORY: the README says so).
 */
export const OpenFlag = { DSYNC: 1, SYNC: 2, DIRECT: 4, DIRECTORY: 8 } as const;

const NUM_DSYNC = 0o10000;
const NUM_SYNC = 0o4000000;
const NUM_DIRECT = 0o40000;
const NUM_DIRECTORY = 0o200000;

/** Flags from strace's symbolic text "O_RDWR|O_CREAT|O_DSYNC" or a number (0x… / decimal / 0…). */
export function parseOpenFlags(text: string): number {
  const t = text.trim();
  if (/^(?:0x[0-9a-f]+|\d+)$/i.test(t)) return numericFlags(Number(t.startsWith('0') && !t.startsWith('0x') && t.length > 1 ? parseInt(t, 8) : Number(t)));
  let f = 0;
  for (const part of t.split('|')) {
    const p = part.trim();
    if (p === 'O_DSYNC') f |= OpenFlag.DSYNC;
    else if (p === 'O_SYNC') f |= OpenFlag.SYNC | OpenFlag.DSYNC; // O_SYNC = __O_SYNC | O_DSYNC
    else if (p === 'O_DIRECT') f |= OpenFlag.DIRECT;
    else if (p === 'O_DIRECTORY') f |= OpenFlag.DIRECTORY;
    else if (/^(?:0x[0-9a-f]+|0[0-7]*)$/i.test(p)) f |= numericFlags(Number(p.startsWith('0x') ? p : parseInt(p, 8)));
  }
  return f;
}

export function numericFlags(n: number): number {
  if (!Number.isFinite(n) || n < 0) return 0;
  let f = 0;
  if (n & NUM_DSYNC) f |= OpenFlag.DSYNC;
  if (n & NUM_SYNC) f |= OpenFlag.SYNC;
  if (n & NUM_DIRECT) f |= OpenFlag.DIRECT;
  if (n & NUM_DIRECTORY) f |= OpenFlag.DIRECTORY;
  return f;
}

export interface FdInfo {
  path: string;
  flags: number;
  /** Where the flags came from, for messages ("openat at line 12"). */
  how: string;
}

/** Entries kept before the oldest are dropped (a trace that never closes its fds cannot exhaust memory). */
export const MAX_FDS = 65536;

export class FdTable {
  private readonly byFd = new Map<string, FdInfo>();
  private readonly byPath = new Map<string, FdInfo>();

  open(pid: number, fd: number, path: string, flags: number, how: string): void {
    const info: FdInfo = { path, flags, how };
    this.set(`${pid}:${fd}`, info);
    if (path) {
      this.byPath.delete(path);
      this.byPath.set(path, info);
      if (this.byPath.size > MAX_FDS) this.byPath.delete(this.byPath.keys().next().value!);
    }
  }

  /** fcntl(F_GETFL) answered: the full flags are known for this fd. */
  known(pid: number, fd: number, path: string, flags: number, how: string): void {
    const old = this.byFd.get(`${pid}:${fd}`);
    this.set(`${pid}:${fd}`, { path: path || old?.path || '', flags, how });
  }

  /** fcntl(F_SETFL): only O_DIRECT can change. */
  setfl(pid: number, fd: number, flags: number, how: string): void {
    const k = `${pid}:${fd}`;
    const old = this.byFd.get(k);
    if (!old) return;
    const direct = flags & OpenFlag.DIRECT;
    this.set(k, { path: old.path, flags: (old.flags & ~OpenFlag.DIRECT) | direct, how: `${old.how}; ${how}` });
  }

  close(pid: number, fd: number): void {
    this.byFd.delete(`${pid}:${fd}`);
  }

  /** The fd's info; by path (another pid's open of the same file) when the fd itself is unknown. */
  get(pid: number, fd: number, path: string): FdInfo | undefined {
    const hit = this.byFd.get(`${pid}:${fd}`);
    if (hit && (!path || !hit.path || hit.path === path)) return hit;
    if (!path) return undefined;
    const p = this.byPath.get(path);
    return p ? { path, flags: p.flags, how: `${p.how} (same path, another pid or an fd opened before the trace)` } : undefined;
  }

  private set(k: string, v: FdInfo): void {
    this.byFd.delete(k);
    this.byFd.set(k, v);
    if (this.byFd.size > MAX_FDS) this.byFd.delete(this.byFd.keys().next().value!);
  }
}
