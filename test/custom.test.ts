import { test } from 'node:test';
import { join } from 'node:path';
import { CORPUS_DIR } from './helpers/cli.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { blkparseCustomFormat } from '../src/formats/blkparse-custom/spec.js';
import { CustomReason } from '../src/formats/blkparse-custom/parser.js';
import { compileOptions, parseFormatOption } from '../src/formats/blkparse-custom/format-string.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import type { BlkparseSummary } from '../src/formats/blkparse/summary.js';
import { InputError } from '../src/model/errors.js';
import { Act, type BlockEvent } from '../src/model/event.js';
import { Op } from '../src/model/rwbs.js';
import { makeDev } from '../src/model/device.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/custom/${name}`, import.meta.url)));

/** The format each fixture was written with (the exact blkparse options, see fixtures/custom/README.md). */
const FORMATS: Record<string, string> = {
  'raw-odirect-dsync.wild16-format.txt': '%D %2c %8s %5T.%9t %6p %2a %3d %10S + %10U (%4e) [%C]\\n',
  'raw-odirect-dsync.all-fields.txt': '%D %c %s %T.%t %p %a %d %S %n %N %e %U [%C]\\n',
  'raw-odirect-dsync.three-line-records.txt':
    'act=%a rwbs=%d\\n  dev=%M:%m cpu=%c seq=%s time=%T.%9t pid=%p\\n  sector=%S blocks=%n err=%e comm=%C\\n',
  'raw-odirect-dsync.peers-example.txt': '%T %t %p %a %d %S %n\\n',
  'raw-odirect-dsync.tod-elapsed-truncated-by-exit.txt':
    "-f '%z %-2a %-5d %S+%n %D\\n' -F 'C,%z %-2a %-5d %S+%n elapsed=%uus %D\\n'",
  'mixed-rw-loop2.tabs-left-aligned.excerpt.txt': '%-4a\\t%-5d\\t%M:%m\\t%T.%6t\\t%S\\t%N\\t%-16C|%p|%U\\n',
  'discard-loop3.per-action-mixed.txt':
    "-F 'Q,Q %D %T.%9t %d %S+%n [%C]\\n' -F 'C,C %D %T.%9t %d %S+%n err=%e\\n' -F 'U,%a %D %T.%9t depth=%U [%C]\\n'",
  'wild-16-rhel8.5-discard-custom-format-gmail-wrapped.txt': '%D %2c %8s %5T.%9t %6p %2a %3d %10S + %10U (%4e) [%C]\\n',
};

const read = (name: string, chunk = 65536) => parseBuffer(blkparseCustomFormat, fixture(name), chunk, { blkparseFormat: FORMATS[name]! });

type Key = keyof BlockEvent;
const pick = (evs: BlockEvent[], keys: Key[]) => evs.map((e) => Object.fromEntries(keys.map((k) => [k, e[k]])));
const CORE: Key[] = ['time', 'dev', 'cpu', 'seq', 'pid', 'act', 'op', 'flags', 'error'];

/** Default-layout events with the fields a custom format prints: C/R lines print [error], not the process name. */
function defaultEvents(text: Buffer): BlockEvent[] {
  const r = parseBuffer(blkparseFormat, text);
  assert.equal(r.diag.total, 0);
  return r.events;
}

test('every field read back: the all-fields format gives the default text\'s events', () => {
  const ref = defaultEvents(fixture('raw-odirect-dsync.default-layout.txt'));
  const r = read('raw-odirect-dsync.all-fields.txt');
  assert.equal(r.diag.total, 0);
  assert.equal(r.events.length, 415);
  const keys: Key[] = [...CORE, 'sector', 'bytes', 'aux', 'auxDev', 'text'];
  assert.deepEqual(pick(r.events, keys), pick(ref, keys));
  // process names: the default C line prints the error instead, a custom %C names the process
  const notC = (evs: BlockEvent[]) => evs.filter((e) => e.act !== Act.Complete).map((e) => e.comm);
  assert.deepEqual(notC(r.events), notC(ref));
  assert.deepEqual([...new Set(r.events.filter((e) => e.act === Act.Complete).map((e) => e.comm))].sort(), ['ksoftirqd/0']);
  assert.deepEqual(r.limitations, []);
});

test('the format of wild item 16 on a real capture: garbage %U ignored, summary read by the default reader', () => {
  const all = read('raw-odirect-dsync.all-fields.txt').events;
  const r = read('raw-odirect-dsync.wild16-format.txt');
  assert.deepEqual(r.diag.toRecord(), {});
  assert.deepEqual(pick(r.events, [...CORE, 'comm']), pick(all, [...CORE, 'comm']));
  // no %n: sizes unknown, so sectors are kept as printed (P/U print 0)
  assert.ok(r.events.every((e, i) => e.bytes === -1 && (all[i]!.sector === -1 || e.sector === all[i]!.sector)));
  // %U is the unplug depth on U lines and garbage elsewhere
  assert.deepEqual([...new Set(r.events.filter((e) => e.aux !== -1).map((e) => e.act))], [Act.Unplug]);
  const summary = r.attachments['blkparse-summary'] as BlkparseSummary;
  assert.equal(summary.events['loop1'], 415);
  assert.deepEqual(r.limitations, ['blkparse-custom: the format has no %n or %N: request sizes are unknown']);
});

