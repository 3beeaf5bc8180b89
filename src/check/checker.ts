/**
 * The durability and ordering checker of one layer: routes the layer's
 * normalized events to one DeviceModel per device, then — once the cache
 * mode of each device is resolved (declared, inferred, unknown) — lets every
 * rule emit its findings. `createChecker` is a factory: one per layer per
 * analysis, no shared state.
 */
import { deviceNamesOf, type AnalysisEnv, type EventAnalyzer } from '../model/analysis.js';
import { Act, type BlockEvent } from '../model/event.js';
import { formatDev, type DevId } from '../model/device.js';
import { declaredFor, looksLikeDiskName, namesOf, resolveCache, type CacheShownBelow } from './cache.js';
import { DeviceModel } from './device-model.js';
import { ownTrackers } from '../track/lifecycle-pair.js';
import { mergeRanges } from './volatile.js';
import { compareTimes } from '../model/report.js';
import type { AtRisk, CacheDeclaration, CheckOptions, CheckResult, DeviceCheckSummary, Finding, RuleInfo } from './types.js';
import { plural, type FinishContext, type RuleFactory } from './rules/rule.js';
import { flushNeverIssued } from './rules/flush-never-issued.js';
import { flushFlagsStripped } from './rules/flush-flags-stripped.js';
import { barrierNotDrained } from './rules/barrier-not-drained.js';
import { overlappingWritesInFlight } from './rules/overlapping-writes-in-flight.js';
import { ioError } from './rules/io-error.js';
import { flushFailed } from './rules/flush-failed.js';
import { completionWithoutIssue, cpuClockOff, inFlightAtEnd, unflushedAtEnd } from './rules/end-state.js';
import { lostEventFindings } from './rules/lost-events.js';
import { DEVICE_RULE_INFOS } from './rules/catalogue.js';

/** Every per-device rule, in report order. */
export const DEVICE_RULES: readonly RuleFactory[] = [
  flushNeverIssued,
  flushFlagsStripped,
  flushFailed,
  ioError,
  barrierNotDrained,
  overlappingWritesInFlight,
  unflushedAtEnd,
  inFlightAtEnd,
  completionWithoutIssue,
  cpuClockOff,
];

/** The single-layer rules' catalogue entries (the whole catalogue, cross-layer included: rules/catalogue.ts). */
export const RULES: readonly RuleInfo[] = DEVICE_RULE_INFOS;

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Sort: lost events first (they qualify everything), then errors, warnings, infos, each by time. */
export function sortFindings(f: Finding[]): Finding[] {
  return f.sort((a, b) => {
    const la = a.rule === 'lost-events' ? 0 : 1;
    const lb = b.rule === 'lost-events' ? 0 : 1;
    return la - lb || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || compareTimes(a, b) || a.device.localeCompare(b.device);
  });
}

interface Snapshot {
  time: number;
  afterEnd: boolean;
  beforeStart: boolean;
  writes: number;
  bytes: number;
  oldest: number | undefined;
  ranges: AtRisk['ranges'];
  approximate: boolean;
  evidence: AtRisk['evidence'];
}

function snapshot(m: DeviceModel, atNs: number, afterEnd: boolean): Snapshot {
  const pending = m.volatile.pending();
  const { ranges, approximate } = mergeRanges(pending);
  const evidence = m.volatile.firstAndLast();
  return {
    // before the device's first event (its trace began later, as a lower layer's may on the report's clock)
    time: atNs / 1e9, afterEnd, beforeStart: m.firstTime < 0 || atNs < m.firstTime, writes: m.volatile.writes, bytes: m.volatile.bytes, oldest: m.volatile.oldestPending(),
    ranges, approximate, evidence,
  };
}

/** report.skipped counter: requests the checker dropped because more than maxQueued were in flight. */
export const CHECK_DROPPED_REASON = 'check: oldest requests dropped (too many in flight)';

