/**
 * The analysis behind `check` (and each capture of `check --each`, in its
 * workers): options from the command line, the run, the exit code. Apart from
 * check.ts (rendering and the command) so check-each.ts and src/fleet use it
 * without an import cycle through the command.
 */
import { analyze } from '../index.js';
import { parseInputArg } from '../io/open.js';
import type { Finding, Report } from '../model/report.js';
import { parseCacheDeclaration } from '../check/cache.js';
import { checkOf } from '../check/stage.js';
import type { AtRisk, CacheDeclaration, CheckOptions, DeviceCheckSummary } from '../check/types.js';
import { stackSetup, type StackCliOptions } from './stack-options.js';
import { stackedLinks } from './stacked.js';
import { analyzeOptionsFrom, EXIT, UsageError, type InputOptionValues } from './options.js';
import { parseMount, type AppOptions } from '../app/stage.js';
import { parseClockTime, sourceShift, type ClockTime } from '../clock/clock-time.js';

export interface CheckCliOptions extends InputOptionValues, StackCliOptions {
  json?: boolean;
  all?: boolean;
  failOn?: string;
  at?: string;
  each?: boolean;
  jobs?: number;
  /** Set by --each's workers: parse in the worker's own thread. */
  parseWorker?: false;
  mount?: string[];
}

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

/**
 * Validated options → CheckOptions; throws UsageError. `--at T` is on the report's clock (converted per
 * source by checkAnalysis before the checker runs); `--at trace:T` is every source's own clock, as given.
 */
