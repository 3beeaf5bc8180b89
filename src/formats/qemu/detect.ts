/**
 * QEMU trace text (log backend, simpletrace.py output): description and
 * detection, without the readers (see formats/catalog.ts). The line shapes
 * here are shared with the readers in log.ts and simpletrace.ts.
 */
import type { FormatMeta } from '../types.js';
import { EVENT_KINDS, isKnownFamily } from '../../qemu/events.js';
import { eventNameEnd, parsePrefix, prefix } from './prefix.js';

/** A simpletrace.py record: `event DELTA_US [args]`. */
export const RECORD = /^([A-Za-z_][A-Za-z0-9_]*) (\d+(?:\.\d+)?)(?: (.*))?$/;
/** A simpletrace.py record's wrapped continuation: `key=value …`. */
export const CONTINUATION = /^[A-Za-z_][A-Za-z0-9_]*=\S*(?: [A-Za-z_][A-Za-z0-9_]*=\S*)*$/;

/**
 * Without a prefix any "word_word ..." line could pass for an event: require a
 * known event family, or an argument list that starts like QEMU's ("key value").
 */
export function looksLikeBareEvent(s: string, start: number, end: number): boolean {
  const name = s.slice(start, end);
  if (EVENT_KINDS.has(name) || isKnownFamily(name)) return true;
  if (end >= s.length) return false;
  const rest = s.slice(end + 1);
  return /^[A-Za-z_]\w* (?:0x[0-9a-f]+|\(nil\)|-?\d+)/.test(rest) || /^\w+=/.test(rest);
}

const SIMPLETRACE_SHAPE = /^ \d+\.\d+(?: |$)/;

const HEAD_LINES = 400;
/** The head's first lines as UTF-8, decoded once for both QEMU detectors (each gets its own copy). */
const headLines = new WeakMap<Buffer, string[]>();

function firstLines(head: Buffer): string[] {
  let lines = headLines.get(head);
  if (!lines) {
    lines = head.toString('utf8').split('\n', HEAD_LINES);
    headLines.set(head, lines);
  }
  return lines.slice();
}

/** Detection: share of non-blank lines in `head` that are QEMU log events. */
export function qemuLogConfidence(head: Buffer): number {
  const lines = firstLines(head);
  if (lines.length > 1) lines.pop(); // the last line may be cut by the head limit
  let events = 0;
  let known = 0;
  let other = 0;
  for (const raw of lines) {
    const l = raw.replace(/\r$/, '').trimStart();
    if (l === '') continue;
    parsePrefix(l, 0);
    const e = eventNameEnd(l, prefix.pos);
    if (e < 0) {
      other++;
      continue;
    }
    const name = l.slice(prefix.pos, e);
    if (prefix.style === 'none' && SIMPLETRACE_SHAPE.test(l.slice(e))) {
      other++; // "event 0.699 key=0x…": simpletrace.py output, not the log backend
      continue;
    }
    const knownName = EVENT_KINDS.has(name) || isKnownFamily(name);
    if (prefix.style !== 'none' || knownName || looksLikeBareEvent(l, prefix.pos, e)) {
      events++;
      if (knownName) known++;
    } else other++;
  }
  if (events === 0) return 0;
  const share = events / (events + other);
  // a prefixed line or a known event name is strong evidence; bare "a_b key value" lines weaker
  const strength = known > 0 ? 0.95 : 0.6;
  return Math.min(0.97, strength * (0.4 + 0.6 * share));
}

export const qemuLogMeta: FormatMeta = {
  name: 'qemu-log',
  title: 'QEMU trace, log backend (-trace / -d trace: / qemu-io -T), with or without -msg timestamp=on',
  example: '15455@1795464645.507187:virtio_blk_handle_write vdev 0x5648dd17f5c0 req 0x5648dc424800 sector 16930 nsectors 8',
  detectedBy: 'lines "[TID@SEC.USEC:|ISO-8601 |prog(TID:thr): |PID@NS ]event_name key value …" with QEMU event names (PID@NS: qemu-trace-stap)',
  kind: 'text',
  produces: 'qemu',
  detect: qemuLogConfidence,
};

/** Detection: `event 0.699 key=0x…` records (with or without pid=). */
export function simpletraceConfidence(head: Buffer): number {
  const lines = firstLines(head);
  if (lines.length > 1) lines.pop();
  let records = 0;
  let strong = 0;
  let other = 0;
  for (const raw of lines) {
    const l = raw.trim();
    if (l === '') continue;
    const m = RECORD.exec(l);
    if (m && (m[3] === undefined || /^(?:pid=\d+|[A-Za-z_]\w*=)/.test(m[3]))) {
      records++;
      if (m[3]?.includes('=')) strong++;
    } else if (records > 0 && CONTINUATION.test(l)) {
      // wrapped record
    } else other++;
  }
  if (records === 0 || strong === 0) return 0;
  return Math.min(0.98, 0.6 + 0.38 * (records / (records + other)));
}

export const qemuSimpletraceMeta: FormatMeta = {
  name: 'qemu-simpletrace',
  title: 'QEMU simple trace backend as printed by scripts/simpletrace.py',
  example: 'posix_aio_process_queue 1159.647 acb=0x2b933c0 opaque=0x2d8b630 type=0x2 ret=0x0',
  detectedBy: 'lines "event_name DELTA_US [pid=N] key=value …"',
  kind: 'text',
  produces: 'qemu',
  detect: simpletraceConfidence,
};
