/**
 * Reading one opened input (src/read/open.ts) into its layer's stage sinks.
 * Several inputs are read at the same time (src/read/schedule.ts), so what a
 * reading leaves behind that another input could see is kept per input and
 * handed over in argument order afterwards (src/index.ts), which makes the
 * report the one a reading of the inputs one after another gives:
 *  - its counters and their examples (a Diagnostics of its own; the stages'
 *    env.diag is routed to it while one of its events is handled, see
 *    RoutedDiagnostics);
 *  - the CPUs whose clock jumped (a ClockGuard of its own: its state is per
 *    source anyway);
 *  - the names it gives devices (deviceNames, FILE_NAMES_OPTION), which later
 *    names overwrite or follow.
 * A layer's inputs are still read one after another: its sinks see its events
 * in argument order.
 */
import { Diagnostics } from '../model/diagnostics.js';
import type { EventSink } from '../model/event.js';
import { deviceNamesOf, type AnalysisEnv, type EventAnalyzer } from '../model/analysis.js';
import type { ClockOutlier } from '../model/time.js';
import { formatDev } from '../model/device.js';
import type { InputReport } from '../model/report.js';
import type { Stage } from '../model/stage.js';
import type { ParseContext, ParseOptions } from '../formats/types.js';
import type { QemuSink } from '../qemu/event.js';
import type { AppSink } from '../app/call.js';
import type { BlockEvent } from '../model/event.js';
import type { SourceInfo } from '../model/analysis.js';
import { pumpFormat, readSetInWorker, useSetWorker } from '../io/worker-pump.js';
import { DeviceEventCounter, FILE_NAMES_OPTION, namesFromFiles, namesFromSummary, type NamesByDevice } from '../io/device-names.js';
import type { BlkparseSummary } from '../formats/blkparse/summary.js';
import type { BlktraceFileInfo } from '../formats/blktrace/set-reader.js';
import { ClockGuard } from '../track/clock-guard.js';
import { SILENT_DEVICES, type SilentDevice } from '../formats/blkparse/parser.js';
import { closeInput, fractionRead, type OpenedInput } from './open.js';
import type { InputStop } from './schedule.js';

/** One layer's stage analyzers and what the report says of the layer. */
export interface LayerRun {
  name: string;
  sinks: Array<{ stage: Stage; analyzer: EventAnalyzer<unknown>; blockEvents: boolean }>;
  devices: Set<number>;
  inputs: string[];
}

/**
 * env.diag while inputs are read at once: a count a stage makes while it handles an input's event goes to
 * that input's own Diagnostics (`route`, set by the input's sink before it calls the stages); outside reading
 * (`route` undefined) it is an ordinary Diagnostics, into which the inputs' are merged in argument order.
 */
export class RoutedDiagnostics extends Diagnostics {
  route: Diagnostics | undefined;

  override add(...a: Parameters<Diagnostics['add']>): void {
    if (this.route) this.route.add(...a);
    else super.add(...a);
  }

  override addMany(...a: Parameters<Diagnostics['addMany']>): void {
    if (this.route) this.route.addMany(...a);
    else super.addMany(...a);
  }
}

export interface ReadOptions extends ParseOptions {
  parseWorker?: boolean;
  onEvent?: (e: BlockEvent, source: SourceInfo) => void;
  afterChunk?: (bytesRead: number, source: string) => Promise<void> | void;
  paceInput?: (sourceIndex: number, fractionRead: number) => Promise<void> | void;
  /** Layers read at the same time (the parse workers of a blkparse text are shared among them). */
  inputsAtOnce?: number;
}

/** What one input's reading left, to be handed over in argument order (src/index.ts). */
export interface InputRead {
  input: InputReport;
  /** Its counters, the stages' counts made on its events included. */
  diag: Diagnostics;
  /** The CPUs whose clock jumped in it (src/track/clock-guard.ts). */
  clockOutliers: ClockOutlier[];
  /** Device names it gave, applied to env.options in argument order. */
  names: Array<() => void>;
  events: number;
}

export async function readInput(opened: OpenedInput, layer: LayerRun, env: AnalysisEnv, options: ReadOptions, stop: InputStop): Promise<InputRead> {
  // stopped (another input failed): a read waiting for bytes (stdin) ends when its stream closes
  stop.onStop = () => closeInput(opened);
  try {
    return await readOpened(opened, layer, env, options, stop);
  } finally {
    closeInput(opened);
  }
}

