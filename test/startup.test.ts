/**
 * What the shipped CLI entry loads to start (README "Performance", start-up):
 * bin/blkaudit.js run as a user runs it, with a preload that records which
 * modules of dist/src ran (each module of the bundle records its name when
 * globalThis.__blkauditModules is an array, scripts/build-cli.mjs), whether
 * the code cache was used, which Node built-ins were loaded and which files
 * Node itself required. Structure, not timing: the timings are in the bench
 * (`npm run bench -- --startup`), never in a unit test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const TRACE = join(ROOT, 'fixtures', 'check', 'real', 'host-ext4-fsync', 'loop1.blkparse.txt');

const PRELOAD = `
globalThis.__blkauditModules = [];
const base = new Set(process.moduleLoadList);
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.STARTUP_RECORD, JSON.stringify({
    modules: globalThis.__blkauditModules,
    builtins: process.moduleLoadList.filter((m) => !base.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13)),
    required: Object.keys(require.cache),
    loadList: process.moduleLoadList,
  }));
});
`;

interface Record {
  code: number | null;
  /**
   * dist/src modules that ran (a module after those it imports), one "code cache: used|rejected|none" entry,
   * and "v8 flags: after N modules" when the bin set V8 flags (N: process.moduleLoadList's length then).
   */
  modules: string[];
  /** Node built-ins loaded after the preload. */
  builtins: string[];
  /** Node built-ins loaded after the bin set V8 flags (Node's code cache for them refused: compiled from source). */
  builtinsAfterFlags?: string[];
  /** Files loaded through Node's CommonJS loader (the bin, and anything required at run time). */
  required: string[];
}

/** The V8 flags of the bin's shebang: the code cache is made for them. */
function shebangFlags(): string[] {
  const first = readFileSync(BIN, 'utf8').split('\n', 1)[0]!;
  return first.split(/\s+/).filter((w) => w.startsWith('--'));
}

