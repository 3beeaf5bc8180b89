/**
 * Every documented invocation works: the command lines in the README (```sh
 * blocks and inline `blkaudit …` spans) and in every `--help` "Examples"
 * section are run, with the file names they use mapped onto fixtures, and
 * none may end in a usage error. The README's option table is checked
 * against the options the commands really declare.
 *
 * File names are mapped by workspace: each workspace is a temporary
 * directory holding copies of fixtures under the names the documentation
 * uses (SUBSTITUTIONS below); a command runs in the workspace its files
 * point to (chooseWorkspace). A `blkparse …` stage in front of blkaudit is
 * run for real on per-CPU fixtures (skipped, with the reason, only when
 * blkparse is not installed); a `blktrace -d DEV -o -` stage is replaced by
 * the bytes of a captured per-CPU file (the machine's disks are never
 * traced); stages after blkaudit (jq, duckdb) are not run: their input is
 * blkaudit's output, which is what is tested.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BIN, ROOT } from './helpers/cli.js';
import { pipelines, type Stage } from './helpers/shell-words.js';
import { buildProgram } from '../src/cli/main.js';
import { EVENT_COLUMNS_DOC } from '../src/cli/events.js';
import { CROSS_LAYER_RULES } from '../src/cli/check.js';
import { APP_RULE_INFOS } from '../src/check/rules/catalogue.js';
import { RULES } from '../src/check/checker.js';
import { EVENT_COLUMNS } from '../src/formats/events/codec.js';
import { tempDir } from './helpers/tmp.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const COMMANDS = ['check', 'report', 'follow', 'stack', 'stats', 'events', 'formats'];
const READING = new Set(['check', 'report', 'follow', 'stack', 'stats', 'events']);

const F = {
  nobarrier: 'fixtures/check/real/host-ext4-nobarrier/loop1.blkparse.txt',
  nobarrierSet: 'fixtures/blktrace/ext4-nobarrier/loop1.blktrace',
  rawSet: 'fixtures/blktrace/raw-odirect-dsync/loop1.blktrace',
  vm: 'fixtures/scenarios/vm-none-threads',
  lol: 'fixtures/scenarios/lol-buffered',
  qcow2: 'fixtures/scenarios/qio-qcow2-ext4-none',
  vmStack: 'fixtures/scenarios/vm-stack-none-threads',
};

/** README/help name → fixture, per workspace. */
const SUBSTITUTIONS: Record<string, Record<string, string>> = {
  default: {
    'sda.blkparse.txt': F.nobarrier,
    'trace.txt': F.nobarrier,
    'loop1.blkparse.txt': F.nobarrier,
    'host/loop1.blkparse.txt': F.nobarrier,
    'sda.blktrace.0': `${F.nobarrierSet}.0`,
    'sda.blktrace.1': `${F.nobarrierSet}.1`,
    'traces/sda.blktrace.0': `${F.nobarrierSet}.0`,
    'traces/sda.blktrace.1': `${F.nobarrierSet}.1`,
    'loop1.blktrace.0': `${F.nobarrierSet}.0`,
    'loop1.blktrace.1': `${F.nobarrierSet}.1`,
    // a fleet of one capture for check --each
    'fleet/host1/ext4-nobarrier/loop1.blkparse.txt': F.nobarrier,
  },
  vm: {
    'vda.blkparse.txt': `${F.vm}/vda.blkparse.txt`,
    'qemu-trace.log': `${F.vm}/qemu-trace.log`,
    'loop1.blkparse.txt': `${F.vm}/loop1.blkparse.txt`,
    'vm/guest/vda.blkparse.txt': `${F.vm}/vda.blkparse.txt`,
    'vm/qemu-trace.log': `${F.vm}/qemu-trace.log`,
    'vm/host/loop1.blkparse.txt': `${F.vm}/loop1.blkparse.txt`,
    'vm/vda.blkparse.txt': `${F.vm}/vda.blkparse.txt`,
    'vm/loop1.blkparse.txt': `${F.vm}/loop1.blkparse.txt`,
  },
  lol: {
    'loop2.blkparse.txt': `${F.lol}/loop2.blkparse.txt`,
    'loop1.blkparse.txt': `${F.lol}/loop1.blkparse.txt`,
    'upper.img.filefrag.txt': `${F.lol}/upper.img.filefrag.txt`,
  },
  // gzip copies under the plain names: blkaudit detects gzip by content
  vmStack: Object.fromEntries(['dm-0.blkparse.txt', 'md0.blkparse.txt', 'vda.blkparse.txt', 'vdb.blkparse.txt', 'qemu-trace.log', 'loop1.blkparse.txt', 'loop2.blkparse.txt']
    .map((n) => [n, `${F.vmStack}/${n}.gz`])
    .concat([['guest-ftrace-blk-classic.txt', `${F.vmStack}/guest.ftrace-blk-classic.txt.gz`], ['host-ftrace-blk-classic.txt', `${F.vmStack}/host.ftrace-blk-classic.txt.gz`]])),
  // the application layer: PostgreSQL under strace on ext4 on a loop device (fixtures/app)
  app: {
    'strace.txt': 'fixtures/app/pg-ext4/strace.txt',
    'loop1.blkparse.txt': 'fixtures/app/pg-ext4/loop0.blkparse.txt',
    'sda.blkparse.txt': 'fixtures/app/pg-ext4/loop0.blkparse.txt',
    'block-events.txt': 'fixtures/app/pg-ext4/block-events.txt.gz',
  },
  appLol: {
    'strace.txt': 'fixtures/app/pg-lol/strace.txt',
    'loop2.blkparse.txt': 'fixtures/app/pg-lol/loop1.blkparse.txt.gz',
    'loop1.blkparse.txt': 'fixtures/app/pg-lol/loop0.blkparse.txt.gz',
    'upper.img.filefrag.txt': 'fixtures/app/pg-lol/upper.img.filefrag.txt',
  },
  qcow2: {
    'qemu-trace.log': `${F.qcow2}/qemu-trace.log`,
    'loop1.blkparse.txt': `${F.qcow2}/loop1.blkparse.txt`,
    'disk.qcow2.filefrag.txt': `${F.qcow2}/disk.qcow2.filefrag.txt`,
  },
};

