/**
 * A QEMU log parsed in a worker thread (src/io/packed-qemu.ts) gives exactly what parsing it in the main
 * thread gives: every event field, `args` included (made on the main thread from the bytes the worker
 * copied), every diagnostic with its example, the clock and the limitations — on every QEMU log of the
 * fixtures, read by the worker from the file and posted to it in chunks, and on a generated log that takes
 * the packing to its limits (many batches, the string table started again, an argument text longer than a
 * slot's byte area, bytes that are not UTF-8, lines that are no trace events). And the verdicts of a whole
 * stack are the same whichever thread read its QEMU log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { analyze, type AnalyzeOptions } from '../src/index.js';
import { qemuLogFormat } from '../src/formats/qemu/log.js';
import { ARGS_SLOT_BYTES, MAX_STRINGS, QEMU_BATCH_EVENTS } from '../src/io/packed-qemu.js';
import type { QemuEvent } from '../src/qemu/event.js';
import { tempDir } from './helpers/tmp.js';
import { parseVia } from './helpers/fuzz-workers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every call the parser makes, in order (test/helpers/fuzz-workers.ts); none of these logs makes it throw. */
async function parse(path: string, how: 'inline' | 'worker-file' | 'worker-chunks'): Promise<unknown[]> {
  const calls = await parseVia(qemuLogFormat, path, how);
  const threw = calls.find((c) => Array.isArray(c) && c[0] === 'threw');
  assert.equal(threw, undefined, `${how}: ${path}`);
  return calls;
}

function qemuLogs(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/^qemu.*\.log(\.gz)?$/.test(f)) out.push(p);
    }
  };
  walk(join(ROOT, 'fixtures'));
  return out;
}

test('worker = main thread on every QEMU log of the fixtures (events with args, diagnostics, clock, limitations)', async () => {
  const dir = tempDir('blkaudit-qemu-worker-');
  const logs = qemuLogs();
  assert.ok(logs.length >= 15, `${logs.length} QEMU logs`);
  let events = 0;
  for (const [i, f] of logs.entries()) {
    let path = f;
    if (f.endsWith('.gz')) {
      path = join(dir, `${i}.log`);
      writeFileSync(path, gunzipSync(readFileSync(f)));
    }
    const inline = await parse(path, 'inline');
    assert.ok(inline.length > 0, f);
    assert.deepEqual(await parse(path, 'worker-file'), inline, f);
    assert.deepEqual(await parse(path, 'worker-chunks'), inline, f);
    events += inline.filter((c) => typeof c === 'object' && c !== null && 'kind' in c).length;
  }
  assert.ok(events > 10000, `${events} events`);
});

test('worker = main thread on a log past the packing limits: batches, string table restarts, long arguments, bad bytes', async () => {
  const dir = tempDir('blkaudit-qemu-worker-');
  const lines: Buffer[] = [];
  const line = (s: string) => lines.push(Buffer.from(s + '\n', 'latin1'));
  const n = Math.max(3 * QEMU_BATCH_EVENTS, MAX_STRINGS + 5000);
  for (let i = 0; i < n; i++) {
    const t = `${4242}@${1700000000 + Math.floor(i / 1000)}.${String(i % 1000).padStart(6, '0')}:`;
    // fresh request pointers: more distinct strings than the table holds
    const req = `0x7f${(0x100000 + i).toString(16)}`;
    line(`${t}virtqueue_pop vq 0x5648dd17f5c0 elem ${req} in_num 2 out_num 1`);
    line(`${t}virtio_blk_handle_write vdev 0x5648dd17e000 req ${req} sector ${i * 8} nsectors 8`);
    if (i % 997 === 0) line('qemu-system-x86_64: warning: not a trace line');
    if (i % 1499 === 0) line(`${t}thread_pool_submit pool 0x55 req ${req} opaque 0x7f2a3c00${(i % 4096).toString(16)}`);
    if (i === 777) line(`${t}virtio_blk_req_complete vdev 0x5648dd17e000 req ${req} status 0 ${'x'.repeat(ARGS_SLOT_BYTES + 100)}`);
  }
  // not UTF-8 in an argument (decoded to U+FFFD on either side), and a line from the text path
  lines.push(Buffer.concat([Buffer.from('4242@1700009999.000001:virtio_blk_rw_complete vdev 0x5648dd17e000 req 0x7f\xff\xfe ret 0', 'latin1'), Buffer.from('\n')]));
  line('2025-07-21T18:43:28.089797Z virtio_blk_rw_complete vdev 0x5648dd17e000 req 0x7f100001 ret 0');
  const path = join(dir, 'qemu-trace.log');
  writeFileSync(path, Buffer.concat(lines));
  const inline = await parse(path, 'inline');
  const events = inline.filter((c) => typeof c === 'object' && c !== null && 'kind' in c) as QemuEvent[];
  assert.ok(events.length > 2 * n, `${events.length} events`);
  assert.ok(events.some((e) => e.args.length > ARGS_SLOT_BYTES), 'an argument text longer than a slot');
  assert.ok(events.some((e) => e.args.includes('\ufffd')), 'a replacement character');
  assert.deepEqual(await parse(path, 'worker-file'), inline);
  assert.deepEqual(await parse(path, 'worker-chunks'), inline);
});

test('a stack checks the same with its QEMU log read in a worker as in the main thread', async () => {
  // the check as the CLI runs it on a stack: every stage that reads layers
  const stages: AnalyzeOptions = { stages: ['stats', 'check', 'correlate', 'app'], stageOptions: { check: {}, correlate: {}, app: {} } };
  for (const s of ['vm-none-threads', 'vm-unsafe-threads', 'vm-writethrough-threads']) {
    const base = join(ROOT, 'fixtures', 'scenarios', s);
    const files = readdirSync(base);
    const guest = files.find((f) => f.startsWith('vda') && f.endsWith('.blkparse.txt'));
    const host = files.find((f) => f.startsWith('loop') && f.endsWith('.blkparse.txt'));
    assert.ok(guest && host, `${s}: ${files.join(' ')}`);
    const inputs = [`guest=${join(base, guest)}`, `qemu=${join(base, 'qemu-trace.log')}`, `host=${join(base, host)}`];
    const inline = await analyze(inputs, { ...stages, parseWorker: false });
    const worker = await analyze(inputs, { ...stages, parseWorker: true });
    assert.ok(inline.alignment.length > 0 && inline.correlation !== undefined, s);
    assert.equal(JSON.stringify(worker), JSON.stringify(inline), s);
  }
});
