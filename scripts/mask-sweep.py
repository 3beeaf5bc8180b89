#!/usr/bin/env python3
"""Every VM stack of fixtures/stacks/EXPECTED.json cut as an action mask would cut it, judged by blkaudit.

  python3 scripts/mask-sweep.py [--cli bin/blkaudit.js] [NAME-SUBSTRING ...]

blktrace/blkparse `-a` masks leave whole kinds of events out; the filters here keep the event lines of each
blkparse input a mask would keep (checked against `blkparse 1.2.0 -a` on the corpus, fixtures/masks/README.md):
noD = `-a queue -a complete`, noDC = `-a queue`, onlyC = `-a complete`, QC = Q and C only (the events of a tracepoint
capture of block_bio_queue, block_rq_complete and block_bio_complete). QEMU logs stay whole. Prints one line
per capture with its expected verdict and what each cut gives. A clean capture must stay clean under every mask;
a violation may become undecided (info) where its evidence is cut, never a different error."""
import collections, gzip, json, os, re, subprocess, sys, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
args = sys.argv[1:]
cli = args[args.index('--cli') + 1] if '--cli' in args else os.path.join(ROOT, 'bin', 'blkaudit.js')
only = [a for i, a in enumerate(args) if a != '--cli' and (i == 0 or args[i - 1] != '--cli')]
stacks = os.path.join(ROOT, 'fixtures', 'stacks')
exp = json.load(open(os.path.join(stacks, 'EXPECTED.json')))
# which action letters each cut keeps
MASKS = {'noD': lambda a: a != 'D', 'noDC': lambda a: a not in ('D', 'C'), 'onlyC': lambda a: a == 'C', 'QC': lambda a: a in ('Q', 'C')}
EVENT = re.compile(rb'^ *\d+,\d+ +\d+ +\d+ +[\d.]+ +\d+ +(\S+) ')
env = dict(os.environ)
env.pop('NODE_EXTRA_CA_CERTS', None)
tmp = tempfile.mkdtemp(prefix='mask-sweep-')


def cut(src, dst, keep):
    with (gzip.open if src.endswith('.gz') else open)(src, 'rb') as f, open(dst, 'wb') as o:
        for line in f:
            m = EVENT.match(line)
            if m and keep(m.group(1).decode()):
                o.write(line)


bad = 0
for c in exp['captures']:
    if not str(c.get('kind', '')).startswith('guest') or (only and not any(o in c['name'] for o in only)):
        continue
    out = []
    for name, keep in MASKS.items():
        inputs = []
        for i, a in enumerate(c['inputs']):
            layer, p = a.split('=', 1)
            p = os.path.join(stacks, p)
            if 'blkparse' in p:
                cut(p, os.path.join(tmp, f'{i}.txt'), keep)
                p = os.path.join(tmp, f'{i}.txt')
            inputs.append(f'{layer}={p}')
        r = subprocess.run(['node', cli, 'check', '--json'] + c.get('options', []) + inputs, capture_output=True, env=env, timeout=600)
        j = json.loads(r.stdout)
        got = collections.Counter(f"{f['severity'][0]}:{f['rule']}@{f.get('layer')}" for f in j['findings'] if f['severity'] != 'info')
        if c['verdict'] == 'clean' and (r.returncode != 0 or got):
            bad += 1
        if c['verdict'] != 'clean' and any(k.startswith('e:') and k.split(':')[1].split('@')[0] not in c['rules'] for k in got):
            bad += 1
        out.append(f"{name}: exit {r.returncode} " + (','.join(f'{k}={v}' for k, v in sorted(got.items())) or 'clean'))
    print(f"{c['name']} [{c['verdict']}] " + ' | '.join(out), flush=True)
print(f'{bad} cut(s) with a false alarm')
sys.exit(1 if bad else 0)