/** Files that are made, not copied: the gzip of a trace, and the --stack files. */
const MADE: Record<string, Record<string, () => Buffer | string>> = {
  default: {
    'sda.blkparse.txt.gz': () => gzipSync(readFileSync(join(ROOT, F.nobarrier))),
    'stack.json': () => JSON.stringify({ layers: [{ name: 'host', cache: 'writeback', inputs: ['loop1.blkparse.txt'] }] }),
  },
  app: {
    'calls.csv': () => 'pid,comm,op,path,begin,end,ret\n812,postgres,fdatasync,/pgdata/pg_wal/1,1796537001.927884,1796537001.928254,0\n',
  },
  vm: {
    'stack.json': () => JSON.stringify({
      layers: [
        { name: 'guest', inputs: ['vda.blkparse.txt'] },
        { name: 'qemu', inputs: ['qemu-trace.log'] },
        { name: 'host', inputs: ['loop1.blkparse.txt'] },
      ],
    }),
  },
};

const BASE = tempDir('blkaudit-invocations-');
const workspaces: Record<string, string> = {};
for (const [ws, files] of Object.entries(SUBSTITUTIONS)) {
  const dir = join(BASE, ws);
  for (const [name, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    cpSync(join(ROOT, from), join(dir, name));
  }
  for (const [name, make] of Object.entries(MADE[ws] ?? {})) writeFileSync(join(dir, name), make());
  workspaces[ws] = dir;
}

const HAVE_BLKPARSE = spawnSync('blkparse', ['-V']).error === undefined;

/** Where a command runs: the workspace whose files it names. */
function chooseWorkspace(words: string[]): string {
  const has = (s: string) => words.some((w) => w.includes(s));
  if (has('fixtures/')) return ROOT;
  if (has('strace.txt') && has('loop2.blkparse.txt')) return workspaces['appLol']!;
  if (has('strace.txt') || has('block-events.txt') || has('calls.csv')) return workspaces['app']!;
  if (has('dm-0.blkparse.txt') || has('md0.blkparse.txt') || has('ftrace-blk-classic.txt')) return workspaces['vmStack']!;
  if (has('upper.img.filefrag.txt') || has('loop2.blkparse.txt')) return workspaces['lol']!;
  if (has('disk.qcow2.filefrag.txt')) return workspaces['qcow2']!;
  if (has('vda.blkparse.txt') || has('qemu-trace.log') || words[0] === 'follow') return workspaces['vm']!;
  return workspaces['default']!;
}

interface Invocation {
  from: string;
  line: string;
}

/** Lines of ```sh blocks, with synopsis brackets ([--layer guest]) left out. */
function readmeBlocks(): Invocation[] {
  const out: Invocation[] = [];
  for (const m of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    // a line ending in a backslash continues on the next (sh)
    for (const line of m[1]!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const l = line.replace(/\s\[--[^\]]*\]/g, '').trim();
      if (l && !l.startsWith('#')) out.push({ from: 'README ```sh', line: l });
    }
  }
  return out;
}

