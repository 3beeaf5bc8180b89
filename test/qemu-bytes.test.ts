/**
 * The QEMU log reader reads the common line (`TID@SEC.USEC:name key value …`) from its bytes and every
 * other line from its text (src/formats/qemu/log.ts, src/qemu/args-bytes.ts). Both must give the same
 * events, counters, clock and limitations: checked here on every QEMU log of the fixtures (and of
 * ../shared/corpus and ../shared/wild when present), in small and large chunks, and on generated lines
 * that mix the shapes the two paths split on (prefix forms, long numbers, key=value, "(nil)", quotes,
 * trailing punctuation, tabs, NUL and non-UTF-8 bytes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Diagnostics } from '../src/model/diagnostics.js';
import type { ClockDomain } from '../src/model/time.js';
import type { ParseContext } from '../src/formats/types.js';
import { detectFormat } from '../src/formats/registry.js';
import { QemuLogParser } from '../src/formats/qemu/log.js';
import { copyQemuEvent, type QemuEvent } from '../src/qemu/event.js';
import { CORPUS_DIR, ROOT } from './helpers/cli.js';

interface Parsed {
  events: QemuEvent[];
  diag: ReturnType<Diagnostics['list']>;
  clock?: ClockDomain;
  limitations: string[];
}

function parse(data: Buffer, fromText: boolean, chunk: number): Parsed {
  const events: QemuEvent[] = [];
  const diag = new Diagnostics();
  const out: Parsed = { events, diag: [], limitations: [] };
  const ctx: ParseContext = {
    sourceIndex: 0, sourceName: 'test', sink: { event: () => assert.fail('QEMU readers emit no block events') },
    qemuSink: { qemu: (e) => events.push(copyQemuEvent(e)) }, diag, options: {},
    setClock: (d) => { out.clock = d; }, attach: () => {}, limitation: (t) => { out.limitations.push(t); },
  };
  const p = new QemuLogParser(ctx, fromText);
  for (let i = 0; i < data.length; i += chunk) p.push(data.subarray(i, Math.min(data.length, i + chunk)));
  p.end();
  out.diag = diag.list();
  return out;
}

function sameAsText(data: Buffer, label: string, chunk = 65536): void {
  const text = parse(data, true, 1 << 20);
  const bytes = parse(data, false, chunk);
  assert.equal(bytes.events.length, text.events.length, `${label}: events`);
  for (let i = 0; i < text.events.length; i++) assert.deepEqual(bytes.events[i], text.events[i], `${label}: event ${i + 1}`);
  assert.deepEqual(bytes.diag, text.diag, `${label}: counters`);
  assert.deepEqual(bytes.clock, text.clock, `${label}: clock`);
  assert.deepEqual(bytes.limitations, text.limitations, `${label}: limitations`);
}

/** Files under `dir` whose content is detected as a QEMU log (at most 64 MB each). */
function qemuLogs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size > 0 && st.size < 64 << 20 && detectFormat(readFileSync(p).subarray(0, 65536))?.format.name === 'qemu-log') out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

test('every QEMU log of the fixtures reads the same from its bytes as from its text', () => {
  const files = qemuLogs(join(ROOT, 'fixtures'));
  assert.ok(files.length >= 10, `found ${files.length} QEMU logs`);
  let events = 0;
  for (const f of files) {
    const data = readFileSync(f);
    sameAsText(data, f);
    sameAsText(data, `${f} (7-byte chunks)`, 7);
    events += parse(data, false, 65536).events.length;
  }
  assert.ok(events > 5000, `${events} events compared`);
});

test('every QEMU log of ../shared/corpus and ../shared/wild reads the same from its bytes (when present)', (t) => {
  const files = [...qemuLogs(CORPUS_DIR), ...qemuLogs(join(CORPUS_DIR, '../wild'))];
  if (files.length === 0) return t.skip('no ../shared');
  for (const f of files) sameAsText(readFileSync(f), f);
});

