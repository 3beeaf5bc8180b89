#!/usr/bin/env python3
"""Every stack capture of fixtures/stacks/EXPECTED.json with a QEMU log, the log rewritten as QEMU 10.1 prints it
(ISO-8601 UTC, no thread id) or as qemu-trace-stap prints it (PID@NS, one process id for every thread, %p zero-padded
to 16 digits), judged by blkaudit layer by layer: does each verdict hold?

  python3 scripts/qemu-forms-sweep.py iso|stap [BIN] [NAME-SUBSTRING ...]

BIN defaults to this checkout's bin/blkaudit.js. Prints one line per capture; FALSE ALARM on a clean capture with an
error, a warning it does not allow, or exit 1; "missed" on a violation with none of its rules as an error."""
import collections, datetime, gzip, json, os, re, subprocess, sys, tempfile
ROOT=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'); stacks=os.path.join(ROOT,'fixtures','stacks')
if len(sys.argv) < 2 or sys.argv[1] not in ('iso', 'stap'):
    sys.exit(__doc__)
mode=sys.argv[1]
cli=sys.argv[2] if len(sys.argv) > 2 and sys.argv[2].endswith('.js') else os.path.join(ROOT,'bin','blkaudit.js')
only=[a for a in sys.argv[2:] if a != cli]
tmp=tempfile.mkdtemp(prefix='qemu-forms-')
exp=json.load(open(os.path.join(stacks,'EXPECTED.json')))
LINE=re.compile(rb'^(\d+)@(\d+)\.(\d+):(.*)$')
env=dict(os.environ); env.pop('NODE_EXTRA_CA_CERTS',None)
bad=0
for c in exp['captures']:
    if only and not any(o in c['name'] for o in only): continue
    ins=c['inputs']; q=[a for a in ins if a.startswith('qemu=')]
    if not q: continue
    src=os.path.join(stacks,q[0].split('=',1)[1]); dst=os.path.join(tmp, c['name'] + '.log')
    pid=None
    with (gzip.open if src.endswith('.gz') else open)(src,'rb') as f, open(dst,'wb') as o:
        for line in f:
            m=LINE.match(line)
            if not m: o.write(line); continue
            tid,sec,us,rest=m.groups()
            if mode=='iso':
                t=datetime.datetime.fromtimestamp(int(sec),datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
                o.write(f'{t}.{us.decode()}Z '.encode()+rest+b'\n')
            else:
                if pid is None: pid=tid
                # SystemTap prints %p as 0x and 16 hex digits (pointers zero-padded)
                rest=re.sub(rb'\b0x([0-9a-f]{9,15})\b', lambda m: b'0x'+m.group(1).rjust(16,b'0'), rest)
                o.write(pid+b'@'+sec+us.ljust(6,b'0')+b'000 '+rest+b'\n')
    args=[f"{a.split('=',1)[0]}={dst if a.startswith('qemu=') else os.path.join(stacks,a.split('=',1)[1])}" for a in ins]
    r=subprocess.run(['node',cli,'check','--json']+c.get('options',[])+args,capture_output=True,env=env,timeout=900)
    try: j=json.loads(r.stdout)
    except Exception: print(c['name'],'NO JSON',r.returncode,r.stderr[:300]); bad+=1; continue
    got=collections.Counter(f"{f['severity'][0]}:{f['rule']}@{f.get('layer')}" for f in j['findings'] if f['severity']!='info' or f['rule']=='cross-layer-undecided')
    alarms=[k for k in got if k.startswith('e:') or (k.startswith('w:') and k.split(':')[1].split('@')[0] not in c.get('allowed_warnings',[]))]
    flag=''
    if c['verdict']=='clean' and (r.returncode!=0 or alarms): flag='FALSE ALARM'; bad+=1
    if c['verdict']!='clean' and not any(k.startswith('e:') and k.split(':')[1].split('@')[0] in c['rules'] for k in got): flag='missed'
    print(f"{c['name']} [{c['verdict']}] exit {r.returncode} {dict(got)} {flag}",flush=True)
print(bad,'false alarm(s)')
sys.exit(1 if bad else 0)
