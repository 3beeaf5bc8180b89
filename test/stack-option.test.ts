/**
 * `--stack FILE` on check, report, stats and follow gives what the same
 * inputs on the command line give; every input option and --no-color are
 * accepted where the README says; the limits --help prints are the ones the
 * code uses and the README states.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';
import { MAX_IN_FLIGHT } from '../src/track/lifetime.js';
import { DEFAULT_MAX_LINE } from '../src/formats/lines.js';
import { readFileSync } from 'node:fs';
import { CROSS_LAYER_RULES } from '../src/cli/check.js';
import { tempDir } from './helpers/tmp.js';

const VM = join(ROOT, 'fixtures/scenarios/vm-unsafe-threads');
const NOBARRIER = 'fixtures/check/real/host-ext4-nobarrier/loop1.blkparse.txt';
const tmp = tempDir('blkaudit-stack-');

/** A stack file in its own directory, inputs relative to it. */
function stackFile(): string {
  const dir = mkdtempSync(join(tmp, 'vm-'));
  const p = join(dir, 'stack.json');
  writeFileSync(p, JSON.stringify({
    layers: [
      { name: 'guest', inputs: [join(VM, 'vda.blkparse.txt')] },
      { name: 'qemu', inputs: [join(VM, 'qemu-trace.log')] },
      { name: 'host', device: '7,1', inputs: [join(VM, 'loop1.blkparse.txt')] },
    ],
  }));
  return p;
}
const LAYERS = [`guest=${VM}/vda.blkparse.txt`, `qemu=${VM}/qemu-trace.log`, `host=${VM}/loop1.blkparse.txt`];

interface Finding { rule: string; severity: string; layer: string; device: string; message: string }

test('check --stack FILE gives the findings the layer=path inputs give', async () => {
  const viaStack = await runCli(['check', '--json', '--stack', stackFile()]);
  const viaArgs = await runCli(['check', '--json', ...LAYERS]);
  assert.equal(viaStack.code, viaArgs.code, viaStack.stderr);
  assert.equal(viaStack.code, 1, 'vm-unsafe-threads has errors');
  const key = (s: string) => (JSON.parse(s) as { findings: Finding[] }).findings.map((f) => `${f.rule} ${f.severity} ${f.layer} ${f.device} ${f.message}`);
  assert.ok(key(viaStack.stdout).length > 0);
  assert.deepEqual(key(viaStack.stdout), key(viaArgs.stdout));
});

test('report --stack FILE and stats --stack FILE read the stack\'s inputs', async () => {
  const rep = await runCli(['report', '--json', '-', '--stack', stackFile()]);
  assert.equal(rep.code, 0, rep.stderr);
  const doc = JSON.parse(rep.stdout) as { layers: Array<{ name: string }>; findings: Finding[] };
  assert.deepEqual(doc.layers.map((l) => l.name), ['guest', 'qemu', 'host']);
  assert.ok(doc.findings.some((f) => f.layer === 'qemu' && f.severity === 'error'));
  const st = await runCli(['stats', '--json', '--stack', stackFile()]);
  assert.equal(st.code, 0, st.stderr);
  const stats = JSON.parse(st.stdout) as { devices: Array<{ device: string; layer: string }> };
  assert.deepEqual(stats.devices.map((d) => `${d.layer} ${d.device}`).sort(), ['guest 254,0', 'host 7,1']);
});

test('follow --stack FILE, with the input options it used to reject', async () => {
  const r = await runCli(['follow', '--json', '--stack', stackFile(), '--sector', '32788', '--layer', 'guest', '--strict', '--no-color', '--max-inflight', '4096']);
  assert.equal(r.code, 0, r.stderr);
  const steps = (JSON.parse(r.stdout) as { steps: Array<{ level: string }> }).steps.map((s) => s.level);
  assert.deepEqual(steps.slice(0, 1), ['guest']);
  assert.ok(steps.includes('host'));
  // --strict really applies: a damaged layer makes follow exit 2 naming it
  const bad = join(tmp, 'damaged.blkparse.txt');
  writeFileSync(bad, readFileSync(join(VM, 'loop1.blkparse.txt'), 'latin1').replace(/\n/, '\nnot an event line\n'));
  const strict = await runCli(['follow', `guest=${VM}/vda.blkparse.txt`, `qemu=${VM}/qemu-trace.log`, `host=${bad}`, '--sector', '32788', '--strict']);
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /--strict: 1 record\(s\) of .*damaged\.blkparse\.txt could not be used/);
});

