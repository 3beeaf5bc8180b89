/**
 * Verdicts → findings. Violations are grouped into one incident per process,
 * operation, file group and device ("postgres pid 812: 203 fdatasync calls on
 * pg_wal returned without a flush reaching loop1 (7,1)"), with the first
 * window and the worst one (most own bytes at risk) as evidence: the call's
 * line in the application trace and its first write in the block trace.
 * Undecided calls give one warning per reason. Severity: error when the
 * device's cache is known volatile (declared, inferred from flushes in its
 * trace, or a loop device); warning when it is unknown (then nothing is proven).
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { EvidenceRef } from '../model/event.js';
import type { Report } from '../model/report.js';
import { formatDev } from '../model/device.js';
import { formatBytes } from '../check/rules/rule.js';
import { opText, type SyncCall } from './call.js';
import type { AppAlignment } from './align.js';
import type { Verdict } from './judge.js';
import type { LayerData } from './types.js';

export interface CacheView {
  label(dev: number): string;
  mountDev(path: string): number | undefined;
  of(dev: number): { volatile: boolean | undefined; writeThrough: boolean; how: string };
}

export interface IncidentInput {
  layer: string;
  shown: string;
  belowShown: string;
  below: LayerData;
  verdicts: Array<[SyncCall, Verdict]>;
  alignment: AppAlignment;
  appBase: number;
  belowBase: number;
  cache: CacheView;
}

type Violated = Extract<Verdict, { kind: 'violated' }>;

/** "pg_wal" for /…/pgdata/pg_wal/000000010000000000000002; "fd 26" without a path. */
export function fileGroup(c: SyncCall): string {
  if (c.op === 'sync') return 'every filesystem';
  if (c.path) {
    const parts = c.path.split('/').filter((p) => p !== '');
    return parts.length >= 2 ? parts[parts.length - 2]! : parts[0] ?? c.path;
  }
  return c.fd >= 0 ? `fd ${c.fd}` : 'an unknown file';
}

export function reportIncidents(report: Report, env: AnalysisEnv, x: IncidentInput): void {
  const groups = new Map<string, Array<[SyncCall, Violated]>>();
  const undecided = new Map<string, SyncCall[]>();
  for (const [c, v] of x.verdicts) {
    if (v.kind === 'violated') {
      const k = `${c.pid}\0${c.op}\0${fileGroup(c)}\0${v.dev}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push([c, v]);
    } else if (v.kind === 'undecided') {
      let u = undecided.get(v.reason);
      if (!u) undecided.set(v.reason, (u = []));
      u.push(c);
    }
  }
  for (const g of groups.values()) report.findings.push(incident(env, x, g));
  for (const [reason, calls] of undecided) {
    const c0 = calls[0]!;
    report.findings.push({
      rule: 'sync-call-not-durable', severity: 'warning', layer: x.layer, device: '', time: appTime(x, c0),
      message: `${calls.length} sync call(s) at ${x.shown} could not be decided against ${x.belowShown}: ${reason}.`,
      evidence: [callEvidence(env, x, c0, '', 'first undecided call')],
      details: { undecided: calls.length, reason, cause: reason },
    });
  }
}

function incident(env: AnalysisEnv, x: IncidentInput, g: Array<[SyncCall, Violated]>): Report['findings'][number] {
  const [c0, v0] = g[0]!;
  let worst = g[0]!;
  let writes = 0;
  let bytes = 0;
  const paths = new Set<string>();
  for (const e of g) {
    writes += e[1].writes;
    bytes += e[1].bytes;
    if (e[1].bytes > worst[1].bytes) worst = e;
    if (e[0].path && paths.size < 5) paths.add(e[0].path);
  }
  const dev = v0.dev;
  const cache = x.cache.of(dev);
  const label = x.cache.label(dev);
  const comm = c0.comm || x.below.comms.get(c0.pid) || 'process';
  const n = g.length;
  const evidence: EvidenceRef[] = [
    callEvidence(env, x, c0, formatDev(dev), `first: returned ${fmtDur(c0)} after entry; ${v0.writes} write(s) its thread queued were acknowledged, no flush completed on ${label} before it returned`),
    writeEvidence(env, x, dev, v0.first, 'first write this call queued (not durable at its return)'),
  ];
  if (worst !== g[0]) {
    evidence.push(callEvidence(env, x, worst[0], formatDev(dev), `worst: ${formatBytes(worst[1].bytes)} in ${worst[1].writes} write(s) not durable at return`));
    evidence.push(writeEvidence(env, x, dev, worst[1].first, 'first write of the worst call'));
  }
  return {
    rule: 'sync-call-not-durable',
    severity: cache.volatile ? 'error' : 'warning',
    layer: x.layer,
    device: formatDev(dev),
    time: appTime(x, c0),
    message:
      `${comm} pid ${c0.pid}: ${n} ${opText(c0.op)} call(s) on ${fileGroup(c0)} returned without a flush reaching ${label}: ` +
      `${writes} write(s) (${formatBytes(bytes)}) their thread queued were acknowledged but not durable when the call returned ` +
      `(no flush completed in the window, no FUA; ${cache.how}).` +
      (cache.volatile ? '' : ' Undecided: declare the cache (--cache DEV=writeback) to make this a verdict.'),
    evidence,
    details: {
      // cause: one incident per process, operation and file group (src/incidents groups findings by it)
      cause: `${comm} pid ${c0.pid} ${c0.op} on ${fileGroup(c0)}`,
      pid: c0.pid, comm, op: c0.op, fileGroup: fileGroup(c0), calls: n, writes, notDurable: writes, bytes, paths: [...paths], cache: cache.how,
      alignment: x.alignment.method,
    },
  };
}

function appTime(x: IncidentInput, c: SyncCall): number {
  return c.begin / 1e9 + x.appBase;
}

function fmtDur(c: SyncCall): string {
  return `${((c.end - c.begin) / 1e3).toFixed(0)} µs`;
}

function callEvidence(env: AnalysisEnv, x: IncidentInput, c: SyncCall, device: string, note: string): EvidenceRef {
  const src = env.sources[c.source];
  const ref: EvidenceRef = {
    source: src?.name ?? `#${c.source}`, locKind: 'line', loc: c.loc, time: appTime(x, c), device,
    action: c.syscall, rwbs: c.op === 'dsync-write' || c.op === 'sync-write' ? 'W' : '', sector: -1, bytes: Math.max(0, c.bytes), note,
  };
  if (c.comm) ref.comm = c.comm;
  if (c.path) ref.note = `${note} — ${c.path}`;
  return ref;
}

function writeEvidence(env: AnalysisEnv, x: IncidentInput, dev: number, i: number, note: string): EvidenceRef {
  const t = x.below.devices.get(dev)!;
  const src = env.sources[t.qSrc.at(i)];
  const ref: EvidenceRef = {
    source: src?.name ?? '', locKind: src?.locKind ?? 'line', loc: t.qLoc.at(i), time: t.qTime.at(i) / 1e9 + x.belowBase, device: formatDev(dev),
    action: 'Q', rwbs: t.qFua.at(i) ? 'WF' : 'W', sector: t.qSector.at(i), bytes: t.qBytes.at(i), note,
  };
  const comm = x.below.comms.get(t.qPid.at(i));
  if (comm) ref.comm = comm;
  return ref;
}