export function createChecker(env: AnalysisEnv, opts: CheckOptions = {}): EventAnalyzer<CheckResult> {
  const layer = opts.layer ?? '';
  const decls: readonly CacheDeclaration[] = opts.cache ?? [];
  // --at: one time for every source (its own clock), or converted per source (atBySource, the report's clock)
  const atNsOf = (source: number): number | undefined => {
    if (opts.atBySource) {
      const s = opts.atBySource[env.sources[source]?.name ?? ''];
      return s !== undefined ? s * 1e9 : undefined;
    }
    return opts.at !== undefined ? opts.at * 1e9 : undefined;
  };
  const atNsOfModel = new Map<DevId, number>();
  const devices = new Map<DevId, DeviceModel>();
  const snaps = new Map<DevId, Snapshot>();
  const sourcesOfDev = new Map<DevId, Set<number>>();
  const devsOfSource = new Map<number, Set<DevId>>();
  // this layer's request trackers are the checker's: a later stage (correlate) may subscribe to them
  const trackers = ownTrackers(env, layer);
  let cur: DeviceModel | undefined;
  let curDev = -1;
  let curSource = -1;
  // the last event when it was a remap (A): its device's model, the device and the sector it named
  let remapModel: DeviceModel | undefined;
  let remapFrom = -1;
  let remapSector = -1;

  const model = (dev: DevId, source: number): DeviceModel => {
    let m = devices.get(dev);
    if (!m) {
      m = new DeviceModel(env, dev, layer, DEVICE_RULES, undefined, trackers.second?.(dev));
      const atNs = atNsOf(source);
      if (atNs !== undefined) {
        atNsOfModel.set(dev, atNs);
        m.atNs = atNs;
        m.onAt = (x) => snaps.set(x.dev, snapshot(x, atNs, false));
      }
      devices.set(dev, m);
    }
    return m;
  };

  const seen = (dev: DevId, source: number): void => {
    let s = sourcesOfDev.get(dev);
    if (!s) sourcesOfDev.set(dev, (s = new Set()));
    s.add(source);
    let d = devsOfSource.get(source);
    if (!d) devsOfSource.set(source, (d = new Set()));
    d.add(dev);
  };

  return {
    declareDevice(dev: DevId, source: number): void {
      model(dev, source);
      seen(dev, source);
    },
    event(e: BlockEvent): void {
      if (e.dev !== curDev || e.source !== curSource) {
        cur = model(e.dev, e.source);
        curDev = e.dev;
        curSource = e.source;
        seen(e.dev, e.source);
      }
      // A partition traced on a kernel before 5.12 (blk_partition_remap → trace_block_bio_remap(…, part_devt(p),
      // …) with bio_dev() already the disk's; blktrace records every event under the traced device, bt->dev,
      // and blkparse prints an A under its device_to, blkparse_fmt.c process_default): `8,0 A WSM 5864096 + 96
      // <- (8,3) 2536096` then `8,3 Q WSM 5864096 + 96`, the partition's events at the disk's sectors. The disk
      // number names the same requests, not a device below the partition.
      if (remapModel) {
        if (e.act === Act.Queue && e.dev === remapFrom && e.sector === remapSector && e.dev !== remapModel.dev) {
          remapModel.partitionRemaps++;
          remapModel.partitionOf = e.dev;
        }
        remapModel = undefined;
      }
      if (e.act === Act.Remap) {
        remapModel = cur;
        remapFrom = e.auxDev;
        remapSector = e.sector;
      }
      cur!.event(e);
    },

    finish(): CheckResult {
      const findings: Finding[] = lostEventFindings(env, layer);
      const summaries: DeviceCheckSummary[] = [];
      const at: AtRisk[] = [];
      const used = new Set<CacheDeclaration>();
      const ordered = [...devices.values()].sort((a, b) => a.dev - b.dev);
      for (const m of ordered) {
        const names = namesOf(env, m.dev, sourcesOfDev.get(m.dev) ?? [], (s) => devsOfSource.get(s)?.size ?? 0);
        const decl = declaredFor(decls, m.dev, names);
        if (decl) used.add(decl);
        const below = (env.options['cacheFromBelow'] as Record<string, Record<string, CacheShownBelow>> | undefined)?.[layer]?.[m.devText];
        const cache = resolveCache(decl, m.flushEvidence, below);
        const given = deviceNamesOf(env)[m.devText];
        const name = given !== undefined ? names[0] : names.find(looksLikeDiskName);
        const ctx: FinishContext = {
          cache,
          label: name ? `${name} (${m.devText})` : m.devText,
          emit: (f) => findings.push(f),
        };
        const atNs = atNsOfModel.get(m.dev);
        if (atNs !== undefined && !snaps.has(m.dev)) snaps.set(m.dev, snapshot(m, atNs, atNs > m.lastTime));
        for (const rule of m.rules) rule.finish?.(m, ctx);
        if (m.evictedQueued > 0) {
          env.diag.addMany(CHECK_DROPPED_REASON, 'info', m.evictedQueued, {
            source: 'check', locKind: 'line', loc: 0, text: `device ${m.devText}: ${m.evictedQueued} (limit ${m.maxQueued}, --max-inflight)`,
          });
        }
        const wt = cache.mode === 'writethrough';
        const v = m.volatile;
        const oldest = v.oldestPending();
        const openNs = oldest !== undefined ? m.lastTime - oldest : 0;
        const s: DeviceCheckSummary = {
          device: m.devText,
          layer,
          cache: cache.mode,
          cacheSource: cache.source,
          ...(cache.fromBelow ? { cacheHow: `shown by the layer below: ${cache.fromBelow}` } : {}),
          writesCompleted: m.writesCompleted,
          flushesCompleted: m.flushesCompleted,
          flushesFailed: m.flushesFailed,
          fuaWrites: m.fuaWrites,
          maxVolatileBytes: wt ? 0 : v.maxBytes,
          maxVolatileSeconds: wt ? 0 : Math.max(v.maxRetiredNs, openNs) / 1e9,
          flushEpochs: v.epochsRetired,
          maxSyncMetaPerEpoch: Math.max(v.maxSyncMetaPerEpoch, v.syncMetaPending),
          volatileAtEndWrites: wt ? 0 : v.writes,
          volatileAtEndBytes: wt ? 0 : v.bytes,
          maxLevelsWithoutFlush: m.maxLevelsWithoutFlush,
          facts: m.facts.facts(env, m.dev),
        };
        if (name) s.name = name;
        if (decl) s.cacheDeclared = decl.device;
        summaries.push(s);
        const snap = snaps.get(m.dev);
        if (snap) {
          const a: AtRisk = {
            layer, device: m.devText, time: snap.time, afterEnd: snap.afterEnd, ...(snap.beforeStart ? { beforeStart: true } : {}), cache: cache.mode,
            writes: wt ? 0 : snap.writes, bytes: wt ? 0 : snap.bytes,
            oldest: wt || snap.oldest === undefined ? null : snap.oldest / 1e9,
            ranges: wt ? [] : snap.ranges, approximate: !wt && snap.approximate, evidence: wt ? [] : snap.evidence,
          };
          if (name) a.name = name;
          at.push(a);
        }
      }
      const result: CheckResult = {
        layer,
        findings: sortFindings(findings),
        devices: summaries,
        unmatchedCache: decls.filter((d) => !used.has(d)),
      };
      if (opts.at !== undefined || opts.atBySource) result.at = at;
      for (const m of ordered) {
        if (m.remapsFrom.size === 0) continue;
        if (partitionOnly(m)) {
          // no stack to follow: say why the disk's number shows up
          const from = formatDev(m.partitionOf);
          const text = `${m.devText} appears only in remap events from ${from} (${m.partitionRemaps} of ${m.remapEvents} followed at once by ${from}'s Q at the sector the remap gave): a partition traced on a kernel before 5.12, whose events carry the disk's sectors while blkparse prints the remap under the disk's number, so one device, not a stack`;
          for (const s of sourcesOfDev.get(m.dev) ?? []) {
            const lim = env.sources[s]?.limitations;
            if (lim && !lim.includes(text)) lim.push(text);
          }
          continue;
        }
        (result.remapsFrom ??= {})[m.devText] = [...m.remapsFrom].map(formatDev);
      }
      noteUnlinkedStacking(env, ordered, sourcesOfDev, devsOfSource);
      return result;
    },
  };
}