/**
 * Inline `blkaudit …` spans: `<command>` stands for each command; a reading
 * command given options but no input (`blkaudit stats --json`) gets one.
 */
function readmeInline(): Invocation[] {
  const out: Invocation[] = [];
  for (const m of README.matchAll(/`((?:blkparse [^`|]*\|\s)?(?:npx )?blkaudit(?:\s[^`]*)?)`/g)) {
    const span = m[1]!.replace(/\s+/g, ' ');
    if (span.includes('|')) {
      out.push({ from: 'README inline', line: span });
      continue;
    }
    const lines = span.includes('<command>') ? COMMANDS.map((c) => span.replace('<command>', c)) : [span];
    for (const l of lines) {
      const words = l.split(' ').filter((w) => w !== 'npx');
      const cmd = words[1] ?? '';
      // a bare `blkaudit` or `blkaudit check` in prose or a heading names the tool or a command, and
      // `blkaudit check: clean — …` quotes output: neither is an invocation
      if (words.length === 1 || (words.length === 2 && READING.has(cmd)) || cmd.endsWith(':')) continue;
      const hasInput = words.slice(2).some((w) => !w.startsWith('-') || w === '-');
      const help = words.includes('--help');
      out.push({ from: 'README inline', line: READING.has(cmd) && !hasInput && !help ? `${l} sda.blkparse.txt` : l });
    }
  }
  return out;
}

/** The Examples section of `blkaudit [command] --help`, as printed. */
function helpExamples(cmd: string[]): Invocation[] {
  const r = spawnSync(process.execPath, [BIN, ...cmd, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd.join(' ')} --help`);
  const i = r.stdout.search(/^Examples?:$/m);
  assert.ok(i >= 0, `blkaudit ${cmd.join(' ')} --help ends with examples`);
  return r.stdout.slice(i).split('\n').slice(1).filter((l) => l.startsWith('  ')).map((l) => ({ from: `blkaudit ${cmd.join(' ')} --help`, line: l.trim() }));
}

interface Outcome {
  skipped?: string;
  code?: number | null;
  stderr?: string;
}

function runBin(args: string[], cwd: string, stdin: Buffer | undefined, stdoutTo?: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (stdoutTo) writeFileSync(join(cwd, stdoutTo), Buffer.concat(out));
      resolve({ code, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}

/** The bytes a stage in front of blkaudit would write. */
function producerOutput(stage: Stage, cwd: string): Buffer | { skipped: string } {
  const [tool, ...args] = stage.words;
  if (tool === 'blkparse') {
    if (!HAVE_BLKPARSE) return { skipped: 'blkparse is not installed (apt-get install blktrace)' };
    const r = spawnSync('blkparse', args, { cwd, maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, `blkparse ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  if (tool === 'blktrace' && args.includes('-o') && args[args.indexOf('-o') + 1] === '-') {
    // a live binary stream; a captured per-CPU file stands in for it
    return Buffer.concat([readFileSync(join(ROOT, `${F.nobarrierSet}.0`)), readFileSync(join(ROOT, `${F.nobarrierSet}.1`))]);
  }
  throw new Error(`no substitution for a "${stage.words.join(' ')}" stage: add one to test/invocations.test.ts`);
}

const CONSUMERS = new Set(['jq', 'duckdb', 'head', 'less']);
const NOT_BLKAUDIT = /^(npm|node|npx (?!blkaudit))/;

async function runLine(line: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const pipe of pipelines(line)) {
    const at = pipe.findIndex((s) => s.words[0] === 'blkaudit' || (s.words[0] === 'npx' && s.words[1] === 'blkaudit'));
    if (at < 0) {
      assert.match(pipe[0]!.words.join(' '), NOT_BLKAUDIT, `a documented command that is not blkaudit's: ${line}`);
      continue;
    }
    const stage = pipe[at]!;
    const args = stage.words.slice(stage.words[0] === 'npx' ? 2 : 1);
    for (const s of pipe.slice(at + 1)) assert.ok(CONSUMERS.has(s.words[0]!), `unknown stage after blkaudit: ${s.words.join(' ')}`);
    let cwd = chooseWorkspace(args);
    let stdin: Buffer | undefined;
    if (args.includes('--blkparse-format')) {
      // trace.txt written by the real blkparse with the documented format, from per-CPU fixtures
      if (!HAVE_BLKPARSE) {
        outcomes.push({ skipped: 'blkparse is not installed (apt-get install blktrace)' });
        continue;
      }
      cwd = mkdtempSync(join(BASE, 'custom-'));
      for (const n of [0, 1]) cpSync(join(ROOT, `${F.rawSet}.${n}`), join(cwd, `loop1.blktrace.${n}`));
      const spec = args[args.indexOf('--blkparse-format') + 1]!;
      const fmtArgs = spec.startsWith('-') ? pipelines(spec)[0]![0]!.words : ['-f', spec];
      const r = spawnSync('blkparse', ['-i', 'loop1', ...fmtArgs], { cwd, maxBuffer: 1 << 28 });
      assert.equal(r.status, 0, String(r.stderr));
      writeFileSync(join(cwd, 'trace.txt'), r.stdout);
    }
    if (at > 0) {
      const p = producerOutput(pipe[at - 1]!, cwd);
      if (!Buffer.isBuffer(p)) {
        outcomes.push(p);
        continue;
      }
      stdin = p;
    }
    outcomes.push(await runBin(args, cwd, stdin, stage.stdoutTo));
  }
  return outcomes;
}

