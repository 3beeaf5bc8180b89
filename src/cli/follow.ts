/**
 * `blkaudit follow <layer=path…> --sector S [--layer L] [--device D] [--time T]`:
 * the life of one request at each layer of a stack, in one clock (the lowest
 * layer with timestamps), each time shown as an interval whose width is the
 * clock-alignment uncertainty. Exit 0 when the request was found, 2 otherwise.
 */
import type { Command } from 'commander';
import { correlateFiles } from '../correlate/load.js';
import { follow, type FollowResult, type FollowTime } from '../correlate/follow.js';
import { correlateOptions, readStackFile, stackInputs } from '../correlate/stack.js';
import { dirname } from 'node:path';
import { EXIT, UsageError } from './options.js';
import { Output, safeText } from './output.js';

export interface FollowCliOptions {
  sector?: string;
  layer?: string;
  device?: string;
  time?: string;
  json?: boolean;
  stack?: string;
  map?: string[];
  cache?: string[];
  format?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerFollow(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('follow')
    .description('follow one request through every layer of a stack, in one clock')
    .argument('[input...]', '"layer=path" inputs, top layer first')
    .requiredOption('--sector <S>', '512-byte sector at the starting layer')
    .option('--layer <name>', 'layer the sector and time refer to (default: the top one)')
    .option('--device <D>', 'device at that layer (maj,min or a QEMU vdev pointer)')
    .option('--time <T>', 'seconds in that layer\'s clock: the first request at or after T')
    .option('--stack <file>', 'JSON stack description (layers, devices, maps, cache modes, inputs)')
    .option('--map <LAYER=SPEC>', 'sector map from LAYER to the layer below: +N, -N, or a filefrag -v / CSV / JSON file; repeatable', collect)
    .option('--cache <LAYER=MODE>', 'declared cache mode of a layer (writeback, writethrough, none, directsync, unsafe); repeatable', collect)
    .option('--format <name>', 'read every input as this format')
    .option('--json', 'print the steps as JSON');
  cmd.addHelpText('after', `
Columns: LAYER, OP (R/W/F, F suffix = FUA, Z = write-zeroes), SECTOR + N (512-byte,
in that layer's space), HOW (start/linked/matched/searched), ISSUE(s) COMPLETE(s)
DURABLE(s) in the reference clock as "lo..hi" (one number when exact), LOCAL the
line of the completion in the layer's own trace.

Example:
  blkaudit follow guest=vda.blkparse.txt qemu=qemu-trace.log host=loop1.blkparse.txt --sector 32788`);
  cmd.action((inputs: string[], opts: FollowCliOptions) => run(() => runFollow(inputs, opts)));
}

export async function runFollow(inputs: string[], opts: FollowCliOptions, out: Output = new Output()): Promise<number> {
  const sector = Number(opts.sector);
  if (!Number.isInteger(sector) || sector < 0) throw new UsageError(`--sector expects a sector number, got ${JSON.stringify(opts.sector)}`);
  let time: number | undefined;
  if (opts.time !== undefined) {
    time = Number(opts.time);
    if (!Number.isFinite(time)) throw new UsageError(`--time expects seconds, got ${JSON.stringify(opts.time)}`);
  }
  const stack = opts.stack ? await readStackFile(opts.stack) : undefined;
  const all = [...(stack && opts.stack ? stackInputs(stack, opts.stack) : []), ...inputs];
  if (all.length === 0) throw new UsageError('follow needs "layer=path" inputs (or --stack with inputs)');
  const layerNames = all.map((a) => a.split('=')[0]!);
  const copts = await correlateOptions({ stack, stackDir: opts.stack ? dirname(opts.stack) : '.', map: opts.map, cache: opts.cache }, layerNames);
  const { env, result } = await correlateFiles(all, copts, opts.format);
  const r = follow(env, result, { sector, layer: opts.layer, device: opts.device, time });
  if (opts.json) out.write(JSON.stringify({ schemaVersion: 1, ...r }, null, 2) + '\n');
  else out.write(renderFollow(r));
  await out.end();
  return r.steps.length > 0 ? EXIT.clean : EXIT.usage;
}

function interval(t: FollowTime): string {
  const [lo, hi] = t.ref;
  if (lo === null && hi === null) return t.localLine !== null ? '?' : '-';
  if (lo !== null && hi !== null && Math.abs(hi - lo) < 5e-7) return lo.toFixed(6);
  return `${lo === null ? '?' : lo.toFixed(6)}..${hi === null ? '?' : hi.toFixed(6)}`;
}

export function renderFollow(r: FollowResult): string {
  const lines: string[] = [];
  if (r.steps.length === 0) {
    for (const n of r.notes) lines.push(`follow: ${safeText(n)}`);
    return lines.join('\n') + '\n';
  }
  lines.push(`reference clock: ${safeText(r.reference)} (seconds; lo..hi = alignment uncertainty)`);
  const head = ['LAYER', 'OP', 'SECTOR + N', 'HOW', 'ISSUE(s)', 'COMPLETE(s)', 'DURABLE(s)', 'LOCAL'];
  const rows = r.steps.map((s) => [
    safeText(s.level), s.op, `${s.sector} + ${s.sectors}`, s.how, interval(s.issue), interval(s.complete),
    s.durable.local === null && s.durable.ref[0] === null ? s.durable.how : interval(s.durable),
    s.complete.localLine !== null ? `line ${s.complete.localLine}` : '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  lines.push(head.map((h, i) => h.padEnd(w[i]!)).join('  ').trimEnd());
  for (const row of rows) lines.push(row.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
  for (const s of r.steps) if (s.durable.how !== 'by a later flush') lines.push(`  ${safeText(s.level)}: durable ${s.durable.how}`);
  for (const n of r.notes) lines.push(`note: ${safeText(n)}`);
  return lines.join('\n') + '\n';
}
