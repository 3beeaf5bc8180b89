/**
 * `blkaudit follow <layer=path…> --sector S [--layer L] [--device D] [--time T]`:
 * the life of one request at each layer of a stack, on the report's reference
 * clock (the one `check` and `report` print: the top timed source, 0 at the
 * stack's first event; src/clock), each time shown as an interval whose width
 * is the clock-alignment uncertainty. `--time T` is on that clock, or in the
 * starting layer's own clock as `trace:T`. Exit 0 when the request was found,
 * 2 otherwise (and on a time outside the traces).
 */
import type { Command } from 'commander';
import type { EvidenceRef } from '../model/event.js';
import { correlateFiles, type LoadedCorrelation } from '../correlate-files.js';
import { follow, type FollowResult, type FollowTime } from '../correlate/follow.js';
import { correlateOptions, StackError } from '../correlate/stack.js';
import { parseInputArg } from '../io/open.js';
import { basename, dirname } from 'node:path';
import { addInputOptions, addOptions, analyzeOptionsFrom, collect, EXIT, NO_COLOR_OPTION, UsageError, type InputOptionValues } from './options.js';
import { addStackOptions, FOLLOW_STACK_OPTIONS, inputsWithStack } from './stack-options.js';
import { Output, safeText } from './output.js';
import { parseClockTime, sourceShift, type ClockTime } from '../clock/clock-time.js';

export interface FollowCliOptions extends InputOptionValues {
  sector?: string;
  layer?: string;
  device?: string[];
  time?: string;
  json?: boolean;
  stack?: string;
  map?: string[];
  cache?: string[];
}

export function registerFollow(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('follow')
    .description('follow one request through every layer of a stack, in one clock')
    .argument('[input...]', '"layer=path" inputs, top layer first (or give them in --stack FILE)')
    .requiredOption('--sector <S>', '512-byte sector at the starting layer')
    .option('--layer <name>', 'layer the sector and time refer to (default: the top one)')
    .option('--device <D>', 'device at the starting layer (maj,min or a QEMU vdev pointer), or LAYER=DEV: the device to correlate at LAYER; repeatable', collect)
    .option('--time <T>', 'the request in flight at T, or else the first issued after it: seconds on the report\'s clock (as check prints them), or trace:T in that layer\'s own clock')
    .option('--json', 'print the steps as JSON');
  addStackOptions(cmd, FOLLOW_STACK_OPTIONS);
  addInputOptions(cmd);
  addOptions(cmd, [NO_COLOR_OPTION]);
  cmd.addHelpText('after', `
Columns: LAYER, OP (R/W/F, F suffix = FUA, Z = write-zeroes), SECTOR + N (512-byte,
in that layer's space), HOW (start/linked/matched/searched), ISSUE(s) COMPLETE(s)
DURABLE(s) on the report's clock as "lo..hi" (one number when exact), LOCAL the
line of the completion in the layer's own trace. The report's clock is the one
check and report print: seconds on the top timed layer's clock from the stack's
first event, so a time copied from a check finding finds its request here.

Examples:
  blkaudit follow guest=vda.blkparse.txt qemu=qemu-trace.log host=loop1.blkparse.txt --sector 32788
  blkaudit follow guest=vda.blkparse.txt qemu=qemu-trace.log host=loop1.blkparse.txt --sector 32788 --layer host --time 0.12
  blkaudit follow guest=vda.blkparse.txt qemu=qemu-trace.log host=loop1.blkparse.txt --sector 32788 --layer host --time trace:4.9
  blkaudit follow --stack stack.json --sector 32788 --layer guest`);
  cmd.action((inputs: string[], opts: FollowCliOptions) => run(() => runFollow(inputs, opts)));
}