async function readOpened(opened: OpenedInput, layer: LayerRun, env: AnalysisEnv, options: ReadOptions, stop: InputStop): Promise<InputRead> {
  const { spec, format, source, attachments, set } = opened;
  const diag = new Diagnostics();
  const routed = env.diag instanceof RoutedDiagnostics ? env.diag : undefined;
  const guard = new ClockGuard({ ...env, diag });
  const names: Array<() => void> = [];
  let events = 0;
  // the analyzers that read block events (Stage.usesBlockEvents): on every event, so none called for nothing
  const sinks = layer.sinks.filter((s) => s.blockEvents).map((s) => s.analyzer);
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
    return new Map(perDevice.counts);
  };
  const sink: EventSink = {
    event(e) {
      if (routed) routed.route = diag;
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
  const qemuSinks = layer.sinks.map((s) => s.analyzer as Partial<QemuSink>).filter((s) => typeof s.qemu === 'function');
  const ctx: ParseContext = {
    sourceIndex: source.index,
    sourceName: spec.path,
    sink,
    diag,
    options,
    setClock: (d) => {
      source.clock = d;
    },
    attach: (kind, data) => {
      if (routed) routed.route = diag;
      attachments[kind] = data;
      if (kind === SILENT_DEVICES && Array.isArray(data)) {
        // devices traced and silent: every stage lists them, with their names
        for (const d of data as SilentDevice[]) {
          devices.add(d.dev);
          if (d.name !== d.devText) names.push(() => (deviceNamesOf(env)[d.devText] = d.name));
          for (const s of sinks) s.declareDevice?.(d.dev, source.index);
        }
      }
      if (kind === 'device-names' && Array.isArray(data)) {
        // names a format knows for its devices (biosnoop disks, CSV hosts): the checker's --cache DEV=… and labels use them
        names.push(() => {
          const book = deviceNamesOf(env);
          for (const d of data as Array<{ devText?: string; name?: string }>) if (d.devText && d.name) book[d.devText] = d.name;
        });
      }
      // names file names give a device (blkparse's -i argument, per-CPU files): for --cache NAME
      const book = (env.options[FILE_NAMES_OPTION] ??= {}) as NamesByDevice;
      if (kind === 'blkparse-summary') {
        const counts = countsSoFar();
        names.push(() => namesFromSummary(data as BlkparseSummary, counts, book));
      }
      if (kind === 'blktrace-files' && Array.isArray(data)) names.push(() => namesFromFiles(data as BlktraceFileInfo[], book));
    },
    limitation: (text) => {
      if (!source.limitations.includes(text)) source.limitations.push(text);
    },
  };
  if (format.produces === 'qemu') {
    // QEMU trace events go to the stages that read them (cross-layer correlation)
    ctx.qemuSink = {
      qemu(e) {
        if (routed) routed.route = diag;
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
        if (routed) routed.route = diag;
        if (countCalls) {
          events++;
          if (c.begin >= 0 && c.begin < tMin) tMin = c.begin;
        }
        for (let i = 0; i < appSinks.length; i++) appSinks[i]!.call!(c);
      },
    };
  }
  const { afterChunk, paceInput } = options;
  // after each chunk or batch: stop when told (another input failed), then the caller's hooks
  const progress = async (n: number): Promise<void> => {
    stop.check();
    if (afterChunk) await afterChunk(n, spec.path);
    if (paceInput && stop.paced) await stop.race(paceInput(source.index, fractionRead(opened, n)));
  };
  stop.check();
  let bytes = 0;
  if (opened.stream) {
    bytes = await pumpFormat(opened.stream, format, ctx, {
      path: spec.path,
      headBytes: opened.headBytes,
      parseWorker: options.parseWorker,
      afterChunk: progress,
      regularFile: opened.regularFile,
      inputsAtOnce: options.inputsAtOnce,
      closeStream: () => closeInput(opened),
    });
  } else {
    for (const f of set!.ignored) {
      diag.add('blktrace: per-CPU file after a missing CPU number (not read, as blkparse)', 'data-loss', {
        source: spec.path, locKind: 'offset', loc: 0, text: f,
      });
    }
    const afterSetChunk = async (n: number) => {
      bytes = n;
      await progress(n);
    };
    if (await useSetWorker(set!.files, options.parseWorker)) await readSetInWorker(set!.files, ctx, afterSetChunk);
    else await (await import('../formats/blktrace/set-reader.js')).readBlktraceSet(set!.files, ctx, { afterChunk: afterSetChunk });
  }
  stop.check();
  // the whole input is read: said once more, with every byte read
  if (paceInput && stop.paced) await stop.race(paceInput(source.index, 1));
  const input: InputReport = {
    path: spec.path,
    layer: spec.layer,
    format: format.name,
    detectedBy: source.detectedBy,
    bytes,
    events,
    gzip: opened.gzip,
    clock: source.clock.name,
    limitations: source.limitations,
  };
  if (sourceDevices.size > 0) input.devices = [...sourceDevices].map(formatDev);
  if (source.clock.baseSeconds) input.clockBase = source.clock.baseSeconds;
  if (source.clock.orderOnly) input.orderOnly = true;
  else if (tMin < Infinity) input.firstTime = tMin / 1e9;
  return { input, diag, clockOutliers: guard.outliers, names, events };
}