/**
 * A device that takes bios only (no request stage: a stacking driver) and acknowledged flushes, traced in one
 * source beside other devices with no remap event between it and them: DRBD and bcache never emit one (they call no
 * trace_block_bio_remap), dm and md do only when block_bio_remap is traced. Where its bios went is not named, so its
 * flushes are not followed below in this text: a limitation line says so and how to have them followed (each device
 * as its own layer, linked by the map its data shows: fixtures/host/drbd).
 */
function noteUnlinkedStacking(
  env: AnalysisEnv, models: readonly DeviceModel[], sourcesOfDev: ReadonlyMap<DevId, Set<number>>, devsOfSource: ReadonlyMap<number, Set<DevId>>,
): void {
  const linked = new Set<number>();
  for (const m of models) {
    for (const f of m.remapsFrom) {
      linked.add(m.dev);
      linked.add(f);
    }
  }
  for (const m of models) {
    // (the tracker's own test: it counts a bio-based device's PREFLUSH bios as its flushes on the same condition)
    if (linked.has(m.dev) || m.facts.tracker.hasRequestStage || m.flushesCompleted === 0) continue;
    for (const s of sourcesOfDev.get(m.dev) ?? []) {
      const others = [...(devsOfSource.get(s) ?? [])].filter((d) => d !== m.dev);
      if (others.length === 0) continue;
      const text = `${m.devText} takes bios only (no request stage: a stacking driver such as DRBD, bcache, dm or md) and no remap event names the device below it (DRBD and bcache emit none; dm and md only with block_bio_remap traced): the ${plural(m.flushesCompleted, 'flush', 'flushes')} it acknowledged ${m.flushesCompleted === 1 ? 'is' : 'are'} not followed to ${others.map(formatDev).join(', ')} here; give each device as its own layer (top=… below=…) to have them followed`;
      const lim = env.sources[s]?.limitations;
      if (lim && !lim.includes(text)) lim.push(text);
    }
  }
}

/**
 * A device seen only in remap events, every one of them followed by the Q of the device it names at the sector
 * it gave (checker event()): the whole disk of a partition traced before 5.12, not a lower layer. Linked as one,
 * every promise of the partition was "undecided below" with an action mask for reason.
 */
function partitionOnly(m: DeviceModel): boolean {
  // most of them (an excerpt may cut the Q after its last A)
  return m.ownEvents === 0 && m.partitionRemaps * 2 > m.remapEvents && m.remapsFrom.size === 1 && m.remapsFrom.has(m.partitionOf);
}
