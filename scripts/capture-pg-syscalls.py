#!/usr/bin/env python3
"""../shared/lab/capture-pg.py with the syscall tracepoints of the sync calls recorded in the
same tracefs instance as the block tracepoints (so block-events.txt / block-events.report.txt.gz
hold both in one clock), filtered to the PostgreSQL processes (comm == "postgres").

  flock /tmp/blklab.lock scripts/capture-pg-syscalls.py run NAME... --out DIR [--txn N] [--lab DIR]

Everything else is capture-pg.py unchanged (imported from --lab, default ../shared/lab beside the
checkout). The boot default tracing_on=1 with no tracer, no instance and no event enabled counts as
idle: it is set to 0 first, because capture-pg.py's guard refuses to start otherwise.
"""
import argparse
import importlib.util
import os
import sys

SYSCALLS = ['fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'msync', 'openat', 'fcntl',
            'pwrite64', 'pwritev', 'pwritev2', 'write', 'close']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['run'])
    ap.add_argument('names', nargs='+')
    ap.add_argument('--out', required=True)
    ap.add_argument('--txn', type=int, default=None)
    ap.add_argument('--lab', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'lab'))
    ap.add_argument('--no-syscalls', action='store_true', help='plain capture-pg.py capture')
    a = ap.parse_args()
    lab = os.path.abspath(a.lab)
    if not os.path.isdir(lab):
        lab = '/work/shared/lab'
    sys.path.insert(0, lab)
    spec = importlib.util.spec_from_file_location('cappg', os.path.join(lab, 'capture-pg.py'))
    cappg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cappg)
    blkcap = cappg.blkcap
    tr = blkcap.TR
    idle = (blkcap.rd(f'{tr}/current_tracer').strip() == 'nop' and not os.listdir(f'{tr}/instances')
            and blkcap.rd(f'{tr}/set_event').strip() == '')
    if idle:
        blkcap.wr(f'{tr}/tracing_on', 0)
    if not a.no_syscalls:
        orig = blkcap.BlkCapture.start

        def start(self):
            orig(self)
            for sc in SYSCALLS:
                for kind in ('enter', 'exit'):
                    p = f'{self.inst}/events/syscalls/sys_{kind}_{sc}'
                    if os.path.isdir(p):
                        blkcap.wr(f'{p}/filter', 'comm == "postgres"')
                        blkcap.wr(f'{p}/enable', 1)
        blkcap.BlkCapture.start = start
    for n in a.names:
        d = cappg.capture(n, a.out, a.txn)
        print(n, d, flush=True)


if __name__ == '__main__':
    main()