test('a --stack with no inputs and no input arguments is a usage error naming the file', async () => {
  const p = join(tmp, 'empty-stack.json');
  writeFileSync(p, JSON.stringify({ layers: [{ name: 'host' }] }));
  for (const cmd of ['check', 'report', 'stats']) {
    const r = await runCli([cmd, '--stack', p]);
    assert.equal(r.code, 2, cmd);
    assert.match(r.stderr, new RegExp(`^blkaudit: ${cmd}: no input given .*empty-stack\\.json`, 'm'));
  }
  const missing = await runCli(['stats', '--stack', join(tmp, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read --stack file .*nope\.json/);
});

test('every input option and --no-color are accepted by every command that reads traces', async () => {
  const opts = ['--format', 'blkparse', '--strict', '--max-line-length', '65536', '--max-inflight', '4096'];
  for (const cmd of ['check', 'report', 'stats', 'events']) {
    const extra = cmd === 'events' ? [] : ['--no-color'];
    const r = await runCli([cmd, ...opts, ...extra, NOBARRIER]);
    assert.ok(r.code === 0 || r.code === 1, `${cmd}: exit ${r.code} ${r.stderr}`);
  }
  const csv = await runCli(['stats', '--json', '--csv-columns', 'time=issue_s,end=complete_s,device=dev,op=rwbs,sector=sector,sectors=blocks', 'fixtures/csv/raw-odirect-dsync.d2c.csv']);
  assert.equal(csv.code, 0, csv.stderr);
  assert.ok((JSON.parse(csv.stdout) as { devices: unknown[] }).devices.length > 0);
  const bad = await runCli(['check', '--max-inflight', '0', NOBARRIER]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-inflight: expected a positive whole number/);
});

test('--max-inflight and --max-line-length defaults in --help are the constants the code uses, and the README says the same', async () => {
  const help = (await runCli(['check', '--help'])).stdout.replace(/\s+/g, ' ');
  const n = (x: number) => x.toLocaleString('en-US');
  assert.match(help, new RegExp(`default: ${n(MAX_IN_FLIGHT)}, one cap for the request tracker that check, stats and report share`));
  assert.match(help, new RegExp(`default ${DEFAULT_MAX_LINE}, 1 MiB`));
  assert.doesNotMatch(help, /1048576 for stats/);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  assert.match(readme, new RegExp(`the request tracker that check, stats, series and report share ${n(MAX_IN_FLIGHT)} bios`));
  assert.equal(DEFAULT_MAX_LINE, 1 << 20);
  assert.match(readme, /`--max-line-length` \(default 1 MiB\)/);
});

test('a cross-layer promise left undecided for want of a sector map says which --map would decide it', async () => {
  // qemu-io on a raw /dev/loop0 with aio=native: the data writes leave no QEMU event, so no map can be fitted
  const D = 'fixtures/stacks/qio-raw-directsync-native';
  const r = await runCli(['check', '--json', `qemu=${D}/qemu-trace.log`, `host=${D}/loop0.blkparse.txt`]);
  assert.equal(r.code, 0, r.stderr);
  const noMap = (JSON.parse(r.stdout) as { findings: Array<{ rule: string; severity: string; message: string; details: { reason?: string } }> })
    .findings.filter((f) => f.details?.reason === 'no-map');
  assert.ok(noMap.length > 0);
  for (const f of noMap) {
    assert.deepEqual([f.rule, f.severity], ['cross-layer-undecided', 'info']);
    // check --help says which severities this rule is given
    assert.ok(CROSS_LAYER_RULES.find((x) => x.id === f.rule)!.severity.split(' or ').includes(f.severity));
    assert.match(f.message, /give --map qemu=… \(filefrag -v, qemu-img map\) to decide/);
  }
});
