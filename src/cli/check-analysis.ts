/**
 * The analysis behind `check` (and each capture of `check --each`, in its
 * workers): options from the command line, the run, the exit code. Apart from
 * check.ts (rendering and the command) so check-each.ts and src/fleet use it
 * without an import cycle through the command.
 */
import { analyze } from '../index.js';
import type { Finding, Report } from '../model/report.js';
import { parseCacheDeclaration } from '../check/cache.js';
import { checkOf } from '../check/stage.js';
import type { AtRisk, CacheDeclaration, CheckOptions, DeviceCheckSummary } from '../check/types.js';
import { stackSetup, type StackCliOptions } from './stack-options.js';
import { analyzeOptionsFrom, EXIT, UsageError, type InputOptionValues } from './options.js';
import { parseMount, type AppOptions } from '../app/stage.js';

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

/** Validated options → CheckOptions; throws UsageError. */
export function checkOptionsFrom(opts: CheckCliOptions): { check: CheckOptions; failOn: number } {
  const failOn = SEVERITY_RANK[opts.failOn ?? 'error'];
  if (failOn === undefined) throw new UsageError(`--fail-on must be error, warning or info, got ${JSON.stringify(opts.failOn)}`);
  const check: CheckOptions = { cache: [] };
  if (opts.at !== undefined) {
    const at = Number(opts.at);
    if (opts.at.trim() === '' || !Number.isFinite(at) || at < 0) throw new UsageError(`--at expects seconds in the trace's clock, got ${JSON.stringify(opts.at)}`);
    check.at = at;
  }
  return { check, failOn };
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
}

/**
 * Runs the check over `inputs`. `matchCache: false` (--each) lets a --cache
 * device declaration name a device a capture does not have.
 */
export async function checkAnalysis(inputs: string[], opts: CheckCliOptions, matchCache = true): Promise<CheckRun> {
  const { check, failOn } = checkOptionsFrom(opts);
  const setup = await stackSetup(inputs, opts, 'check');
  check.cache = setup.deviceCache;
  const app = appOptionsFrom(opts);
  const report = await analyze(setup.inputs, {
    ...analyzeOptionsFrom(opts),
    ...(opts.parseWorker === false ? { parseWorker: false } : {}),
    stages: setup.correlate ? ['check', 'correlate', 'app'] : ['check', 'app'],
    stageOptions: setup.correlate ? { check, correlate: setup.correlate, app } : { check, app },
  });
  const { devices, at } = checkOf(report);
  if (matchCache) requireCacheMatched(check.cache ?? [], devices);
  rejectUnmatchedMounts(report);
  const findings = report.findings;
  const exitCode = findings.some((f) => (SEVERITY_RANK[f.severity] ?? 9) <= failOn) ? EXIT.findings : EXIT.clean;
  return { report, findings, devices, at, check, exitCode };
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

