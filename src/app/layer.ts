/**
 * One application layer against the device layer below it: align the clocks,
 * judge every call, put the alignment, the incidents and a summary into the
 * report. Returns what the stack seam (affected.ts) needs.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { AppSection, Report } from '../model/report.js';
import { formatDev, isLoopDevice, parseDevNumbers } from '../model/device.js';
import type { DeviceCheckSummary } from '../check/types.js';
import { looksLikeDiskName, namesOf } from '../check/cache.js';
import { promises, type SyncCall } from './call.js';
import { alignByCausality, type AppAlignment, type QueuesByPid } from './align.js';
import { judge, type Verdict } from './judge.js';
import { Grow } from './timeline.js';
import { reportIncidents, type CacheView } from './incidents.js';
import type { AppOptions, LayerData } from './types.js';

export interface AppLayerResult {
  /** Report name of the application layer ("" when unnamed) and its name in messages. */
  layer: string;
  shown: string;
  below?: LayerData;
  alignment: AppAlignment;
  verdicts: Array<[SyncCall, Verdict]>;
  /** Seconds added to a below-layer stored ns to get its clock's value. */
  belowBase: number;
}

export type { AppSection } from '../model/report.js';

/** Tolerance per window: strace prints µs and timestamps its stops late by a few µs; CLOCK_REALTIME slews. */
const RESOLUTION_NS = 20000;

