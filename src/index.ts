/**
 * blkaudit library API: `analyze(inputs, options) → Report`.
 * Never prints, never exits: errors that make an input unusable are thrown as
 * InputError; everything else is counted in the report.
 */
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { Diagnostics } from './model/diagnostics.js';
import type { BlockEvent, EventSink } from './model/event.js';
import { deviceNamesOf, type AnalysisEnv, type EventAnalyzer, type SourceInfo } from './model/analysis.js';
import { formatDev } from './model/device.js';
import type { ClockDomain } from './model/time.js';
import { SCHEMA_VERSION, type InputReport, type Report } from './model/report.js';
import { chooseFormat, InputError, openByteStream, parseInputArg, peekStream, type InputSpec } from './io/open.js';
import { pumpFormat, readSetInWorker, useSetWorker } from './io/worker-pump.js';
import type { ParseContext, ParseOptions } from './formats/types.js';
import type { QemuSink } from './qemu/event.js';
import { loadStages } from './stages.js';
import type { Stage, StageSelection } from './model/stage.js';
import type { AppSink } from './app/call.js';
import { resolveBlktraceSet } from './io/blktrace-files.js';
import { statAsync } from './io/fs-async.js';
import { entryByName } from './formats/catalog.js';
import type { FormatSpec } from './formats/types.js';
import { VERSION } from './version.js';
import { placeOnReferenceClock } from './clock/place.js';
import { groupIncidents } from './incidents/group.js';
import { DeviceEventCounter, FILE_NAMES_OPTION, namesFromFiles, namesFromSummary, type NamesByDevice } from './io/device-names.js';
import type { BlkparseSummary } from './formats/blkparse/summary.js';
import type { BlktraceFileInfo } from './formats/blktrace/set-reader.js';
import { ClockGuard } from './track/clock-guard.js';
import { SILENT_DEVICES, type SilentDevice } from './formats/blkparse/parser.js';

export { InputError } from './io/open.js';
export type { Report, Finding, DeviceReport, InputReport, LayerReport, Incident, ReferenceClockSection } from './model/report.js';
export { groupIncidents } from './incidents/group.js';
export { placeOnReferenceClock } from './clock/place.js';
export type { BlockEvent } from './model/event.js';
export { VERSION } from './version.js';

export interface AnalyzeOptions extends ParseOptions, StageSelection {
  /** Force a format by name instead of detecting it. */
  format?: string;
  /** Stream used for "-" (default process.stdin). */
  stdin?: Readable;
  /** Called for every normalized event, before the stages (the `events` command). */
  onEvent?: (e: BlockEvent, source: SourceInfo) => void;
  /**
   * Parse in a worker thread (src/io/worker-pump.ts): true = yes (for the formats that support it),
   * false = never, undefined = for a large file or per-CPU set when two CPUs are available
   * (BLKAUDIT_PARSE_WORKER=0|1 overrides; =1 also for stdin). Same results either way.
   */
  parseWorker?: boolean;
  /**
   * Called after each input chunk with the bytes read so far; may await (output backpressure, progress).
   * If it throws, reading stops (parse workers included) and analyze() rejects with that error.
   */
  afterChunk?: (bytesRead: number, source: string) => Promise<void> | void;
  /** Receives a cross-layer stage's whole result (e.g. the correlator's built stack, for `follow`). */
  onStageResult?: (stage: string, result: unknown, env: AnalysisEnv) => void;
  /** Requests tracked in flight per device before the oldest are dropped and counted (AnalysisEnv.options['maxInflight']). */
  maxInflight?: number;
}

interface LayerRun {
  name: string;
  sinks: Array<{ stage: Stage; analyzer: EventAnalyzer<unknown> }>;
  devices: Set<number>;
  inputs: string[];
}

