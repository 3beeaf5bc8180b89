/**
 * Real single-machine stack captures (fixtures/host: md RAID1/RAID5, dm-crypt, dm-thin, dm-writecache, dm-cache, f2fs,
 * DRBD, dm-integrity, and four misconfigurations; bcache apart, at the end of this file; each ORIGIN.md says why its verdict holds). Every capture is one blkparse text of all its
 * devices, checked through the CLI as given (no layer name: blkaudit must find the dm/md → loop remaps itself) and as
 * one named layer. Clean: exit 0, no error, no warning. Violation: exit 1 and an error of an expected rule naming the
 * device. Undecided: no error and a warning of the rule on the device (the trace cannot show its cache), and an error
 * once the cache is declared as sysfs showed it. Counts per device against an independent count of the text. Four
 * captures also as one text per device (each on its own clock), which must give the same verdict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

interface Capture {
  name: string;
  input: string;
  verdict: 'clean' | 'violation' | 'undecided';
  rules: string[];
  device?: string;
  declared?: { rules: string[]; cache: string[] };
  per_device_inputs?: string[];
  counts: Record<string, { writesCompleted: number; flushesCompleted: number; fuaWrites: number }>;
}

interface Finding {
  rule: string;
  severity: string;
  device: string;
  message: string;
  details?: { lower?: string };
}

interface Device {
  device: string;
  writesCompleted: number;
  flushesCompleted: number;
  fuaWrites: number;
  facts: { completionsWithoutIssue: number };
}

const DIR = join(ROOT, 'fixtures/host');
const captures = (JSON.parse(readFileSync(join(DIR, 'EXPECTED.json'), 'utf8')) as { captures: Capture[] }).captures;

async function check(args: string[]): Promise<{ code: number | null; findings: Finding[]; devices: Device[] }> {
  const r = await runCli(['check', '--json', ...args]);
  assert.ok(r.stdout.length > 0, `no output (exit ${r.code}): ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { findings: Finding[]; devices: Device[] };
  return { code: r.code, findings: j.findings, devices: j.devices };
}

const brief = (fs: Finding[]) => fs.map((f) => `${f.severity} ${f.rule} ${f.device}: ${f.message.slice(0, 160)}`).join('\n');
/** "7,0", "vm:7,0" and "layer:7,0" all name device 7,0. */
const dev = (d: string) => d.slice(d.lastIndexOf(':') + 1);
const names = (f: Finding, d: string) => dev(f.device) === d || dev(f.details?.lower ?? '') === d;

test('fixtures/host: seventeen captures, every verdict kind present', () => {
  assert.equal(captures.length, 17);
  for (const v of ['clean', 'violation', 'undecided']) assert.ok(captures.some((c) => c.verdict === v), v);
});

for (const c of captures) {
  const file = join(DIR, c.input);
  for (const [form, input] of [['one file, no layer name', file], ['one named layer', `vm=${file}`]] as const) {
    test(`host ${c.name} (${form}): ${c.verdict}`, async () => {
      const { code, findings, devices } = await check([input]);
      const errors = findings.filter((f) => f.severity === 'error');
      const warnings = findings.filter((f) => f.severity === 'warning');
      // the stack's devices, counted as an independent script counts the text
      const got = Object.fromEntries(devices.map((d) => [dev(d.device), { writesCompleted: d.writesCompleted, flushesCompleted: d.flushesCompleted, fuaWrites: d.fuaWrites }]));
      assert.deepEqual(got, c.counts);
      // dm's split bios complete whole at their one C (track/lifetime.ts): no completion is left without its bio
      for (const d of devices) assert.equal(d.facts.completionsWithoutIssue, 0, `${d.device}: completions without issue`);
      if (c.verdict === 'clean') {
        assert.equal(errors.length, 0, `false alarm:\n${brief(errors)}`);
        assert.equal(warnings.length, 0, `warnings on a clean stack:\n${brief(warnings)}`);
        assert.equal(code, 0);
        return;
      }
      if (c.verdict === 'undecided') {
        assert.equal(errors.length, 0, `an error without the proof (the trace cannot show the cache):\n${brief(errors)}`);
        assert.ok(warnings.some((w) => c.rules.includes(w.rule) && names(w, c.device!)), brief(findings));
        return;
      }
      assert.equal(code, 1, brief(findings));
      const named = errors.filter((f) => c.rules.includes(f.rule) && names(f, c.device!));
      assert.ok(named.length > 0, `no ${c.rules.join('/')} error naming ${c.device}:\n${brief(findings)}`);
    });
  }
  if (c.per_device_inputs) {
    // one text per device, each on its own clock: placed by an offset whose uncertainty widens every window
    test(`host ${c.name} (one text per device, each on its own clock): ${c.verdict}`, async () => {
      const { code, findings } = await check(c.per_device_inputs!.map((a) => `${a.slice(0, a.indexOf('='))}=${join(DIR, a.slice(a.indexOf('=') + 1))}`));
      const loud = findings.filter((f) => f.severity !== 'info');
      assert.equal(c.verdict, 'clean');
      assert.equal(loud.length, 0, `false alarm:\n${brief(loud)}`);
      assert.equal(code, 0);
    });
  }
  if (c.declared) {
    test(`host ${c.name}: with ${c.declared.cache.map((x) => `--cache ${x}`).join(' ')} (what sysfs showed) it is an error naming ${c.device}`, async () => {
      const { code, findings } = await check([...c.declared!.cache.flatMap((x) => ['--cache', x]), file]);
      assert.equal(code, 1, brief(findings));
      assert.ok(findings.some((f) => f.severity === 'error' && c.declared!.rules.includes(f.rule) && names(f, c.device!)), brief(findings));
    });
  }
}

