import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runFollow } from '../src/cli/follow.js';
import { Output } from '../src/cli/output.js';

const path = (p: string) => fileURLToPath(new URL(`../../fixtures/scenarios/${p}`, import.meta.url));

async function capture(inputs: string[], opts: Parameters<typeof runFollow>[1]): Promise<{ code: number; text: string }> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const code = await runFollow(inputs, opts, new Output(sink));
  return { code, text: Buffer.concat(chunks).toString('utf8') };
}

test('follow (CLI core): a qemu-io FUA write down to loop1, order-only QEMU clock placed by the host', async () => {
  const d = 'qio-raw-none-threads';
  const { code, text } = await capture([`qemu=${path(`${d}/qemu-trace.log`)}`, `host=${path(`${d}/loop1.blkparse.txt`)}`], { sector: '256', json: true });
  assert.equal(code, 0);
  const r = JSON.parse(text) as { reference: string; steps: Array<{ level: string; op: string; issue: { ref: [number | null, number | null]; localLine: number } }> };
  assert.deepEqual(r.steps.map((s) => [s.level, s.op]), [['qemu', 'WF'], ['qemu:jobs', 'W'], ['host', 'W']]);
  assert.equal(r.steps[0]!.issue.localLine, 8); // blk_co_pwritev … offset 131072 bytes 4096 flags 0x10
  const [lo, hi] = r.steps[0]!.issue.ref;
  assert.ok(lo !== null && hi !== null && lo < hi, 'an order-only level gets an interval in host time');
});

test('follow (CLI core): table output with a stack through a filefrag map; unknown sector exits 2', async () => {
  const d = 'lol-buffered';
  const inputs = [`upper=${path(`${d}/loop2.blkparse.txt`)}`, `lower=${path(`${d}/loop1.blkparse.txt`)}`];
  const { code, text } = await capture(inputs, { sector: '266240', map: [`upper=${path(`${d}/upper.img.filefrag.txt`)}`] });
  assert.equal(code, 0);
  const lines = text.trim().split('\n');
  assert.match(lines[0]!, /^reference clock: upper /); // the report's clock: the top timed layer, as check prints
  assert.match(lines[1]!, /^LAYER\s+OP\s+SECTOR \+ N\s+HOW\s+ISSUE\(s\)/);
  assert.match(lines[3]!, /^lower\s+W\s+1429504 \+ 8\s+searched/);
  const miss = await capture(inputs, { sector: '99999999' });
  assert.equal(miss.code, 2);
  assert.match(miss.text, /no read or write of sector 99999999/);
  await assert.rejects(capture(inputs, { sector: 'x' }), /--sector expects/);
});

test('follow on one trace of one device: the request at that layer (a FUA write, durable at its completion), no second layer needed', async () => {
  const { runCli } = await import('./helpers/cli.js');
  const file = fileURLToPath(new URL('../../fixtures/check/real/host-ext4-fsync/loop1.blkparse.txt', import.meta.url));
  const r = await runCli(['follow', '--json', file, '--sector', '1048960']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { steps: Array<{ device: string; op: string; sector: number; how: string; durable: { local: number } }> };
  assert.deepEqual(j.steps.map((x) => [x.device, x.op, x.sector, x.how, x.durable.local]), [['7,1', 'WF', 1048960, 'start', 0.010261397]]);
  // a sector no request touched: exit 2, as with a stack
  assert.equal((await runCli(['follow', file, '--sector', '999999999'])).code, 2);
});
