/**
 * `stats` as text: one block per device, tables with units in the headers
 * (bcc style), at most ~90 columns wide. Rendered from the same DeviceStats
 * the JSON carries; nothing is recomputed here. Process names come from the
 * trace and are escaped before they reach the terminal.
 */
import { safeText } from '../model/text.js';
import { plainTable, type Align } from '../model/plain-table.js';
import { BTT_PHASES, type BttPhase } from '../track/btt-compat.js';
import type { TrackCounts } from '../track/request.js';
import type { PhaseJson } from './latency.js';
import type { DeviceStatsWithCheck } from './stage.js';
import { TRACK_REASONS } from './analyzer.js';
import type { StatsJsonInput } from './json.js';

function table(head: string[], rows: Array<Array<string | number>>, leftCols = 1): string {
  const aligns = head.map((_, i): Align => (i < leftCols ? 'left' : 'right'));
  return plainTable(head, rows.map((r) => r.map(String)), aligns).replace(/ +$/gm, '') + '\n';
}

/** Seconds → µs text with 1 decimal; "-" when empty. */
function us(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '-' : (v * 1e6).toFixed(1);
}

function latencyTable(lat: Record<BttPhase, PhaseJson>, labels: Partial<Record<BttPhase, string>> = {}): string {
  const rows = BTT_PHASES.filter((p) => lat[p].n > 0).map((p) => {
    const x = lat[p];
    return [(labels[p] ?? p) + (x.approx ? '~' : ''), x.n, us(x.min), us(x.avg), us(x.max), us(x.p50), us(x.p90), us(x.p99)];
  });
  if (rows.length === 0) return '  (no request reached these phases)\n';
  return table(['PHASE', 'N', 'MIN(µs)', 'AVG(µs)', 'MAX(µs)', 'P50(µs)', 'P90(µs)', 'P99(µs)'], rows);
}

function humanBytes(b: number): string {
  if (b >= 1 << 30) return `${b / (1 << 30)} GiB`;
  if (b >= 1 << 20) return `${b / (1 << 20)} MiB`;
  if (b >= 1024) return `${b / 1024} KiB`;
  return `${b} B`;
}

const SPARK = '▁▂▃▄▅▆▇█';

/** One line of block characters for a series (scaled to its max), at most `width` cells. */
export function sparkline(values: number[], width = 60): string {
  if (values.length === 0) return '';
  const step = Math.max(1, Math.ceil(values.length / width));
  const cells: number[] = [];
  for (let i = 0; i < values.length; i += step) cells.push(Math.max(...values.slice(i, i + step)));
  const max = Math.max(...cells);
  if (max <= 0) return SPARK[0]!.repeat(cells.length);
  return cells.map((v) => SPARK[Math.min(7, Math.round((v / max) * 7))]).join('');
}