/** Analyze one or more inputs ("path", "-", or "layer=path"). */
export async function analyze(inputs: Array<string | InputSpec>, options: AnalyzeOptions = {}): Promise<Report> {
  const diag = new Diagnostics();
  const sources: SourceInfo[] = [];
  const env: AnalysisEnv = { sources, diag, options: { ...(options.stageOptions ?? {}) } };
  if (options.maxInflight) env.options['maxInflight'] = options.maxInflight;
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    generator: { name: 'blkaudit', version: VERSION },
    inputs: [],
    layers: [],
    devices: [],
    findings: [],
    alignment: [],
    skipped: {},
    diagnostics: [],
    attachments: {},
  };
  const specs = inputs.map((i) => (typeof i === 'string' ? parseInputArg(i) : i));
  if (specs.length === 0) throw new InputError('no input given', '');
  const stages = (await loadStages(options.stages)).filter((s) => options.stages !== undefined || s.enabled(options));
  const layers = new Map<string, LayerRun>();
  const guard = new ClockGuard(env);
  for (const spec of specs) {
    let layer = layers.get(spec.layer);
    if (!layer) {
      layer = { name: spec.layer, sinks: [], devices: new Set(), inputs: [] };
      for (const stage of stages) layer.sinks.push({ stage, analyzer: stage.create(env, spec.layer, options) });
      layers.set(spec.layer, layer);
    }
    layer.inputs.push(spec.path);
    report.inputs.push(await readInput(spec, layer, env, options, report, guard));
  }
  for (const stage of stages) stage.prepare?.(env);
  for (const layer of layers.values()) {
    report.layers.push({ name: layer.name, inputs: layer.inputs, devices: [...layer.devices].map(formatDev) });
    for (const { stage, analyzer } of layer.sinks) stage.contribute(report, layer.name, analyzer.finish(), env);
  }
  for (const stage of stages) {
    const result = stage.finishAll?.(report, env);
    if (result !== undefined) options.onStageResult?.(stage.name, result, env);
  }
  // every time on one reference clock, then findings grouped into incidents (both over the finished Report)
  placeOnReferenceClock(report);
  groupIncidents(report);
  report.diagnostics = diag.list();
  report.skipped = diag.toRecord();
  return report;
}