const NAMES = [
  'virtqueue_pop', 'virtio_blk_handle_write', 'virtio_blk_handle_read', 'virtio_blk_rw_complete', 'virtio_blk_req_complete',
  'blk_co_pwritev', 'bdrv_co_pwritev_part', 'bdrv_co_readv', 'thread_pool_submit', 'thread_pool_complete', 'luring_co_submit',
  'paio_submit', 'file_flush_fdatasync_failed', 'scsi_disk_new_request', 'pci_nvme_io_cmd', 'dropped_event',
  'virtio_blk_data_plane_start', 'made_up_event', 'x_1', 'noUnderscore', '_', 'a_b9', '9a_b',
];
const KEYS = ['vdev', 'req', 'elem', 'vq', 'bs', 'blk', 'pool', 'opaque', 'offset', 'bytes', 'sector', 'sector_num', 'nb_sectors',
  'flags', 'ret', 'errno', 'status', 'type', 'in_num', 'out_num', 'num_reqs', 'mrb', 'opname', 'data', 's', 'luringcb', 'num_events'];
const VALUES = ['0', '512', '-5', '0x0', '0x10', '0X1F', '0x', '0x5648dc466000', '0x5648DC466000', '0x005648dc466000', '(nil)', '(nil)x',
  '12,', '7)', '3:', '1.5', '-', '--1', "'write'", "'", "'a b'", '4294967291', '123456789012345678901', 'é', '\t9', '9\t', '0x1g',
  '\u0000', '(vdev', '(0x1)'];

const token = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)).map(([k, v]) => `${k} ${v}`),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)).map(([k, v]) => `${k} ${v}`),
  fc.constantFrom(...KEYS),
  fc.constantFrom(...VALUES),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)).map(([k, v]) => `${k}=${v}`),
  fc.string({ maxLength: 6 }),
);
const digits = (min: number, max: number) => fc.integer({ min, max }).chain((n) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`)));
const prefix = fc.oneof(
  { arbitrary: fc.tuple(digits(1, 6), digits(1, 10), digits(1, 8)).map(([t, s, u]) => `${t}@${s}.${u}:`), weight: 12 },
  fc.tuple(digits(16, 18), digits(1, 3), digits(6, 6)).map(([t, s, u]) => `${t}@${s}.${u}:`),
  fc.tuple(digits(1, 3), digits(16, 17), digits(6, 6)).map(([t, s, u]) => `${t}@${s}.${u}:`),
  fc.constant('2025-07-21T18:43:28.089797Z '),
  fc.constant('[w] prog(77:main): '),
  fc.constant(''),
  fc.constantFrom('1@2:', '@1.2:', '1@.2:', '1@2.:', 'x@1.2:'),
);
const line = fc.tuple(fc.constantFrom('', ' ', '\t', '  '), prefix, fc.constantFrom(...NAMES), fc.constantFrom(' ', '  ', '', '\t'),
  fc.array(token, { maxLength: 10 }), fc.constantFrom(' ', '  ')).map(([ws, p, n, sep, toks, join]) => `${ws}${p}${n}${sep}${toks.join(join)}`);

test('generated lines read the same from their bytes as from their text', () => {
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), fc.boolean(), fc.integer({ min: 1, max: 64 }), (lines, crlf, chunk) => {
      const data = Buffer.from(lines.join(crlf ? '\r\n' : '\n'), 'utf8');
      sameAsText(data, 'generated', chunk);
    }),
    { numRuns: 200 },
  );
});

test('every key with every value, last on the line and not, reads the same from its bytes', () => {
  const lines: string[] = [];
  for (const k of KEYS) {
    for (const v of VALUES) {
      lines.push(`7@1795464640.530338:blk_co_pwritev ${k} ${v}`, `7@1795464640.530338:thread_pool_submit ${k} ${v} req 0x1`);
      lines.push(`7@1795464640.530338:virtio_blk_handle_write (${k} ${v},`, `7@1795464640.530338:bdrv_co_readv ${k}=${v} ${k}  ${v}`);
    }
  }
  sameAsText(Buffer.from(lines.join('\n'), 'utf8'), 'pairs');
});

test('bytes that are not UTF-8 read the same from the bytes as from their text', () => {
  const base = Buffer.from('15455@1795464640.530338:thread_pool_submit pool 0x5648dc4c6310 req 0x5648dd4cda00 opaque 0x7f4efd5c8920\n', 'latin1');
  for (let at = 0; at < base.length - 1; at++) {
    for (const bad of [0x00, 0x80, 0xc3, 0xff]) {
      const d = Buffer.from(base);
      d[at] = bad;
      sameAsText(Buffer.concat([d, base]), `byte ${bad} at ${at}`);
    }
  }
});
