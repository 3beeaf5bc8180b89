/**
 * `blkaudit stack`: the corpus stack capture (ext4 / dm-linear / md RAID1 over vda+vdb / QEMU cache=none /
 * loop1+loop2; fixtures/scenarios/vm-stack-none-threads) as understood, layer by layer and from one guest
 * stream: which device is over which, how each link was established, and the map each uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';
import { fileURLToPath } from 'node:url';

const S = (f: string) => `fixtures/scenarios/vm-stack-none-threads/${f}`;

interface Link { upper: string; lower: string; how: string; map: string; fit?: { matched: number; writes: number }; clock: { method: string }; violated: number }

async function stack(args: string[]): Promise<{ links: Link[]; layers: Array<{ name: string; levels: Array<{ device: string }> }> }> {
  const r = await runCli(['stack', '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const QA = 'qemu:0x56237eaceb40';
const QB = 'qemu:0x56237ebeb740';
const JA = 'qemu:jobs:0x56237eaceb40';
const JB = 'qemu:jobs:0x56237ebeb740';

test('stack, layer by layer: remap maps inside the guest, identity inferred to QEMU and the host, each leg over its own devices', async () => {
  const d = await stack([`dm=${S('dm-0.blkparse.txt.gz')}`, `md=${S('md0.blkparse.txt.gz')}`, `virtio=${S('vda.blkparse.txt.gz')}`,
    `virtio=${S('vdb.blkparse.txt.gz')}`, `qemu=${S('qemu-trace.log.gz')}`, `host=${S('loop1.blkparse.txt.gz')}`, `host=${S('loop2.blkparse.txt.gz')}`]);
  const got = d.links.map((l) => [l.upper, l.lower, l.how]);
  assert.deepEqual(got, [
    ['dm:252,0', 'md:9,0', 'remap'],
    ['md:9,0', 'virtio:254,0', 'remap'],
    ['md:9,0', 'virtio:254,16', 'remap'],
    ['virtio:254,0', QA, 'inferred'],
    ['virtio:254,16', QB, 'inferred'],
    [QA, JA, 'linked'],
    [JA, 'host:7,1', 'inferred'],
    [QB, JB, 'linked'],
    [JB, 'host:7,2', 'inferred'],
    ['qemu:0x56237ed07d50', 'qemu:jobs:0x56237ed07d50', 'linked'],
  ]);
  // dm-0 S = md0 S+2048 = vda/vdb S+4096, from the trace's own A events
  assert.match(d.links[0]!.map, /^offset \+2048 \(from \d+ remap event/);
  assert.match(d.links[1]!.map, /^offset \+2048/);
  assert.deepEqual(d.links[3]!.fit, { matched: 161, writes: 161 });
  assert.equal(d.links[3]!.map, 'identity');
  assert.ok(d.links.every((l) => l.violated === 0));
  assert.deepEqual(d.layers.map((l) => l.name), ['dm', 'md', 'virtio', 'qemu', 'host']);
});

test('stack from one guest stream: the layer is split into dm → md → legs by its remap events, on one clock', async () => {
  const d = await stack([`guest=${S('guest.ftrace-blk-classic.txt.gz')}`, `qemu=${S('qemu-trace.log.gz')}`, `host=${S('host.ftrace-blk-classic.txt.gz')}`]);
  const inGuest = d.links.filter((l) => l.upper.startsWith('guest:') && l.lower.startsWith('guest:'));
  assert.deepEqual(inGuest.map((l) => [l.upper, l.lower, l.how, l.clock.method]), [
    ['guest:252,0', 'guest:9,0', 'remap', 'identity'],
    ['guest:9,0', 'guest:254,0', 'remap', 'identity'],
    ['guest:9,0', 'guest:254,16', 'remap', 'identity'],
  ]);
  assert.deepEqual(d.links.filter((l) => l.how === 'inferred').map((l) => [l.upper, l.lower]), [
    ['guest:254,0', QA], ['guest:254,16', QB], [JA, 'host:7,1'], [JB, 'host:7,2'],
  ]);
});

test('stack text output names the layers, the links and what the traces cannot show', async () => {
  const r = await runCli(['stack', `guest=${S('guest.ftrace-blk-classic.txt.gz')}`, `qemu=${S('qemu-trace.log.gz')}`, `host=${S('host.ftrace-blk-classic.txt.gz')}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^LAYERS \(top to bottom\)/);
  assert.match(r.stdout, /guest:252,0 → guest:9,0\n\s+map: offset \+2048 .* remap events in the trace \(exact\)/);
  assert.match(r.stdout, /WHAT THE TRACES CANNOT SHOW/);
  const bad = await runCli(['stack']);
  assert.equal(bad.code, 2);
});

test('stack and check with rows written out in pieces (BLKAUDIT_STREAM_ROWS): QEMU\'s jobs told to its cache inference once', async () => {
  const args = [`dm=${S('dm-0.blkparse.txt.gz')}`, `md=${S('md0.blkparse.txt.gz')}`, `virtio=${S('vda.blkparse.txt.gz')}`,
    `virtio=${S('vdb.blkparse.txt.gz')}`, `qemu=${S('qemu-trace.log.gz')}`, `host=${S('loop1.blkparse.txt.gz')}`, `host=${S('loop2.blkparse.txt.gz')}`];
  for (const cmd of ['stack', 'check']) {
    const run = async (rows: string) => {
      const r = await runCli([cmd, '--json', ...args], undefined, { BLKAUDIT_STREAM_ROWS: rows });
      const j = JSON.parse(r.stdout) as { layers?: Array<{ levels: Array<{ id: string; cache: unknown }> }>; correlation?: { levels: Array<{ id: string; cache: unknown }> } };
      return (j.correlation?.levels ?? j.layers!.flatMap((l) => l.levels)).map((l) => JSON.stringify([l.id, l.cache]));
    };
    const whole = await run('0');
    // (read back whole from 4-row pieces: once spilled, the pieces' pass told the jobs again, "182 host flush job(s)")
    assert.ok(whole.some((c) => c.includes('91 host flush job(s) seen')), whole.join('\n'));
    assert.deepEqual(await run('4'), whole, cmd);
  }
});

test('stack on a long stack: described from its segments, as the whole trace describes it', async () => {
  const { prepareStack } = await import('../bench/stack.js');
  const { tempDir } = await import('./helpers/tmp.js');
  const { rmSync } = await import('node:fs');
  const root = tempDir('blkaudit-stack-cli-');
  try {
    const s = prepareStack({ root, copies: 40, variant: 'random', seed: 5 });
    const run = async (rows: string) => JSON.parse((await runCli(['stack', '--json', ...s.inputs], undefined, { BLKAUDIT_STREAM_ROWS: rows })).stdout) as {
      layers: Array<{ name: string; levels: Array<Record<string, unknown> & { series?: { writes: number[]; flushes: number[] } }> }>; links: Array<Link & { promises: number; honored: number; undecided: number; clock: { method: string; offsetSeconds?: number } }>; statements: string[];
    };
    const whole = await run('0');
    const streamed = await run('128');
    assert.ok(streamed.statements.some((x) => /^correlated in \d+ segment/.test(x)), streamed.statements.join('\n'));
    // each level as the whole trace gives it; its time series (the HTML lanes) summed over the segments, whose
    // bucket edges may place a count one bucket over (README: Streaming correlation)
    const levels = (o: typeof whole) => o.layers.flatMap((l) => l.levels.map(({ series, ...rest }) => ({
      ...rest, ...(series ? { seriesWrites: series.writes.reduce((a, b) => a + b, 0), seriesFlushes: series.flushes.reduce((a, b) => a + b, 0) } : {}),
    })));
    assert.ok(whole.layers.some((l) => l.levels.some((v) => v.series)));
    assert.deepEqual(levels(streamed), levels(whole));
    const brief = (l: (typeof whole.links)[number]) => [l.upper, l.lower, l.how, l.promises, l.honored, l.violated, l.undecided];
    assert.deepEqual(streamed.links.map(brief), whole.links.map(brief));
    // each link its own promises: the guest's 89 flushes a copy, kept all the way down; the seed disk QEMU also
    // serves made none
    assert.deepEqual(whole.links.map((l) => l.promises), [3560, 3560, 3560, 0, 0], JSON.stringify(whole.links.map(brief)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('stack: each link says no more promises kept, broken or undecided than it made (flush-level ones counted once)', async () => {
  const lol = fileURLToPath(new URL('../../fixtures/stacks/lol-dio/', import.meta.url));
  const real = fileURLToPath(new URL('../../fixtures/check/real/host-lol-buffered/', import.meta.url));
  for (const args of [[`upper=${lol}loop1.blkparse.txt.gz`, `lower=${lol}loop0.blkparse.txt.gz`], [`upper=${real}loop2.blkparse.txt`, `lower=${real}loop1.blkparse.txt`]]) {
    const r = await runCli(['stack', '--json', ...args]);
    const doc = JSON.parse(r.stdout) as { links: Array<{ upper: string; lower: string; promises: number; honored: number; violated: number; undecided: number }> };
    assert.ok(doc.links.some((l) => l.promises > 0), r.stdout);
    for (const l of doc.links) assert.ok(l.honored + l.violated + l.undecided <= l.promises, `${l.upper} → ${l.lower}: ${JSON.stringify(l)}`);
  }
});