function device(layer: string, s: DeviceStatsWithCheck): string {
  let out = `Device ${s.device}${layer ? ` (layer ${safeText(layer)})` : ''}: ${s.events} events, ` +
    `${s.firstTime.toFixed(6)}–${s.lastTime.toFixed(6)} s\n\n`;
  const b = s.blkparse;
  out += 'blkparse counters (requests, KiB):\n';
  out += table(['', 'READS', 'READ(KiB)', 'WRITES', 'WRITE(KiB)'], [
    ['Queued', b.readsQueued, b.readsQueuedKiB, b.writesQueued, b.writesQueuedKiB],
    ['Dispatches', b.readDispatches, b.readDispatchesKiB, b.writeDispatches, b.writeDispatchesKiB],
    ['Requeued', b.readsRequeued, '', b.writesRequeued, ''],
    ['Completed', b.readsCompleted, b.readsCompletedKiB, b.writesCompleted, b.writesCompletedKiB],
    ['Merges', b.readMerges, b.readMergesKiB, b.writeMerges, b.writeMergesKiB],
  ]);
  out += `  IO unplugs ${b.ioUnplugs}, timer unplugs ${b.timerUnplugs}; max depth read ${b.readDepth}, write ${b.writeDepth}\n`;
  if (s.crossCheck) {
    const c = s.crossCheck;
    out += c.match
      ? `  = blkparse's own ${c.block} block in ${safeText(c.source)}\n`
      : `  ≠ blkparse's ${c.block} block in ${safeText(c.source)}: ${c.differences.map(safeText).join('; ')}\n`;
  }
  out += `\nLatency, btt-compatible (btt ignores ${s.btt.zeroByteEvents} zero-byte events` +
    (s.btt.replacedQueues ? `, drops ${s.btt.replacedQueues} same-sector queues` : '') +
    (s.btt.neverCompleted ? `, never completes ${s.btt.neverCompleted}` : '') + '):\n';
  out += latencyTable(s.latency, s.btt.labels);
  out += '\nLatency, request lifetimes (every bio incl. empty flushes; Q2C to the final completion):\n';
  out += latencyTable(s.latencyTrue);
  if (s.reported) out += `\nLatency reported by the tool (µs): N ${s.reported.n}, avg ${us(s.reported.avg)}, p99 ${us(s.reported.p99)}, max ${us(s.reported.max)}\n`;
  const f = s.flushes;
  out += `\nFlushes: ${f.issued} issued, ${f.completed} completed (${f.errors} failed); ` +
    `D2C avg ${us(f.latency.avg)} µs, p99 ${us(f.latency.p99)} µs, max ${us(f.latency.max)} µs\n`;
  out += `  empty flush bios ${f.emptyBios}: Q2C avg ${us(f.emptyBioQ2C.avg)} µs, p99 ${us(f.emptyBioQ2C.p99)} µs\n`;
  out += `  pre-flush writes ${f.preflushWrites}; FUA writes ${f.fuaWrites}, ${f.fuaEmulated} emulated by a post-flush\n`;
  const o = s.ops;
  out += `  discards ${o.discards} (${o.discardsKiB} KiB), write-zeroes ${o.writeZeroes} (${o.writeZeroesKiB} KiB), secure erases ${o.secureErases}\n`;
  const sizes = new Set([...Object.keys(s.sizes.read), ...Object.keys(s.sizes.write), ...Object.keys(s.sizes.discard)]);
  if (sizes.size > 0) {
    out += '\nRequest sizes (dispatched requests, by size from):\n';
    const keys = [...sizes].map(Number).sort((a, b) => a - b);
    out += table(['SIZE', 'READS', 'WRITES', 'DISCARDS'], keys.map((k) => [
      humanBytes(k), s.sizes.read[k] ?? 0, s.sizes.write[k] ?? 0, s.sizes.discard[k] ?? 0,
    ]));
  }
  const q = s.queueDepth;
  out += `\nQueue depth (requests): in flight Q→C max ${q.inFlight.max}, avg ${q.inFlight.avg}; ` +
    `at the device D→C max ${q.atDevice.max}, avg ${q.atDevice.avg}\n`;
  if (q.atDevice.seriesMax.length > 1) {
    out += `  at device, max per ${(q.atDevice.windowSeconds * 1e3).toPrecision(3)} ms: ${sparkline(q.atDevice.seriesMax)}\n`;
  }
  const procs = [...s.processes]
    .map((p) => ({ p, ev: p.blkparse.readsQueued + p.blkparse.writesQueued }))
    .filter((x) => x.ev > 0)
    .sort((a, b) => b.ev - a.ev)
    .slice(0, 10);
  if (procs.length > 0) {
    out += '\nProcesses (top 10 by bios queued):\n';
    out += table(['PID', 'COMM', 'QUEUED', 'QUEUED(KiB)', 'MERGES', 'Q2C AVG(µs)', 'Q2C P99(µs)'], procs.map(({ p }) => [
      p.pid < 0 ? 'other' : p.pid, safeText(p.comm || '?').slice(0, 20), p.blkparse.readsQueued + p.blkparse.writesQueued,
      p.blkparse.readsQueuedKiB + p.blkparse.writesQueuedKiB, p.blkparse.readMerges + p.blkparse.writeMerges,
      us(p.q2c.avg), us(p.q2c.p99),
    ]), 2);
  }
  const r = s.requests;
  const anomalies = (Object.keys(TRACK_REASONS) as Array<keyof TrackCounts>).filter((k) => r[k] > 0);
  out += `\nRequests: ${r.completed} completed, ${r.splits} splits, ${r.requeues} requeues, ${r.errors} errors` +
    (anomalies.length ? `; ${anomalies.map((k) => `${TRACK_REASONS[k]!.replace('track: ', '')}: ${r[k]}`).join('; ')}` : '') + '\n';
  return out;
}

export function renderStatsTable(input: StatsJsonInput): string {
  if (input.devices.length === 0) return 'No block device events in the input.\n';
  let out = input.devices.map((d) => device(d.layer, d.stats)).join('\n' + '─'.repeat(72) + '\n\n');
  const skipped = Object.entries(input.skipped).filter(([k]) => !k.startsWith('track: '));
  if (skipped.length > 0) out += `\nSkipped: ${skipped.map(([k, n]) => `${safeText(k)} ${n}`).join(', ')}\n`;
  return out;
}