export async function runFollow(args: string[], opts: FollowCliOptions, out: Output = new Output()): Promise<number> {
  const sector = Number(opts.sector);
  if (!Number.isInteger(sector) || sector < 0) throw new UsageError(`--sector expects a sector number, got ${JSON.stringify(opts.sector)}`);
  let time: ClockTime | undefined;
  if (opts.time !== undefined) {
    try {
      time = parseClockTime(opts.time, '--time');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const { inputs: all, stack } = await inputsWithStack(args, opts.stack, 'follow');
  // --device LAYER=DEV chooses a layer's device for the correlation; a bare DEV is the start layer's
  const devices = opts.device ?? [];
  const layerDevices = devices.filter((d) => /^[A-Za-z][\w.-]{0,31}=/.test(d));
  const startDevice = devices.filter((d) => !layerDevices.includes(d));
  if (startDevice.length > 1) throw new UsageError(`--device: one start device, got ${startDevice.join(', ')}`);
  const layerNames = all.map((a) => parseInputArg(a).layer).filter((l) => l !== '');
  let copts;
  try {
    copts = await correlateOptions({ stack, stackDir: opts.stack ? dirname(opts.stack) : '.', map: opts.map, cache: opts.cache, device: layerDevices }, layerNames);
  } catch (err) {
    if (err instanceof StackError) throw new UsageError(err.message);
    throw err;
  }
  const loaded = await correlateFiles(all, copts, analyzeOptionsFrom(opts));
  const r = followOnReportClock(loaded, { sector, layer: opts.layer, device: startDevice[0], time });
  if (r.error) throw new UsageError(r.error);
  if (opts.json) out.write(JSON.stringify({ schemaVersion: 1, ...r, steps: r.steps.map(withLocalFiles), clock: loaded.report.clock }, null, 2) + '\n');
  else out.write(renderFollow(r));
  await out.end();
  return r.steps.length > 0 ? EXIT.clean : EXIT.usage;
}

/**
 * follow() on the report's clock, as check and report print times: each source placed by the report's clock
 * section (src/clock/reference.ts), a time given on that clock or (`trace:`) in the start layer's own.
 */
export function followOnReportClock(
  { env, result, report }: LoadedCorrelation,
  q: { sector: number; layer?: string | undefined; device?: string | undefined; time?: ClockTime | undefined },
): FollowResult {
  const clock = report.clock;
  return follow(env, result, {
    sector: q.sector, layer: q.layer, device: q.device, time: q.time?.seconds, timeClock: q.time?.clock,
    placement: (src) => sourceShift(clock, env.sources[src]?.name ?? ''),
    referenceName: clock?.referenceSource ? `${clock.reference || 'trace'} (${clock.referenceSource}), seconds from the stack's first event` : 'none',
  });
}

/**
 * In JSON, a binary layer's local positions are given as the evidence gives them: the byte offset in the file
 * named by `localFile` (for a per-CPU set, its member file), not the analysis' internal location number.
 */
function withLocalFiles(s: FollowResult['steps'][number]): FollowResult['steps'][number] {
  const fix = <T extends FollowTime>(t: T, ev: EvidenceRef | undefined): T =>
    t.localLine !== null && ev?.locKind === 'offset' ? { ...t, localLine: ev.loc, localFile: ev.source } : t;
  return {
    ...s,
    issue: fix(s.issue, s.evidence[0]),
    complete: fix(s.complete, s.evidence[1]),
    durable: fix(s.durable, s.durable.how === 'by a later flush' ? s.evidence[2] : s.evidence[1]),
  };
}

function interval(t: FollowTime): string {
  const [lo, hi] = t.ref;
  if (lo === null && hi === null) return t.localLine !== null ? '?' : '-';
  if (lo !== null && hi !== null && Math.abs(hi - lo) < 5e-7) return lo.toFixed(6);
  return `${lo === null ? '?' : lo.toFixed(6)}..${hi === null ? '?' : hi.toFixed(6)}`;
}

/**
 * Where the completion is in the layer's own trace: "line 38" for text; for binary input the file and byte
 * offset from the completion's evidence (a per-CPU set's member file: `loop1.blktrace.1@1648`).
 */
function localOf(s: FollowResult['steps'][number]): string {
  if (s.complete.localLine === null) return '';
  const c = s.evidence[1];
  if (c && c.locKind === 'offset') return safeText(`${basename(c.source)}@${c.loc}`);
  return `line ${s.complete.localLine}`;
}

export function renderFollow(r: FollowResult): string {
  const lines: string[] = [];
  if (r.steps.length === 0) {
    for (const n of r.notes) lines.push(`follow: ${safeText(n)}`);
    return lines.join('\n') + '\n';
  }
  lines.push(`reference clock: ${safeText(r.reference)} (lo..hi = alignment uncertainty)`);
  const head = ['LAYER', 'OP', 'SECTOR + N', 'HOW', 'ISSUE(s)', 'COMPLETE(s)', 'DURABLE(s)', 'LOCAL'];
  const rows = r.steps.map((s) => [
    safeText(s.level), s.op, `${s.sector} + ${s.sectors}`, s.how, interval(s.issue), interval(s.complete),
    s.durable.local === null && s.durable.ref[0] === null ? s.durable.how : interval(s.durable),
    localOf(s),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  lines.push(head.map((h, i) => h.padEnd(w[i]!)).join('  ').trimEnd());
  for (const row of rows) lines.push(row.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
  for (const s of r.steps) if (s.durable.how !== 'by a later flush') lines.push(`  ${safeText(s.level)}: durable ${s.durable.how}`);
  for (const n of r.notes) lines.push(`note: ${safeText(n)}`);
  return lines.join('\n') + '\n';
}
