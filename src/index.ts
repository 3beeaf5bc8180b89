/**
 * blkaudit library API: `analyze(inputs, options) → Report`.
 * Never prints, never exits: errors that make an input unusable are thrown as
 * InputError; everything else is counted in the report.
 */
import { Readable } from 'node:stream';
import type { Diagnostics } from './model/diagnostics.js';
import type { BlockEvent } from './model/event.js';
import type { AnalysisEnv, SourceInfo } from './model/analysis.js';
import { formatDev } from './model/device.js';
import { SCHEMA_VERSION, type Report } from './model/report.js';
import { InputError, parseInputArg, type InputSpec } from './io/open.js';
import type { ParseOptions } from './formats/types.js';
import { loadStages } from './stages.js';
import type { StageSelection } from './model/stage.js';
import { VERSION } from './version.js';
import { placeOnReferenceClock } from './clock/place.js';
import { groupIncidents } from './incidents/group.js';
import { closeInput, openInput, type OpenedInput } from './read/open.js';
import { readInput, RoutedDiagnostics, type InputRead, type LayerRun } from './read/input.js';
import { readAll } from './read/schedule.js';

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
  /**
   * Read the inputs one after another, in argument order, instead of every layer at once (src/read/schedule.ts):
   * for a caller that needs the events in that order (`onEvent` writing them out: the `events` command).
   * The report is the same either way.
   */
  readInOrder?: boolean;
  /**
   * Pacing hook: called, and awaited, after each chunk or batch of each input has gone through the stages,
   * with the input's index in the source table (report.inputs order) and how much of it has been read, 0..1
   * (NaN when its size is unknown: stdin, a pipe; a .gz counts its compressed bytes); once more with 1 when
   * the input has been read to its end. The layers are read at the same time: a stage that must not get
   * too far ahead in one layer (streaming correlation) holds that input by returning a promise that resolves
   * when the others have caught up; nothing more of the input is read meanwhile (its parse workers wait
   * on their bounded ring, its stream is not pulled). Called only when two layers or more are read at once
   * (not with readInOrder, nor when a stage needs the inputs in order). A layer's inputs are read one after another, so never
   * hold an input until a later input of its own layer has advanced; and never hold the last unfinished input.
   * Once an input fails, no input waits on this hook any more (a promise pending then is no longer awaited,
   * no call is made after it): those before the failed one are read to their end, those after it stopped.
   * Default: none.
   */
  paceInput?: (sourceIndex: number, fractionRead: number) => Promise<void> | void;
  /** Receives a cross-layer stage's whole result (e.g. the correlator's built stack, for `follow`). */
  onStageResult?: (stage: string, result: unknown, env: AnalysisEnv) => void;
  /** Requests tracked in flight per device before the oldest are dropped and counted (AnalysisEnv.options['maxInflight']). */
  maxInflight?: number;
}