test('host md-raid1-ext4-nobarrier: md0 has the volatile cache of its members, shown by md\'s own superblock flushes below', async () => {
  const { findings } = await check([join(DIR, 'md-raid1-ext4-nobarrier/all.blkparse.txt.gz')]);
  const f = findings.find((x) => x.rule === 'flush-never-issued' && dev(x.device) === '9,0');
  assert.ok(f, brief(findings));
  assert.equal(f.severity, 'error');
  assert.match(f.message, /7,0, 7,1 \(remap events\), whose write cache is volatile/);
  // md flushed its members on its own (superblock updates): the bytes are counted by md0's flushes, said so
  assert.match(f.message, /never covered by a flush of this device, though flushes of the layer below not sent through this device/);
});

test('a dm bio trimmed to its remainder (X S / S) completes whole at its one C: no orphan, and --at counts all its sectors', async () => {
  const file = join(ROOT, 'fixtures/check/dm-trimmed-split.blkparse.txt');
  const r = await runCli(['check', '--json', '--at', 'trace:0.00015', '--cache', '252,0=writeback', file]);
  const j = JSON.parse(r.stdout) as { devices: Device[]; findings: Finding[]; at: Array<{ ranges: Array<{ start: number; end: number }>; writes: number; bytes: number }> };
  assert.equal(j.devices[0]!.facts.completionsWithoutIssue, 0);
  assert.deepEqual(j.findings.map((f) => f.rule), ['unflushed-at-end'], 'no completion-without-issue, no request left in flight');
  // the first bio was queued as 100 + 16: its C shows only 108 + 8, the part dm resubmitted
  assert.deepEqual(j.at[0]!.ranges, [{ start: 100, end: 116 }, { start: 300, end: 308 }]);
  assert.deepEqual([j.at[0]!.writes, j.at[0]!.bytes], [2, 12288]);
});

