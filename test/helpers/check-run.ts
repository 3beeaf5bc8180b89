/**
 * Helpers for the check tests: run the real pipeline (reader → check stage)
 * over fixture files, or feed hand-built events straight into a checker.
 */
import { fileURLToPath } from 'node:url';
import { analyze } from '../../src/index.js';
import { checkOf } from '../../src/check/stage.js';
import { createChecker } from '../../src/check/checker.js';
import type { AtRisk, CheckOptions, CheckResult, DeviceCheckSummary, Finding } from '../../src/check/types.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { AnalysisEnv } from '../../src/model/analysis.js';
import { Act, emptyEvent, type BlockEvent } from '../../src/model/event.js';
import { makeDev } from '../../src/model/device.js';
import { parseRwbs } from '../../src/model/rwbs.js';

export const checkFixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/check/${name}`, import.meta.url));

export interface CheckRun {
  findings: Finding[];
  devices: DeviceCheckSummary[];
  at: AtRisk[];
  skipped: Record<string, number>;
}

/** Parse files with their detected reader and run the check stage, as `blkaudit check` does. */
export async function checkFiles(paths: string[], check: CheckOptions = {}, stageOptions: Record<string, unknown> = {}): Promise<CheckRun> {
  const report = await analyze(paths, { stages: ['check'], stageOptions: { ...stageOptions, check } });
  const { devices, at } = checkOf(report);
  return { findings: report.findings, devices, at, skipped: report.skipped };
}

/** "rule:severity" → count, for exact assertions. */
export function tally(findings: Finding[], withInfo = false): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) {
    if (!withInfo && f.severity === 'info') continue;
    const k = `${f.rule}:${f.severity}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

const ACTS: Record<string, number> = { Q: Act.Queue, G: Act.GetRq, I: Act.Insert, D: Act.Issue, C: Act.Complete, M: Act.BackMerge, R: Act.Requeue, X: Act.Split };

/**
 * Events by hand: "0.000100 D WS 8192 8" = time(s) act rwbs sector sectors [error].
 * A sector of "-" means none (zero-sector lines), sectors 0 = a 0-byte event;
 * for X the last number is the sector the bio is split at.
 */
export function ev(line: string, dev = makeDev(8, 0), loc = 0): BlockEvent {
  const [t, act, rwbs, sector, sectors, err] = line.trim().split(/\s+/);
  const e = emptyEvent();
  const r = parseRwbs(rwbs!)!;
  e.loc = loc;
  e.time = Math.round(Number(t) * 1e9);
  e.dev = dev;
  e.act = ACTS[act!] as BlockEvent['act'];
  e.op = r.op;
  e.flags = r.flags;
  e.sector = sector === undefined || sector === '-' ? -1 : Number(sector);
  e.bytes = sectors === undefined ? 0 : Number(sectors) * 512;
  // X: "time X rwbs sector at" splits the bio at sector `at` (blktrace's `X s / at`)
  if (act === 'X') {
    e.aux = Number(sectors);
    e.bytes = 0;
  }
  e.error = err ? Number(err) : 0;
  return e;
}

export function newEnv(): AnalysisEnv {
  return {
    sources: [{ index: 0, name: 'hand', layer: '', format: 'hand', detectedBy: 'test', locKind: 'line', clock: { name: 'relative', origin: '' }, limitations: [] }],
    diag: new Diagnostics(),
    options: {},
  };
}

/** Run a checker over hand-written event lines (one per line; '#' comments). */
export function checkLines(text: string, opts: CheckOptions = {}, env: AnalysisEnv = newEnv()): CheckResult {
  const chk = createChecker(env, opts);
  let loc = 0;
  for (const raw of text.split('\n')) {
    loc++;
    const line = raw.replace(/#.*/, '').trim();
    if (line) chk.event(ev(line, makeDev(8, 0), loc));
  }
  return chk.finish();
}