/** Analyze one or more inputs ("path", "-", or "layer=path"). */
export async function analyze(inputs: Array<string | InputSpec>, options: AnalyzeOptions = {}): Promise<Report> {
  const diag = new RoutedDiagnostics();
  const sources: SourceInfo[] = [];
  const env: AnalysisEnv = { sources, diag, options: { ...(options.stageOptions ?? {}) }, clockOutliers: [] };
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
  // every input opened (its format chosen) before any is read: one that cannot be used stops the analysis here
  const opened = await openAll(specs, options);
  const layers = new Map<string, LayerRun>();
  const formats = opened.map((o) => o.format);
  const blockEvents = new Map(stages.map((s) => [s, s.usesBlockEvents?.(formats) ?? true]));
  for (const o of opened) {
    sources.push(o.source);
    report.attachments[o.spec.path] = o.attachments;
    let layer = layers.get(o.spec.layer);
    if (!layer) {
      layer = { name: o.spec.layer, sinks: [], devices: new Set(), inputs: [] };
      for (const stage of stages) layer.sinks.push({ stage, analyzer: stage.create(env, o.spec.layer, options), blockEvents: blockEvents.get(stage)! });
      layers.set(o.spec.layer, layer);
    }
    layer.inputs.push(o.spec.path);
  }
  // one after another when asked, or when a stage's result depends on which input comes first (the app stage)
  const oneByOne = options.readInOrder === true || stages.some((s) => s.needsInputOrder?.(formats));
  const inputsAtOnce = oneByOne ? 1 : new Set(specs.map((s) => s.layer)).size;
  const outcomes = await readAll(
    opened.map((o) => ({
      index: o.index,
      chain: oneByOne ? '' : `=${o.spec.layer}`,
      read: (stop) => readInput(o, layers.get(o.spec.layer)!, env, { ...options, inputsAtOnce }, stop),
      skip: () => closeInput(o),
    })),
    (r) => (r.events === 0 && countSkipped(r.diag) > 0) || (options.strict === true && countSkipped(r.diag) > 0),
  );
  // what each input left, handed over in argument order: the report a reading one after another gives;
  // the stages' counts from here on (prepare, finish) are the analysis' own
  diag.route = undefined;
  for (const o of opened) {
    const outcome = outcomes[o.index];
    if (!outcome) throw new Error(`input ${o.spec.path} was not read`);
    if (!outcome.ok) throw outcome.error;
    const r = outcome.value;
    diag.merge(r.diag);
    env.clockOutliers!.push(...r.clockOutliers);
    for (const name of r.names) name();
    requireUsable(o, r, env, options);
    report.inputs.push(r.input);
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

/** Opens every input at once; on a failure, lets go of the others and throws the first one's error, in argument order. */
async function openAll(specs: InputSpec[], options: AnalyzeOptions): Promise<OpenedInput[]> {
  // standard input is read once: a "-" given again is what it was when read after the first, empty
  const firstStdin = specs.findIndex((s) => s.path === '-');
  const settled = await Promise.allSettled(specs.map((spec, i) =>
    openInput(spec, i, spec.path === '-' && i !== firstStdin ? { ...options, stdin: Readable.from([]) } : options)));
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) {
    for (const s of settled) if (s.status === 'fulfilled') closeInput(s.value);
    throw (failure as PromiseRejectedResult).reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<OpenedInput>).value);
}

/**
 * An input nothing could be read from, or (--strict) one with a record that could not be used: InputError.
 * Checked as each input's counters are merged, in argument order, so the example named is the first the
 * counters kept (MAX_EXAMPLES per reason over the inputs read so far).
 */
function requireUsable(o: OpenedInput, r: InputRead, env: AnalysisEnv, options: AnalyzeOptions): void {
  const path = o.spec.path;
  const n = countSkipped(r.diag);
  if (n === 0) return;
  if (r.events === 0) {
    // every line was unreadable: not a silent device (that is a trace with no event line and nothing
    // skipped, e.g. blkparse's summary with "0 entries"), but an input nothing could be read from
    const first = env.diag.list().find((c) => c.severity !== 'info' && c.examples.some((x) => x.source === path));
    const ex = first?.examples.find((x) => x.source === path);
    throw new InputError(
      `${path}: no event could be read (${n} unreadable ${o.format.kind === 'binary' ? 'record' : 'line'}${n === 1 ? '' : 's'} as ${o.format.name}` +
        (ex ? `; first: ${first!.reason} at ${ex.locKind} ${ex.loc}` : '') + ')',
      path,
    );
  }
  if (options.strict) {
    const first = env.diag.list().find((c) => c.examples.some((x) => x.source === path));
    const ex = first?.examples.find((x) => x.source === path);
    throw new InputError(
      `--strict: ${n} record(s) of ${path} could not be used` + (ex ? `; first: ${first!.reason} at ${ex.locKind} ${ex.loc}` : ''),
      path,
    );
  }
}

/** Records that could not be used (not informational counters). */
function countSkipped(diag: Diagnostics): number {
  let n = 0;
  for (const c of diag.list()) if (c.severity !== 'info') n += c.count;
  return n;
}