test('every documented invocation (README and --help examples) runs on fixtures without a usage error', async (t) => {
  const all: Invocation[] = [
    ...readmeBlocks(),
    ...readmeInline(),
    ...helpExamples([]),
    ...COMMANDS.filter((c) => c !== 'formats').flatMap((c) => helpExamples([c])),
  ];
  assert.ok(all.length >= 45, `found ${all.length} documented command lines`);
  const failures: string[] = [];
  let ran = 0;
  for (const inv of all) {
    for (const o of await runLine(inv.line)) {
      if (o.skipped) {
        t.diagnostic(`skipped (${o.skipped}): ${inv.line}`);
        continue;
      }
      ran++;
      const usage = /^error: |unknown option|missing required|too many arguments/m.test(o.stderr ?? '');
      if (o.code === 2 || o.code === null || usage) failures.push(`${inv.from}: ${inv.line}\n    exit ${o.code}: ${(o.stderr ?? '').trim().split('\n')[0]}`);
    }
  }
  assert.ok(ran >= (HAVE_BLKPARSE ? 45 : 35), `ran ${ran} blkaudit invocations`);
  assert.deepEqual(failures, []);
});

/** The README's option table: option → commands marked ✓. */
function readmeOptionTable(): Map<string, Set<string>> {
  const start = README.indexOf('| option |');
  assert.ok(start >= 0, 'README has an option table');
  const rows = README.slice(start).split('\n');
  const head = rows[0]!.split('|').map((c) => c.trim());
  const table = new Map<string, Set<string>>();
  for (const row of rows.slice(2)) {
    if (!row.startsWith('|')) break;
    const cells = row.split('|').map((c) => c.trim());
    const opts = [...(cells[1] ?? '').matchAll(/`(--[\w-]+)/g)].map((m) => m[1]!);
    assert.ok(opts.length > 0, `option table row: ${row}`);
    for (const opt of opts) table.set(opt, new Set(head.filter((h, i) => COMMANDS.includes(h) && cells[i]!.startsWith('✓'))));
  }
  return table;
}

test('the README option table is what each command declares (options are data: --help and README cannot drift)', async () => {
  const program = await buildProgram(async () => {});
  const declared = new Map<string, Set<string>>();
  for (const cmd of program.commands) {
    for (const o of cmd.options) {
      if (!o.long) continue;
      let s = declared.get(o.long);
      if (!s) declared.set(o.long, (s = new Set()));
      s.add(cmd.name());
    }
  }
  const readme = readmeOptionTable();
  for (const [opt, cmds] of declared) assert.deepEqual([...(readme.get(opt) ?? [])].sort(), [...cmds].sort(), `README row for ${opt}`);
  for (const opt of readme.keys()) assert.ok(declared.has(opt), `README lists ${opt}, which no command declares`);
  // every input option on every command that reads traces
  for (const opt of ['--format', '--strict', '--max-line-length', '--max-inflight', '--blkparse-format', '--csv-columns']) {
    assert.deepEqual([...declared.get(opt)!].sort(), [...READING].sort(), opt);
  }
});

test('the events columns: README and --help quote one text, which names every column the codec writes, in order', () => {
  const flat = (x: string) => x.replace(/\s+/g, ' ');
  assert.ok(flat(README).includes(`\`${EVENT_COLUMNS_DOC}\``), 'README quotes EVENT_COLUMNS_DOC');
  const help = spawnSync(process.execPath, [BIN, 'events', '--help'], { encoding: 'utf8' }).stdout;
  assert.ok(flat(help).includes(EVENT_COLUMNS_DOC));
  const named = EVENT_COLUMNS_DOC.replace(/\([^)]*\)/g, '').split(',').map((c) => c.trim());
  assert.deepEqual(named, [...EVENT_COLUMNS]);
});