export function analyzeAppLayer(report: Report, env: AnalysisEnv, d: LayerData, below: LayerData | undefined, opts: AppOptions): AppLayerResult {
  // the report's name for an unnamed layer is "" (as every stage's findings); messages say which it is
  const layerName = reportName(d.name);
  const shown = shownName(d.name);
  const belowShown = below ? shownName(below.name) : '';
  const section: AppSection = {
    layer: layerName, below: below ? reportName(below.name) : '', calls: d.calls.length + d.dropped, honored: 0, violated: 0, undecided: 0, noIo: 0, hints: 0, directWrites: 0, failed: 0, byOp: {}, statements: [],
  };
  (report.app ??= []).push(section);
  if (d.dropped > 0) env.diag.add('app: sync calls beyond the per-layer limit (not judged)', 'data-loss');
  const none: AppAlignment = { method: 'none', offsetNs: 0, widthNs: Infinity, toleranceNs: 0, supporting: 0, candidates: 0, note: 'no block trace below' };
  if (!below) {
    report.findings.push({
      rule: 'sync-call-not-durable', severity: 'warning', layer: layerName, device: '', time: -1,
      message: `${d.calls.length} sync call(s) of ${shown} cannot be checked: no block trace of the layer below was read after them (give the application layer first: app=strace.txt disk=loop1.blkparse.txt).`,
      evidence: [], details: { undecided: d.calls.length },
    });
    section.undecided = d.calls.length;
    return { layer: layerName, shown, alignment: none, verdicts: [], belowBase: 0 };
  }
  const belowSources = new Set<number>();
  for (const t of below.devices.values()) for (const s of t.sources) belowSources.add(s);
  const sameStream = below === d || d.calls.every((c) => belowSources.has(c.source));
  let alignment: AppAlignment;
  let queued = 0;
  let completed = 0;
  for (const t of below.devices.values()) {
    queued += t.qTime.n;
    completed += t.cTime.n;
  }
  if (queued === 0) {
    // completions only (CSV, biosnoop) or no write at all: no thread can be tied to a write
    const why = completed > 0 ? 'the block trace has no queue (Q) events naming the submitting thread' : 'no write reached the devices below: nothing to make durable';
    alignment = { method: 'none', offsetNs: 0, widthNs: Infinity, toleranceNs: 0, supporting: 0, candidates: 0, note: why };
  } else if (sameStream) {
    alignment = { method: 'same-stream', offsetNs: 0, widthNs: 0, toleranceNs: 0, supporting: 0, candidates: 0, note: 'syscall tracepoints in the block trace: one clock' };
  } else {
    const byPid: QueuesByPid = new Map();
    const all: Array<[number, number]> = [];
    for (const t of below.devices.values()) for (let i = 0; i < t.qTime.n; i++) all.push([t.qPid.at(i), t.qTime.at(i)]);
    all.sort((a, b) => a[1] - b[1]);
    for (const [pid, t] of all) {
      let g = byPid.get(pid);
      if (!g) byPid.set(pid, (g = new Grow(64)));
      g.push(t);
    }
    alignment = alignByCausality(d.calls, byPid, RESOLUTION_NS);
  }
  const appBase = env.sources[d.calls[0]!.source]?.clock.baseSeconds ?? 0;
  const anyBelowSrc = [...belowSources][0];
  const belowBase = anyBelowSrc !== undefined ? env.sources[anyBelowSrc]?.clock.baseSeconds ?? 0 : 0;
  if (!sameStream) {
    const a: Record<string, unknown> = {
      upper: shown, lower: alignmentLower(report, below), method: alignment.method, supportingPairs: alignment.supporting, candidatePairs: alignment.candidates, note: alignment.note,
    };
    if (alignment.method === 'causality') {
      // stored times on both sides (without the clock bases), as the correlator's offsets
      a['offsetSeconds'] = alignment.offsetNs / 1e9;
      a['widthSeconds'] = alignment.widthNs / 1e9;
    }
    report.alignment.push(a);
  }
  const cache = cacheView(report, env, below, opts);
  const earlier = coveredEarlier(d.calls);
  const verdicts: Array<[SyncCall, Verdict]> = [];
  for (const c of d.calls) {
    const v: Verdict = queued + completed === 0 && promises(c) ? { kind: 'no-io' } : judge(c, { alignment, devices: below.devices, mountDev: cache.mountDev, writeThrough: (dev) => cache.of(dev).writeThrough,
      earlier: (x) => earlier.get(x) ?? [] });
    verdicts.push([c, v]);
    const k = v.kind === 'no-promise' ? v.why : v.kind;
    const per = (section.byOp[c.op] ??= {});
    per[k] = (per[k] ?? 0) + 1;
    if (v.kind === 'honored') section.honored++;
    else if (v.kind === 'violated') section.violated++;
    else if (v.kind === 'undecided') section.undecided++;
    else if (v.kind === 'no-io') section.noIo++;
    else if (v.why === 'hint') section.hints++;
    else if (v.why === 'write') section.directWrites++;
    else section.failed++;
  }
  section.statements.push(
    `${section.calls} sync call(s) at ${shown} against ${belowShown}: ${section.honored} durable at return, ${section.violated} not, ` +
      `${section.undecided} undecided, ${section.noIo} with no write of their own (nothing to flush or already covered), ` +
      `${section.hints} sync_file_range hint(s), ${section.directWrites} plain O_DIRECT write(s), ${section.failed} failed`,
  );
  reportIncidents(report, env, { layer: layerName, shown, belowShown, below, verdicts, alignment, appBase, belowBase, cache });
  return { layer: layerName, shown, below, alignment, verdicts, belowBase };
}