async function readInput(
  spec: InputSpec,
  layer: LayerRun,
  env: AnalysisEnv,
  options: AnalyzeOptions,
  report: Report,
  guard: ClockGuard,
): Promise<InputReport> {
  // A per-CPU blktrace set (directory, base name or member file) is read as
  // blkparse -i reads it; anything else is one byte stream, detected by content.
  const set = options.format && options.format !== 'blktrace' ? undefined : await resolveBlktraceSet(spec.path);
  let format: FormatSpec;
  let detectedBy: string;
  let gzip = false;
  let stream: AsyncIterable<Buffer> | undefined;
  let closeStream: (() => void) | undefined;
  let regularFile: string | undefined;
  let headBytes = 0;
  if (set && set.files.length === 0) {
    const names = set.ignored.map((f) => basename(f)).join(', ');
    throw new InputError(
      `${spec.path}: blktrace per-CPU file(s) ${names} present but CPU 0 is missing; like blkparse, CPUs are read from 0 up to the first missing number, so nothing could be read`,
      spec.path,
    );
  }
  if (set && set.files.length > 0) {
    format = await entryByName('blktrace')!.load();
    detectedBy = `per-CPU file set ${set.names.join(', ')} (${set.files.length} file(s))`;
  } else {
    const raw = await openByteStream(spec.path, options.stdin);
    const peeked = await peekStream(raw, spec.path);
    const chosen = chooseFormat(peeked.head, spec.path, options.format, options);
    format = await chosen.format.load();
    detectedBy = chosen.detectedBy;
    gzip = peeked.gzip;
    stream = peeked.stream;
    headBytes = peeked.head.length;
    closeStream = () => raw.destroy();
    if (!gzip && spec.path !== '-') regularFile = (await isRegularFile(spec.path)) ? spec.path : undefined;
  }
  const clock: ClockDomain = { name: 'relative', origin: 'as printed by the trace' };
  const source: SourceInfo = {
    index: env.sources.length,
    name: spec.path,
    layer: spec.layer,
    format: format.name,
    detectedBy,
    locKind: format.kind === 'binary' ? 'offset' : 'line',
    clock,
    limitations: [],
  };
  if (set && set.files.length > 0) source.files = set.files;
  env.sources.push(source);
  const attachments: Record<string, unknown> = {};
  report.attachments[spec.path] = attachments;
  let events = 0;
  const sinks = layer.sinks.map((s) => s.analyzer);
  const onEvent = options.onEvent;
  const devices = layer.devices;
  // the devices of this source: which clock a device's times are in (src/clock)
  const sourceDevices = new Set<number>();
  let lastDev = -1;
  // the first event's time (ns): where the source starts on the report's reference clock (src/clock);
  // read once: a per-event minimum measured 3–7 % of check's CPU time (2 M events, one thread, loaded machine)
  let tMin = Infinity;
  // events per device of this input, for tying blkparse's summary names to devices (io/device-names.ts):
  // counted from `events` where the device changes, so nothing is added per event
  const perDevice = new DeviceEventCounter();
  let runStart = 0;
  const countsSoFar = () => {
    perDevice.add(lastDev, events - runStart);
    runStart = events;
    return perDevice.counts;
  };
  const sink: EventSink = {
    event(e) {
      if (events++ === 0) tMin = e.time;
      if (e.dev !== lastDev) {
        perDevice.add(lastDev, events - 1 - runStart);
        runStart = events - 1;
        devices.add(e.dev);
        sourceDevices.add(e.dev);
        lastDev = e.dev;
      }
      if (onEvent) onEvent(e, source);
      guard.event(e);
      for (let i = 0; i < sinks.length; i++) sinks[i]!.event(e);
    },
  };
  const before = countSkipped(env);
  const qemuSinks = layer.sinks.map((s) => s.analyzer as Partial<QemuSink>).filter((s) => typeof s.qemu === 'function');
  const ctx: ParseContext = {
    sourceIndex: source.index,
    sourceName: spec.path,
    sink,
    diag: env.diag,
    options,
    setClock: (d) => {
      source.clock = d;
    },
    attach: (kind, data) => {
      attachments[kind] = data;
      if (kind === SILENT_DEVICES && Array.isArray(data)) {
        // devices traced and silent: every stage lists them, with their names
        const names = deviceNamesOf(env);
        for (const d of data as SilentDevice[]) {
          devices.add(d.dev);
          if (d.name !== d.devText) names[d.devText] = d.name;
          for (const s of sinks) s.declareDevice?.(d.dev, source.index);
        }
      }
      if (kind === 'device-names' && Array.isArray(data)) {
        // names a format knows for its devices (biosnoop disks, CSV hosts): the checker's --cache DEV=… and labels use them
        const names = deviceNamesOf(env);
        for (const d of data as Array<{ devText?: string; name?: string }>) if (d.devText && d.name) names[d.devText] = d.name;
      }
      // names file names give a device (blkparse's -i argument, per-CPU files): for --cache NAME
      const book = (env.options[FILE_NAMES_OPTION] ??= {}) as NamesByDevice;
      if (kind === 'blkparse-summary') namesFromSummary(data as BlkparseSummary, countsSoFar(), book);
      if (kind === 'blktrace-files' && Array.isArray(data)) namesFromFiles(data as BlktraceFileInfo[], book);
    },
    limitation: (text) => {
      if (!source.limitations.includes(text)) source.limitations.push(text);
    },
  };
  if (format.produces === 'qemu') {
    // QEMU trace events go to the stages that read them (cross-layer correlation)
    ctx.qemuSink = {
      qemu(e) {
        events++;
        if (e.time >= 0 && e.time < tMin) tMin = e.time;
        for (let i = 0; i < qemuSinks.length; i++) qemuSinks[i]!.qemu!(e);
      },
    };
  }
  // Application sync calls (strace, sync-call CSV, syscall tracepoints beside block events) go to the
  // stages that read them (src/app); a format producing only calls counts them as its events.
  const appSinks = layer.sinks.map((s) => s.analyzer as Partial<AppSink>).filter((s) => typeof s.call === 'function');
  if (appSinks.length > 0) {
    const countCalls = format.produces === 'app';
    ctx.appSink = {
      call(c) {
        if (countCalls) {
          events++;
          if (c.begin >= 0 && c.begin < tMin) tMin = c.begin;
        }
        for (let i = 0; i < appSinks.length; i++) appSinks[i]!.call!(c);
      },
    };
  }
  const afterChunk = options.afterChunk;
  const progress = afterChunk ? (n: number) => afterChunk(n, spec.path) : undefined;
  let bytes = 0;
  if (stream) {
    bytes = await pumpFormat(stream, format, ctx, {
      path: spec.path,
      headBytes,
      parseWorker: options.parseWorker,
      afterChunk: progress,
      regularFile,
      closeStream,
    });
  } else {
    for (const f of set!.ignored) {
      env.diag.add('blktrace: per-CPU file after a missing CPU number (not read, as blkparse)', 'data-loss', {
        source: spec.path, locKind: 'offset', loc: 0, text: f,
      });
    }
    const afterSetChunk = async (n: number) => {
      bytes = n;
      if (progress) await progress(n);
    };
    if (await useSetWorker(set!.files, options.parseWorker)) await readSetInWorker(set!.files, ctx, afterSetChunk);
    else await (await import('./formats/blktrace/set-reader.js')).readBlktraceSet(set!.files, ctx, { afterChunk: afterSetChunk });
  }
  if (events === 0 && countSkipped(env) - before > 0) {
    // every line was unreadable: not a silent device (that is a trace with no event line and nothing
    // skipped, e.g. blkparse's summary with "0 entries"), but an input nothing could be read from
    const n = countSkipped(env) - before;
    const first = env.diag.list().find((c) => c.severity !== 'info' && c.examples.some((x) => x.source === spec.path));
    const ex = first?.examples.find((x) => x.source === spec.path);
    throw new InputError(
      `${spec.path}: no event could be read (${n} unreadable ${format.kind === 'binary' ? 'record' : 'line'}${n === 1 ? '' : 's'} as ${format.name}` +
        (ex ? `; first: ${first!.reason} at ${ex.locKind} ${ex.loc}` : '') + ')',
      spec.path,
    );
  }
  if (options.strict) {
    const skippedHere = countSkipped(env) - before;
    if (skippedHere > 0) {
      const first = env.diag.list().find((c) => c.examples.some((x) => x.source === spec.path));
      const ex = first?.examples.find((x) => x.source === spec.path);
      throw new InputError(
        `--strict: ${skippedHere} record(s) of ${spec.path} could not be used` +
          (ex ? `; first: ${first!.reason} at ${ex.locKind} ${ex.loc}` : ''),
        spec.path,
      );
    }
  }
  const input: InputReport = {
    path: spec.path,
    layer: spec.layer,
    format: format.name,
    detectedBy,
    bytes,
    events,
    gzip,
    clock: source.clock.name,
    limitations: source.limitations,
  };
  if (sourceDevices.size > 0) input.devices = [...sourceDevices].map(formatDev);
  if (source.clock.baseSeconds) input.clockBase = source.clock.baseSeconds;
  if (source.clock.orderOnly) input.orderOnly = true;
  else if (tMin < Infinity) input.firstTime = tMin / 1e9;
  return input;
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await statAsync(path)).isFile();
  } catch {
    return false;
  }
}

/** Records that could not be used (not informational counters). */
function countSkipped(env: AnalysisEnv): number {
  let n = 0;
  for (const c of env.diag.list()) if (c.severity !== 'info') n += c.count;
  return n;
}