test('the README rule table lists the rules check --help lists, with the severities --help gives', () => {
  const start = README.indexOf('| rule | severity |');
  const lines = README.slice(start).split('\n').slice(2);
  const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('|')));
  const readme = new Map(rows.map((r) => {
    const cells = r.split(' | ');
    return [/`([\w-]+)`/.exec(cells[0]!)![1]!, cells[1]!] as const;
  }));
  // the application layer's reserved ids are in the table and --help too (catalogue.ts)
  const help = [...RULES.map((r) => ({ id: r.id, severity: r.severity as string })), ...CROSS_LAYER_RULES, ...APP_RULE_INFOS.map((r) => ({ id: r.id, severity: r.severity as string }))];
  assert.deepEqual([...readme.keys()].sort(), help.map((r) => r.id).sort());
  for (const r of help) for (const sev of r.severity.split(' or ')) assert.match(readme.get(r.id)!, new RegExp(`\\b${sev}\\b`), `${r.id}: ${sev}`);
  const text = spawnSync(process.execPath, [BIN, 'check', '--help'], { encoding: 'utf8' }).stdout;
  for (const r of help) assert.match(text, new RegExp(`^  ${r.id} +${r.severity}( \\(reserved\\))?$`, 'm'));
});

test('the time forms of --at and --time: README and --help document both clocks, and examples of each are among the invocations run', () => {
  const flat = (x: string) => x.replace(/\s+/g, ' ');
  const lines = [...readmeBlocks(), ...readmeInline(), ...COMMANDS.filter((c) => c !== 'formats').flatMap((c) => helpExamples([c]))].map((i) => i.line);
  for (const [cmd, opt, form] of [['check', '--at', 'trace:SECONDS'], ['follow', '--time', 'trace:T']] as const) {
    const help = flat(spawnSync(process.execPath, [BIN, cmd, '--help'], { encoding: 'utf8' }).stdout);
    assert.match(help, new RegExp(`${opt} <[^>]+> .*report's clock.*trace:`), `${cmd} --help: ${opt} on the report's clock or trace:`);
    assert.ok(flat(README).includes(`${opt} ${form}`) || flat(README).includes(`${form}]`), `README documents ${opt} ${form}`);
    // one example on each clock, so the invocation test above runs both
    assert.ok(lines.some((l) => l.startsWith(`blkaudit ${cmd}`) && new RegExp(`${opt} trace:[\\d.]+`).test(l)), `an example of ${cmd} ${opt} trace:…`);
    assert.ok(lines.some((l) => l.startsWith(`blkaudit ${cmd}`) && new RegExp(`${opt} [\\d.]+`).test(l)), `an example of ${cmd} ${opt} on the report's clock`);
  }
});
