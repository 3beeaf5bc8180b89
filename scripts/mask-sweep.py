#!/usr/bin/env python3
"""Every VM stack of fixtures/stacks/EXPECTED.json cut as an action mask would cut it, judged by blkaudit.

  python3 scripts/mask-sweep.py [--cli bin/blkaudit.js] [--one-file] [NAME-SUBSTRING ...]

blktrace/blkparse `-a` masks leave whole kinds of events out; the filters here keep the event lines of each
blkparse input a mask would keep (checked against `blkparse 1.2.0 -a` on the corpus, fixtures/masks/README.md):
noD = `-a queue -a complete`, noDC = `-a queue`, onlyC = `-a complete`, QC = Q and C only (the events of a tracepoint
capture of block_bio_queue, block_rq_complete and block_bio_complete), write = `-a write` (no reads, no flush
requests). QEMU logs stay whole. Prints one line
per capture with its expected verdict and what each cut gives. With --one-file, the captures' one-file-per-machine
forms (ftrace blk tracer text, all of a machine's devices in one stream) are cut the same way instead. A clean capture must stay clean under every mask;
a violation may become undecided (info) where its evidence is cut, never a different error."""
import collections, gzip, json, os, re, subprocess, sys, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
args = sys.argv[1:]
cli = args[args.index('--cli') + 1] if '--cli' in args else os.path.join(ROOT, 'bin', 'blkaudit.js')
one_file = '--one-file' in args
only = [a for i, a in enumerate(args) if a not in ('--cli', '--one-file') and (i == 0 or args[i - 1] != '--cli')]
stacks = os.path.join(ROOT, 'fixtures', 'stacks')
exp = json.load(open(os.path.join(stacks, 'EXPECTED.json')))
# which action letters each cut keeps
# write = `-a write`: events of requests in the write category (op_is_write: RWBS with a W; flush requests, `FN`,
# are not), checked line for line against `blkparse 1.2.0 -a write` on the corpus's guest/vm-none-threads vda
MASKS = {'noD': lambda a, r: a != 'D', 'noDC': lambda a, r: a not in ('D', 'C'), 'onlyC': lambda a, r: a == 'C',
         'QC': lambda a, r: a in ('Q', 'C'), 'write': lambda a, r: 'W' in r}
EVENT = re.compile(rb'^ *\d+,\d+ +\d+ +\d+ +[\d.]+ +\d+ +(\S+) +(\S+)')
# the ftrace blk tracer's classic text: no sequence number
FTRACE_EVENT = re.compile(rb'^ *\d+,\d+ +\d+ +[\d.]+ +\d+ +(\S+) +(\S+)')
env = dict(os.environ)
env.pop('NODE_EXTRA_CA_CERTS', None)
tmp = tempfile.mkdtemp(prefix='mask-sweep-')


def cut(src, dst, keep):
    ftrace = 'ftrace-blk' in src
    with (gzip.open if src.endswith('.gz') else open)(src, 'rb') as f, open(dst, 'wb') as o:
        for line in f:
            if ftrace and line.startswith(b'#'):
                o.write(line)  # the tracer's header: how the file is recognised
                continue
            m = (FTRACE_EVENT if ftrace else EVENT).match(line)
            if m and keep(m.group(1).decode(), m.group(2).decode()):
                o.write(line)


bad = 0
for c in exp['captures']:
    if not str(c.get('kind', '')).startswith('guest') or (only and not any(o in c['name'] for o in only)) or (one_file and 'inputs_one_file_per_machine' not in c):
        continue
    out = []
    for name, keep in MASKS.items():
        inputs = []
        for i, a in enumerate(c['inputs_one_file_per_machine'] if one_file else c['inputs']):
            layer, p = a.split('=', 1)
            p = os.path.join(stacks, p)
            if 'blkparse' in p or 'ftrace-blk' in p:
                cut(p, os.path.join(tmp, f'{i}.txt'), keep)
                p = os.path.join(tmp, f'{i}.txt')
            inputs.append(f'{layer}={p}')
        r = subprocess.run(['node', cli, 'check', '--json'] + c.get('options', []) + inputs, capture_output=True, env=env, timeout=600)
        if r.returncode == 2 and b' is empty: no trace to read' in r.stderr:
            # the cut left an input with no line at all (a device with only reads under `-a write`): blkparse
            # itself would still print its summary, which blkaudit reads (fixtures/empty); not a verdict
            out.append(f'{name}: (an input left empty by the cut)')
            continue
        j = json.loads(r.stdout)
        got = collections.Counter(f"{f['severity'][0]}:{f['rule']}@{f.get('layer')}" for f in j['findings'] if f['severity'] != 'info')
        # a warning the capture allows (EXPECTED.json allowed_warnings: the trace cannot decide it) is no false alarm
        alarms = [k for k in got if not (k.startswith('w:') and k.split(':')[1].split('@')[0] in c.get('allowed_warnings', []))]
        if c['verdict'] == 'clean' and (r.returncode != 0 or alarms):
            bad += 1
        if c['verdict'] != 'clean' and any(k.startswith('e:') and k.split(':')[1].split('@')[0] not in c['rules'] for k in got):
            bad += 1
        out.append(f"{name}: exit {r.returncode} " + (','.join(f'{k}={v}' for k, v in sorted(got.items())) or 'clean'))
    print(f"{c['name']} [{c['verdict']}] " + ' | '.join(out), flush=True)
print(f'{bad} cut(s) with a false alarm')
sys.exit(1 if bad else 0)