function run(args: string[]): Record {
  const dir = tempDir('blkaudit-startup-');
  try {
    const preload = join(dir, 'preload.cjs');
    const record = join(dir, 'record.json');
    writeFileSync(preload, PRELOAD);
    const r = spawnSync(process.execPath, [...shebangFlags(), '--require', preload, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, STARTUP_RECORD: record, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    const { loadList, ...rec } = JSON.parse(readFileSync(record, 'utf8')) as Omit<Record, 'code'> & { loadList: string[] };
    const flags = rec.modules.find((m) => m.startsWith('v8 flags:'));
    const after = flags === undefined ? undefined : Number(/after (\d+) modules/.exec(flags)?.[1]);
    return {
      code: r.status,
      ...rec,
      ...(after === undefined ? {} : { builtinsAfterFlags: loadList.slice(after).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)) }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fromBundle(r: Record): string[] {
  const mods = r.modules.filter((m) => !m.startsWith('code cache:') && !m.startsWith('v8 flags:'));
  assert.ok(mods.includes('cli/main.js'),
    'bin/blkaudit.js did not run the bundle (dist/cli/blkaudit.cjs missing or older than dist/src: run `npm run build`)');
  assert.deepEqual(r.modules.filter((m) => m.startsWith('code cache:')), ['code cache: used'],
    'the code cache made by scripts/train-cli.cjs was not used with the shebang\'s flags');
  return mods;
}

test('the bundle is at least as new as every tsc output file (npm run build after any tsc, tsc --watch included)', () => {
  const bundle = statSync(join(ROOT, 'dist', 'cli', 'blkaudit.cjs')).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && statSync(p).mtimeMs > bundle) newer.push(p);
    }
  };
  walk(join(ROOT, 'dist', 'src'));
  assert.deepEqual(newer, [], 'dist/cli/blkaudit.cjs is older than these: run `npm run build`');
});

test('--version runs main and the version alone: no command, reader, stage or report module', () => {
  const r = run(['--version']);
  assert.equal(r.code, 0);
  // io/heap-flags.js: a few lines the CLI module re-exports for bin/blkaudit.js (the young generation's flags)
  assert.deepEqual(fromBundle(r).sort(), ['cli/exit.js', 'cli/main.js', 'cli/output.js', 'io/heap-flags.js', 'model/errors.js', 'model/text.js', 'version.js']);
  for (const b of ['child_process', 'worker_threads', 'zlib', 'fs/promises', 'readline', 'v8']) {
    assert.ok(!r.builtins.includes(b), `--version loaded node:${b}`);
  }
  assert.equal(r.builtinsAfterFlags, undefined, '--version set V8 flags (and loaded node:v8 for them)');
  // nothing but the bin itself goes through Node's module loader
  assert.deepEqual(r.required.filter((f) => !f.endsWith('preload.cjs')), [BIN]);
});

test('check on blkparse text runs the blkparse reader only: no other reader, no correlation, no other command', () => {
  const r = run(['check', TRACE]);
  assert.equal(r.code, 0);
  const mods = fromBundle(r);
  assert.ok(mods.includes('formats/blkparse/parser.js'), 'the blkparse reader ran');
  assert.ok(mods.includes('cli/check.js'));
  // Detection needs every format's detect/meta module; a reader (spec, parser, …) only for the detected one.
  const otherFormats = mods.filter((m) => m.startsWith('formats/') && !m.startsWith('formats/blkparse/')
    && !/^formats\/[^/]+\/(meta|detect)\.js$/.test(m) && /^formats\/[^/]+\//.test(m));
  const allowed = new Set(['formats/qemu/prefix.js', 'formats/tracepoint/detect.js', 'formats/blktrace/layout.js',
    'formats/blktrace/bytes.js', 'formats/snoop/columns.js', 'formats/snoop/device-names.js', 'formats/events/codec.js']);
  assert.deepEqual(otherFormats.filter((m) => !allowed.has(m)), [], 'modules of other formats beyond detection');
  for (const prefix of ['correlate/', 'fleet/', 'series/', 'report/html', 'report/chart', 'report/json', 'cli/report.js', 'cli/stack.js', 'cli/events.js', 'cli/stats.js', 'cli/follow.js', 'cli/check-each.js', 'formats/csv/load.js']) {
    assert.deepEqual(mods.filter((m) => m.startsWith(prefix)), [], `check on one blkparse file ran ${prefix}`);
  }
  // file streams load fs/promises, readline and the watchers (io/file-chunks.ts reads without them)
  for (const b of ['child_process', 'worker_threads', 'zlib', 'internal/fs/streams', 'fs/promises', 'readline']) {
    assert.ok(!r.builtins.includes(b), `check loaded node:${b}`);
  }
  // a built-in loaded after the bin set V8 flags is compiled from source (bin/blkaudit.js, setV8Flags)
  assert.deepEqual(r.builtinsAfterFlags, [], 'built-ins loaded after the V8 flags were set');
  assert.ok(!r.required.some((f) => f.includes('/node_modules/')), `check required a package at run time: ${r.required.join(', ')}`);
});

test('--help sets no V8 flag; check --json and stats load no built-in after setting them', () => {
  const help = run(['--help']);
  assert.equal(help.code, 0);
  fromBundle(help);
  assert.equal(help.builtinsAfterFlags, undefined, '--help set V8 flags');
  for (const args of [['check', '--json', TRACE], ['stats', TRACE]]) {
    const r = run(args);
    assert.equal(r.code, 0);
    fromBundle(r);
    assert.deepEqual(r.builtinsAfterFlags, [], `${args.join(' ')}: built-ins loaded after the V8 flags were set`);
  }
});

test('small plain files only turn off the optimizing compiler; stdin, directories, .gz and large inputs keep it', async () => {
  const { createRequire } = await import('node:module');
  const bin = createRequire(import.meta.url)(BIN) as { SMALL_INPUT_BYTES: number; smallInputsOnly: (args: string[]) => boolean };
  const dir = tempDir('blkaudit-small-');
  try {
    const big = join(dir, 'big.txt');
    writeFileSync(big, Buffer.alloc(bin.SMALL_INPUT_BYTES));
    const gz = join(dir, 'small.txt.gz');
    writeFileSync(gz, 'x');
    assert.equal(bin.smallInputsOnly(['check', TRACE]), true);
    assert.equal(bin.smallInputsOnly(['check', '--json', '--fail-on', 'error', `host=${TRACE}`]), true, 'layer=path counts as its file');
    assert.equal(bin.smallInputsOnly(['check', TRACE, TRACE]), true);
    assert.equal(bin.smallInputsOnly(['check', '-']), false, 'stdin: size unknown');
    assert.equal(bin.smallInputsOnly(['check']), false, 'no input named');
    assert.equal(bin.smallInputsOnly(['--version']), false);
    assert.equal(bin.smallInputsOnly(['check', big]), false);
    assert.equal(bin.smallInputsOnly(['check', TRACE, big]), false, 'the total counts');
    assert.equal(bin.smallInputsOnly(['check', gz]), false);
    assert.equal(bin.smallInputsOnly(['check', '--each', dir]), false, 'a directory');
    assert.equal(bin.smallInputsOnly(['check', '--stack', TRACE]), false, '--stack FILE: the traces it names are of unknown size');
    assert.equal(bin.smallInputsOnly(['check', `--stack=${TRACE}`]), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