function cacheView(report: Report, env: AnalysisEnv, below: LayerData, opts: AppOptions): CacheView {
  const reportLayer = reportName(below.name);
  const srcDevs = new Map<number, number>();
  for (const t of below.devices.values()) for (const s of t.sources) srcDevs.set(s, (srcDevs.get(s) ?? 0) + 1);
  const names = new Map<number, string[]>();
  for (const t of below.devices.values()) names.set(t.dev, namesOf(env, t.dev, t.sources, (s) => srcDevs.get(s) ?? 0));
  const layerMode = report.layers.find((l) => l.name === reportLayer)?.cacheMode;
  const mounts = (opts.mounts ?? []).map((m) => {
    const n = parseDevNumbers(m.dev);
    const want = m.dev.startsWith('/dev/') ? m.dev.slice(5) : m.dev;
    let dev: number | undefined;
    for (const t of below.devices.values()) if (n === t.dev || (n === undefined && names.get(t.dev)!.includes(want))) dev = t.dev;
    if (dev === undefined) env.diag.add(`app: --mount ${m.path}=${m.dev} names no device of layer ${below.name}`, 'error');
    return { path: m.path, dev };
  }).sort((a, b) => b.path.length - a.path.length);
  return {
    label(dev) {
      const n = names.get(dev)?.find(looksLikeDiskName);
      return n ? `${n} (${formatDev(dev)})` : formatDev(dev);
    },
    mountDev(path) {
      for (const m of mounts) if (m.dev !== undefined && (path === m.path || path.startsWith(m.path === '/' ? '/' : m.path + '/'))) return m.dev;
      return undefined;
    },
    of(dev) {
      const chk = report.devices.find((x) => x.layer === reportLayer && x.device === formatDev(dev))?.['check'] as DeviceCheckSummary | undefined;
      if (chk?.cache === 'writethrough') return { volatile: false, writeThrough: true, how: `${chk.cacheSource} write-through` };
      if (layerMode?.mode === 'writethrough') return { volatile: false, writeThrough: true, how: `layer ${shownName(below.name)} is write-through (${layerMode.how ?? layerMode.source})` };
      if (chk?.cache === 'writeback') return { volatile: true, writeThrough: false, how: chk.cacheSource === 'declared' ? 'declared write-back' : 'write-back, inferred from its flush/FUA requests' };
      if (isLoopDevice(dev)) return { volatile: true, writeThrough: false, how: 'a loop device: the loop driver advertises a volatile write cache (drivers/block/loop.c)' };
      return { volatile: undefined, writeThrough: false, how: 'cache unknown (no --cache, no flush or FUA in its trace)' };
    },
  };
}

/** The stages' key for an unnamed layer is "layer"; the report's is "". */
export function reportName(stageName: string): string {
  return stageName === 'layer' ? '' : stageName;
}

/** How messages name a layer: its name, or "the traced stream" when unnamed. */
export function shownName(stageName: string): string {
  return stageName === 'layer' ? 'the traced stream' : stageName;
}

/**
 * For each fsync/fdatasync: the same thread's sync_file_range hints and plain O_DIRECT writes on the
 * same file (fd, and path when known) since its previous fsync/fdatasync of it — writes it covers.
 */
export function coveredEarlier(calls: SyncCall[]): Map<SyncCall, SyncCall[]> {
  const out = new Map<SyncCall, SyncCall[]>();
  const byKey = new Map<string, SyncCall[]>();
  for (const c of calls) {
    if (c.fd < 0 || !(c.op === 'fsync' || c.op === 'fdatasync' || c.op === 'sync_file_range' || c.op === 'direct-write')) continue;
    const k = `${c.pid}\0${c.fd}\0${c.path}`;
    let l = byKey.get(k);
    if (!l) byKey.set(k, (l = []));
    l.push(c);
  }
  for (const l of byKey.values()) {
    l.sort((a, b) => a.begin - b.begin);
    let pending: SyncCall[] = [];
    for (const c of l) {
      if (c.op === 'sync_file_range' || c.op === 'direct-write') {
        if (c.ret >= 0 && pending.length < 4096) pending.push(c);
      } else if (c.ret >= 0) {
        if (pending.length > 0) out.set(c, pending);
        pending = [];
      }
    }
  }
  return out;
}

/**
 * The lower end of the application's alignment as the report's clock reads it (src/clock/reference.ts):
 * the level "layer:maj,min" of the device its threads wrote to when the correlator made one, else the layer.
 */
function alignmentLower(report: Report, below: LayerData): string {
  const levels = (report.correlation?.levels ?? []) as Array<{ layer?: unknown; device?: unknown }>;
  let best: { dev: number; n: number } | undefined;
  for (const t of below.devices.values()) if (!best || t.qTime.n > best.n) best = { dev: t.dev, n: t.qTime.n };
  const dev = best ? formatDev(best.dev) : '';
  const lv = levels.find((l) => String(l.layer) === below.name && String(l.device) === dev);
  return lv ? `${below.name}:${dev}` : shownName(below.name);
}
