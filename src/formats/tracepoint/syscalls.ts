/**
 * Syscall tracepoints in the same text as the block tracepoints — the
 * application layer in the block trace's own clock (no alignment needed):
 *
 *   tracefs trace:      postgres-10621 [001] ..... 319.943084: sys_fdatasync(fd: 0x1a)
 *                       postgres-10621 [001] ..... 319.943446: sys_fdatasync -> 0x0
 *   trace-cmd report:   postgres-10621 [001]   319.943084: sys_enter_fdatasync:  fd: 0x0000001a
 *                       postgres-10621 [001]   319.943446: sys_exit_fdatasync:   0x0
 *   perf script:        postgres 10621 [001] 319.943084: syscalls:sys_enter_fdatasync: fd: 0x0000001a
 *
 * (kernel/trace/trace_syscalls.c print_syscall_enter/print_syscall_exit for the
 * tracefs text; the events' print fmt for trace-cmd and perf). Entry and exit
 * are paired per thread; the pair goes to the shared SyscallInterpreter
 * (src/app/syscalls.ts) like an strace line. Paths are not in these events
 * (the filename argument is a user pointer): files are known by fd only.
 */
import type { ParseContext } from '../types.js';
import { SyscallInterpreter, USED, type RawCall } from '../../app/syscalls.js';
import { intArg } from '../../app/syscalls.js';

export const SyscallSkip = {
  used: 'syscall tracepoint: read as an application call',
  notUsed: 'syscall tracepoint: syscall not used by the analysis',
  noEntry: 'syscall tracepoint: exit without its entry',
  noExit: 'syscall tracepoint: entry without its exit (at the end of the trace)',
} as const;

interface Pending {
  name: string;
  args: string[];
  time: number;
  loc: number;
}

/** Entries held before the oldest are dropped (a trace that lost its exits cannot grow without bound). */
const MAX_PENDING = 65536;

export class SyscallLines {
  private readonly interp: SyscallInterpreter;
  private readonly pending = new Map<number, Pending>();
  private seen = false;

  constructor(private readonly ctx: ParseContext) {
    this.interp = new SyscallInterpreter(ctx.appSink);
  }

  /**
   * A line body that is a syscall event: "sys_NAME(args)" / "sys_NAME -> RET" (tracefs), or an event
   * named sys_enter_NAME / sys_exit_NAME (`bodyText` after its colon). Returns false when it is not one.
   */
  tracefs(body: string, pid: number, comm: string, time: number, loc: number): boolean {
    const m = /^sys_([a-z0-9_]+)(?:\((.*)\)\s*$|\s+->\s+(\S+))/.exec(body);
    if (!m) return false;
    if (m[2] !== undefined) this.enter(m[1]!, m[2], pid, time, loc);
    else this.exit(m[1]!, m[3]!, pid, comm, time, loc);
    return true;
  }

  named(name: string, bodyText: string, pid: number, comm: string, time: number, loc: number): boolean {
    if (name.startsWith('sys_enter_')) this.enter(name.slice(10), bodyText, pid, time, loc);
    else if (name.startsWith('sys_exit_')) this.exit(name.slice(9), bodyText.trim(), pid, comm, time, loc);
    else return false;
    return true;
  }

  end(): void {
    for (const p of this.pending.values()) {
      this.ctx.diag.add(SyscallSkip.noExit, 'info', { source: this.ctx.sourceName, locKind: 'line', loc: p.loc, text: `sys_${p.name}` });
    }
    this.pending.clear();
    if (this.seen) {
      this.ctx.limitation('syscall tracepoints carry no file paths (the filename argument is a user pointer): sync calls are grouped by fd, and tied to a device by time unless one device is active');
    }
  }

  private enter(name: string, argText: string, pid: number, time: number, loc: number): void {
    this.seen = true;
    if (!USED.has(name)) {
      this.ctx.diag.add(SyscallSkip.notUsed, 'info');
      return;
    }
    const args = argText.split(',').map((a) => {
      const c = a.indexOf(':');
      return (c >= 0 ? a.slice(c + 1) : a).trim();
    });
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(pid, { name, args, time, loc });
  }

  private exit(name: string, retText: string, pid: number, comm: string, time: number, loc: number): void {
    this.seen = true;
    if (!USED.has(name)) {
      this.ctx.diag.add(SyscallSkip.notUsed, 'info');
      return;
    }
    const p = this.pending.get(pid);
    if (!p || p.name !== name) {
      this.ctx.diag.add(SyscallSkip.noEntry, 'info', { source: this.ctx.sourceName, locKind: 'line', loc, text: `sys_${name} -> ${retText}` });
      return;
    }
    this.pending.delete(pid);
    this.ctx.diag.add(SyscallSkip.used, 'info');
    const raw: RawCall = {
      source: this.ctx.sourceIndex, loc: p.loc, locEnd: loc, pid, comm, name, args: p.args,
      ret: intArg(retText), retPath: '', retNote: '', begin: p.time, end: time,
    };
    this.interp.handle(raw);
  }
}