test('host bcache-wb / bcache-wt: bcache moves each bio to its backing device, so the backing device records bcache0\'s completions; clean, and said, never read as a broken promise', async () => {
  for (const n of ['bcache-wb', 'bcache-wt']) {
    const file = join(DIR, n, 'all.blkparse.txt.gz');
    for (const input of [file, `vm=${file}`]) {
      const { code, findings, devices } = await check([input]);
      const loud = findings.filter((f) => f.severity !== 'info');
      assert.equal(loud.length, 0, `${n}: ${brief(loud)}`);
      assert.equal(code, 0);
      // 287 bios queued at bcache0 (251,0) and not one completion under its number: cached_dev_submit_bio sets the bio's
      // device to the backing one (data offset 16 sectors) before anything, and bio_endio traces the C there
      const b = devices.find((d) => dev(d.device) === '251,0')!;
      assert.equal(b.writesCompleted, 0);
      assert.equal(b.flushesCompleted, 0);
      const backing = devices.find((d) => dev(d.device) === '7,0')!;
      assert.equal(backing.facts.completionsWithoutIssue, 287);
      const open = findings.find((f) => f.rule === 'requests-in-flight-at-end' && dev(f.device) === '251,0');
      assert.ok(open, brief(findings));
      assert.match(open.message, /^287 requests had not finished when the trace ended \(268 queued, 19 empty flushes\)/);
    }
    // one text per device, as layers: the same, and bcache0 is not linked below (no map explains its writes there)
    const pd = (f: string) => join(DIR, n, 'per-device', f);
    const r = await runCli(['check', `bcache=${pd('bcache0.blkparse.txt.gz')}`, `disks=${pd('loop0.blkparse.txt.gz')}`, `disks=${pd('loop1.blkparse.txt.gz')}`]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /clean — no broken promise found \(0 error\(s\), 0 warning\(s\)/);
    assert.match(r.stdout, /0 flush\(es\) acknowledged at bcache \(251,0\)/);
  }
});

test('host drbd: DRBD emits no remap event, so in one text its devices are checked each on its own; as layers, drbd0 is linked to loop0 by its identity map found in the data, and every flush it acknowledged is followed below', async () => {
  for (const n of ['drbd', 'drbd-noflush']) {
    const pd = (f: string) => join(DIR, n, 'per-device', f);
    const r = await runCli(['stack', `drbd=${pd('drbd0.blkparse.txt.gz')}`, `disk=${pd('loop0.blkparse.txt.gz')}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /drbd:147,0 → disk:7,0\n\s+map: identity — inferred from the data and checked; explains 1284 of 1284 writes/);
    assert.match(r.stdout, /promises: 83 — 83 kept, 0 broken, 0 undecided/);
    const one = await runCli(['stack', join(DIR, n, 'all.blkparse.txt.gz')]);
    assert.doesNotMatch(one.stdout, /147,0 → .*7,0/);
    // … and the one text says that drbd0's flushes were not followed, and how to have them followed
    const j = JSON.parse((await runCli(['check', '--json', join(DIR, n, 'all.blkparse.txt.gz')])).stdout) as { limitations: Array<{ text: string }> };
    assert.deepEqual(j.limitations.map((l) => l.text).filter((t) => t.includes('takes bios only')),
      ['147,0 takes bios only (no request stage: a stacking driver such as DRBD, bcache, dm or md) and no remap event names the device below it (DRBD and bcache emit none; dm and md only with block_bio_remap traced): the 52 flushes it acknowledged are not followed to 7,0 here; give each device as its own layer (top=… below=…) to have them followed']);
  }
  // dm-integrity writes below through its journal and dm-bufio, with no remap event either: the same note
  const ji = JSON.parse((await runCli(['check', '--json', join(DIR, 'dm-integrity', 'all.blkparse.txt.gz')])).stdout) as { limitations: Array<{ text: string }> };
  assert.ok(ji.limitations.some((l) => l.text.startsWith('252,0 takes bios only') && l.text.includes('the 52 flushes it acknowledged are not followed to 7,0 here')), JSON.stringify(ji.limitations));
  // md and dm name the device below by their remap events: no such note there; nor on bcache0, which acknowledged nothing
  for (const n of ['md-raid1', 'dm-crypt', 'bcache-wb']) {
    const j = JSON.parse((await runCli(['check', '--json', join(DIR, n, 'all.blkparse.txt.gz')])).stdout) as { limitations: Array<{ text: string }> };
    assert.deepEqual(j.limitations.filter((l) => l.text.includes('takes bios only')), [], n);
  }
});

test('host md-raid0 / md-linear: md splits at chunk boundaries with no split event (raid0) or moves the bio to its member (linear); clean in every form, what the trace cannot match said as info', async () => {
  const cases = [
    // raid0: pieces of a misaligned write complete at md0 as 1,022 + 2 sectors, the 2-sector ones match no queued bio
    { n: 'md-raid0', orphans: { '9,0': 16, '7,0': 0, '7,1': 0 }, open: ['9,0', /^8 requests had not finished when the trace ended \(8 queued\)/], writes: { '9,0': 266 } },
    // linear: md0's bios are completed as the member's requests; md0 acknowledges no write under its number
    { n: 'md-linear', orphans: { '9,0': 0, '7,0': 40, '7,1': 0 }, open: ['9,0', /^267 requests had not finished when the trace ended \(267 queued\)/], writes: { '9,0': 0 } },
  ] as const;
  for (const c of cases) {
    const file = join(DIR, c.n, 'all.blkparse.txt.gz');
    for (const input of [file, `vm=${file}`]) {
      const { code, findings, devices } = await check([input]);
      const loud = findings.filter((f) => f.severity !== 'info');
      assert.equal(loud.length, 0, `${c.n}: ${brief(loud)}`);
      assert.equal(code, 0);
      for (const [d, k] of Object.entries(c.orphans)) assert.equal(devices.find((x) => dev(x.device) === d)!.facts.completionsWithoutIssue, k, `${c.n} ${d}`);
      for (const [d, k] of Object.entries(c.writes)) assert.equal(devices.find((x) => dev(x.device) === d)!.writesCompleted, k, `${c.n} ${d}`);
      const open = findings.find((f) => f.rule === 'requests-in-flight-at-end' && dev(f.device) === c.open[0]);
      assert.match(open?.message ?? '', c.open[1], brief(findings));
    }
    const pd = (f: string) => join(DIR, c.n, 'per-device', f);
    const r = await runCli(['check', `md=${pd('md0.blkparse.txt.gz')}`, `disk=${pd('loop0.blkparse.txt.gz')}`, `disk=${pd('loop1.blkparse.txt.gz')}`]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /clean — no broken promise found \(0 error\(s\), 0 warning\(s\)/);
  }
});