export function checkOptionsFrom(opts: CheckCliOptions): { check: CheckOptions; failOn: number; at?: ClockTime } {
  const failOn = SEVERITY_RANK[opts.failOn ?? 'error'];
  if (failOn === undefined) throw new UsageError(`--fail-on must be error, warning or info, got ${JSON.stringify(opts.failOn)}`);
  const check: CheckOptions = { cache: [] };
  let at: ClockTime | undefined;
  if (opts.at !== undefined) {
    try {
      at = parseClockTime(opts.at, '--at');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (at.clock === 'trace') check.at = at.seconds;
  }
  return at ? { check, failOn, at } : { check, failOn };
}

/** A `--cache DEV=MODE` that names no device of the input is a usage error (exit 2), in `check` and `report` alike. */
export function requireCacheMatched(cache: readonly CacheDeclaration[], devices: readonly DeviceCheckSummary[]): void {
  const unmatched = cache.filter((d) => !devices.some((x) => x.cacheDeclared === d.device));
  if (unmatched.length > 0) {
    const known = devices.map((d) => (d.name ? `${d.name} (${d.device})` : d.device)).join(', ') || 'none';
    throw new UsageError(`--cache ${unmatched.map((d) => d.device).join(', ')}: no such device in the input (devices: ${known})`);
  }
}

/** One check's analysis, before rendering: the report, its findings (sorted by the report), and the exit code they give. */
export interface CheckRun {
  report: Report;
  findings: Finding[];
  devices: DeviceCheckSummary[];
  at: AtRisk[];
  check: CheckOptions;
  exitCode: number;
  /** Said on stderr: inputs an `--at` on the report's clock could not reach. */
  warnings: string[];
}

/**
 * Runs the check over `inputs`. `matchCache: false` (--each) lets a --cache
 * device declaration name a device a capture does not have.
 */
export async function checkAnalysis(inputs: string[], opts: CheckCliOptions, matchCache = true): Promise<CheckRun> {
  const { check, failOn, at: atTime } = checkOptionsFrom(opts);
  const setup = await stackSetup(inputs, opts, 'check');
  check.cache = setup.deviceCache;
  const app = appOptionsFrom(opts);
  const warnings: string[] = [];
  if (atTime?.clock === 'reference') {
    check.atBySource = await atOnReferenceClock(setup, opts, app, atTime.seconds, warnings);
  }
  const run = () => analyze(setup.inputs, {
    ...analyzeOptionsFrom(opts),
    ...(opts.parseWorker === false ? { parseWorker: false } : {}),
    stages: setup.correlate ? ['check', 'correlate', 'app'] : ['check', 'app'],
    stageOptions: setup.correlate ? { check, correlate: setup.correlate, app } : { check, app },
  });
  let report = await run();
  // one unnamed trace of a stack: follow its own remaps across its devices (cli/stacked.ts)
  const links = setup.correlate ? [] : stackedLinks(report);
  if (links.length > 0) {
    if (setup.inputs.some((i) => parseInputArg(i).path === '-')) {
      warnings.push(`the stream's devices are stacked (remap events ${links.join(', ')}) and standard input can be read only once: each device was checked on its own; name the layer (LAYER=-) to have its promises followed below`);
    } else {
      const { correlateOptions } = await import('../correlate/stack.js');
      setup.correlate = await correlateOptions({}, []); // no layer: every --cache is a device declaration
      if (setup.deviceCache.length > 0) setup.correlate.deviceCache = setup.deviceCache;
      report = await run();
    }
  }
  const { devices, at } = checkOf(report);
  if (atTime?.clock === 'trace' && at.length > 0 && at.every((a) => a.afterEnd)) {
    throw new UsageError(`--at trace:${atTime.seconds}: after the last event of every traced device, outside the traces`);
  }
  if (matchCache) requireCacheMatched(check.cache ?? [], devices);
  rejectUnmatchedMounts(report);
  const findings = report.findings;
  const exitCode = findings.some((f) => (SEVERITY_RANK[f.severity] ?? 9) <= failOn) ? EXIT.findings : EXIT.clean;
  return { report, findings, devices, at, check, exitCode, warnings };
}

/**
 * `--at T` on the report's clock → each input's own clock, before the checker sees it (its snapshot hook,
 * DeviceModel.atNs, takes a time in the device's own clock). The reference clock is known only once every
 * input is read and aligned, so the inputs are read once more first, with the same stages as the check but
 * the checker (the clock comes from the inputs' first events and the correlation's alignment: the same
 * analysis gives the same clock), noting where each input ends. Throws UsageError when T falls after the end
 * of every trace placed on the clock, or when no traced device is on it.
 */
async function atOnReferenceClock(
  setup: Awaited<ReturnType<typeof stackSetup>>, opts: CheckCliOptions, app: AppOptions, T: number, warnings: string[],
): Promise<Record<string, number>> {
  // standard input can be read only once, and this reads every input twice
  if (setup.inputs.some((i) => parseInputArg(i).path === '-')) {
    throw new UsageError(`--at ${T}: on the report's clock the inputs are read twice, and standard input can be read only once: give --at trace:SECONDS (the trace's own clock) or a file`);
  }
  const ends = new Map<string, number>();
  const first = await analyze(setup.inputs, {
    ...analyzeOptionsFrom(opts),
    ...(opts.parseWorker === false ? { parseWorker: false } : {}),
    stages: setup.correlate ? ['correlate', 'app'] : ['app'],
    stageOptions: setup.correlate ? { correlate: setup.correlate, app } : { app },
    onEvent: (e, source) => {
      if (e.time > (ends.get(source.name) ?? -Infinity)) ends.set(source.name, e.time);
    },
  });
  const bySource: Record<string, number> = {};
  let end = -Infinity;
  for (const input of first.inputs) {
    const last = ends.get(input.path);
    if (last === undefined) continue; // no block event: nothing the checker could snapshot
    const p = sourceShift(first.clock, input.path);
    if (!p) {
      const how = first.clock?.sources.find((s) => s.source === input.path)?.how ?? 'not on the report clock';
      warnings.push(`--at ${T}: ${input.path} is not on the report's clock (${how}); its devices are left out — give --at trace:SECONDS for its own clock`);
      continue;
    }
    bySource[input.path] = T + p.shift;
    end = Math.max(end, last / 1e9 - p.shift);
  }
  if (!Number.isFinite(end)) throw new UsageError(`--at ${T}: no traced device is on the report's clock; give --at trace:SECONDS for the trace's own clock`);
  // half a µs: a time printed to the µs and copied back still falls inside
  if (T > end + 5e-7) throw new UsageError(`--at ${T}: after the end of the traces (their last event is at ${end.toFixed(6)} s on the report's clock)`);
  return bySource;
}


/** A --mount that named no device of the layer below (counted by the app stage) is a usage error, like --cache. */
export function rejectUnmatchedMounts(report: Report): void {
  const bad = report.diagnostics.find((d) => d.reason.startsWith('app: --mount '));
  if (bad) throw new UsageError(`${bad.reason.slice(5)} (a --mount names a device of the layer below the application, e.g. loop1 or 7,1)`);
}

/** --mount PATH=DEV values → the app stage's options; throws UsageError. */
export function appOptionsFrom(opts: { mount?: string[] }): AppOptions {
  try {
    return { mounts: (opts.mount ?? []).map(parseMount) };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