test('wild 16 (RHEL 8.5 blkdiscard, Gmail-wrapped): all 7 records joined back, EREMOTEIO read', () => {
  const r = read('wild-16-rhel8.5-discard-custom-format-gmail-wrapped.txt');
  assert.deepEqual(
    r.events.map((e) => [e.loc, e.act, e.op, e.sector, e.pid, e.comm, e.error]),
    [
      [1, Act.Remap, Op.Discard, 1874855936, 416746, 'blkdiscard', 0],
      [3, Act.Queue, Op.Discard, 1874855936, 416746, 'blkdiscard', 0],
      [5, Act.GetRq, Op.Discard, 1874855936, 416746, 'blkdiscard', 0],
      [7, Act.Insert, Op.Discard, 1874855936, 416746, 'blkdiscard', 0],
      [9, Act.Issue, Op.Discard, 1874855936, 312, 'kworker/1:1H', 0],
      [11, Act.Complete, Op.Discard, 1874855936, 0, 'swapper/1', 0],
      [13, Act.Complete, Op.Discard, 1874855936, 0, 'swapper/1', -121],
    ],
  );
  assert.ok(r.events.every((e) => e.dev === makeDev(8, 16) && e.aux === -1));
  assert.deepEqual(r.diag.toRecord(), {
    [CustomReason.wrapped]: 7,
    'blkparse: not an event line': 4, // the summary's wrapped "264,536KiB" lines
  });
  assert.ok(r.limitations.some((l) => /remap's source device/.test(l)));
});

test('three-line records, "%T %t" with a blank, and %6t (ns printed, not a fraction)', () => {
  const all = read('raw-odirect-dsync.all-fields.txt').events;
  const three = read('raw-odirect-dsync.three-line-records.txt');
  assert.equal(three.diag.total, 0);
  const keys: Key[] = [...CORE, 'sector', 'bytes', 'comm'];
  assert.deepEqual(pick(three.events, keys), pick(all, keys));
  assert.ok(three.events.every((e, i) => e.loc === 3 * i + 1));

  const peers = read('raw-odirect-dsync.peers-example.txt');
  const pk: Key[] = ['time', 'pid', 'act', 'op', 'flags', 'sector', 'bytes'];
  assert.deepEqual(pick(peers.events, pk), pick(all, pk));
  assert.ok(peers.limitations.some((l) => /has no %D/.test(l)));

  const tabs = read('mixed-rw-loop2.tabs-left-aligned.excerpt.txt');
  assert.equal(tabs.events.length, 121);
  assert.equal(tabs.diag.total, 0);
  assert.equal(tabs.events[16]!.time, 1_926_980, '"0.1926980" is %T=0 and %6t=1926980 ns');
  const splits = tabs.events.filter((e) => e.act === Act.Split);
  assert.deepEqual(splits.map((e) => [e.sector, e.aux]), [
    [282112, 284672], [286208, 288768], [290816, 293376], [295936, 298496], [301056, 303616], [306176, 308736],
  ]);
  assert.equal(tabs.events.filter((e) => e.act === Act.BackMerge).length, 5);
  assert.equal(tabs.events.find((e) => e.comm === 'jbd2/loop2-8')?.pid, 11937);
});

test('-F per action mixed with default lines: both read, each with its line number', () => {
  const r = read('discard-loop3.per-action-mixed.txt');
  const summary = r.attachments['blkparse-summary'] as BlkparseSummary;
  assert.equal(r.events.length, summary.events['loop3']);
  assert.equal(r.events.length, 878);
  // 438 event lines in the three custom layouts (Q, C, U/UT); the other 440 in the default layout
  assert.deepEqual(r.diag.toRecord(), { [CustomReason.defaultLayout]: 440 });
  const q = r.events.filter((e) => e.act === Act.Queue);
  assert.deepEqual([q.filter((e) => e.op === Op.Read).length, q.filter((e) => e.op === Op.Discard).length, q.filter((e) => e.op === Op.Write).length], [144, 1, 1]);
  const ut = r.events.filter((e) => e.act === Act.UnplugTimer);
  assert.deepEqual(ut.map((e) => [e.loc, e.aux]), [[292, 1], [587, 1]]);
  const g = r.events.find((e) => e.loc === 290)!;
  assert.deepEqual([g.act, g.op, g.sector, g.bytes, g.seq], [Act.GetRq, Op.Discard, 2048, 8192 * 512, 290]);
  assert.deepEqual(r.limitations, [
    'blkparse-custom: the format of actions U has no %d (RWBS): request types and flush/FUA flags are unknown, so flush/FUA rules cannot be checked',
    'blkparse-custom: the format of actions U has no %S: sectors are unknown, so overlap and ordering rules cannot be checked',
    'blkparse-custom: the format of actions U has no %n or %N: request sizes are unknown',
  ]);
});

test('%z time of day, and a record cut short when blkparse exited ("Expecting elapsed value")', () => {
  const r = read('raw-odirect-dsync.tod-elapsed-truncated-by-exit.txt');
  assert.equal(r.events.length, 7);
  assert.deepEqual(r.diag.toRecord(), { [CustomReason.truncated]: 1 });
  assert.equal(r.diag.list()[0]!.examples[0]!.loc, 8);
  assert.equal(r.events[0]!.time, (20 * 3600 + 33) * 1e9 + 294_551_000);
  assert.deepEqual(r.events.map((e) => e.act), [Act.Queue, Act.GetRq, Act.Plug, Act.Unplug, Act.Issue, Act.Complete, Act.Issue]);
  assert.equal(r.clock?.name, 'local-time-of-day');
});

test('--blkparse-format syntax: blkparse options, a single A,fmt, precedence of -F over -f', () => {
  assert.deepEqual(parseFormatOption("-f '%a %S\\n' -F 'Q,%S\\n' --format=C,'%e\\n'"), [
    { format: '%a %S\\n' },
    { letter: 'Q', format: '%S\\n' },
    { letter: 'C', format: '%e\\n' },
  ]);
  assert.deepEqual(parseFormatOption('Q,%T.%t %S\\n'), [{ letter: 'Q', format: '%T.%t %S\\n' }]);
  const compiled = compileOptions(parseFormatOption("-F 'Q,%S\\n' -f '%a %S\\n' -F 'Q,%n\\n'"));
  assert.deepEqual(compiled.map((c) => [c.letters, c.text]), [['Q', '%n\\n'], ['ABCDFGIMPRSTUWX', '%a %S\\n']]);
  const usage = (spec: string, re: RegExp) =>
    assert.throws(() => parseBuffer(blkparseCustomFormat, Buffer.from('x\n'), 64, { blkparseFormat: spec }), (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, re);
      return true;
    });
  usage('%a %S', /has no \\n/);
  usage('%T %S\\n', /no %a and applies to several actions/);
  usage('%a %S\\q\\n', /invalid escape/);
  usage("-F 'Z,%S\\n'", /bad -F action letter/);
  const none = parseBuffer(blkparseCustomFormat, fixture('raw-odirect-dsync.default-layout.txt'));
  assert.equal(none.events.length, 415, 'no format: read as default blkparse text');
  assert.ok(none.limitations.some((l) => /no --blkparse-format given/.test(l)));
});

test('chunk boundaries never change the events', () => {
  for (const name of Object.keys(FORMATS)) {
    const ref = read(name, 1 << 20);
    for (const size of CHUNK_SIZES) {
      const r = read(name, size);
      assert.deepEqual(r.events, ref.events, `${name} in ${size}-byte chunks`);
      assert.deepEqual(r.diag.list(), ref.diag.list(), `${name} diagnostics in ${size}-byte chunks`);
    }
  }
});

const CORPUS = join(CORPUS_DIR, 'host');
const hasBlkparse = (() => {
  try {
    execFileSync('blkparse', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('corpus sweep: real blkparse -f output equals the default text on every host capture', (t) => {
  if (!existsSync(CORPUS) || !hasBlkparse) return t.skip('needs ../shared/corpus and blkparse');
  const fmt = '%D %c %s %T.%t %p %a %d %S %n %N %e %U [%C]\\n';
  let devices = 0;
  for (const capture of readdirSync(CORPUS)) {
    const dir = `${CORPUS}/${capture}/blktrace`;
    if (!existsSync(dir)) continue;
    const devs = [...new Set(readdirSync(dir).map((f) => f.replace(/\.blktrace\.\d+$/, '')))];
    for (const dev of devs) {
      const run = (...extra: string[]) => execFileSync('blkparse', ['-q', '-D', dir, '-i', dev, ...extra], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
      const ref = defaultEvents(run());
      const r = parseBuffer(blkparseCustomFormat, run('-f', fmt), 65536, { blkparseFormat: fmt });
      assert.equal(r.diag.total, 0, `${capture}/${dev}`);
      // A (remap) lines: a custom format cannot print the source device and sector (aux, auxDev not compared).
      // X (split) lines: %N prints the size of the bio being split, which the default line does not show.
      const keys: Key[] = [...CORE, 'sector', 'bytes', 'text'];
      const norm = (evs: BlockEvent[]) => pick(evs.map((e) => (e.act === Act.Split ? { ...e, bytes: 0 } : e)), keys);
      assert.deepEqual(norm(r.events), norm(ref), `${capture}/${dev}`);
      devices++;
    }
  }
  assert.ok(devices >= 10, `swept ${devices} devices`);
});
