/**
 * `npm run bench -- --startup`: how long blkaudit takes to start, against
 * bare `node -e 0` on the same machine in the same run — `blkaudit --version`,
 * `--help`, and `check`, `check --json` and `stats` on a small real trace,
 * each run R times (default 20) interleaved, as the `blkaudit` executable a
 * user runs (the bundle and its code cache, the V8 flags the bin sets). The
 * difference of medians is the cost blkaudit adds (target for `--version` and
 * `check`: ≤ 30 ms; README, Performance). CPU is user + system of the
 * command as its parent shell's `times` reports it (1 ms steps; /usr/bin/time
 * rounds to 10 ms, coarser than the differences measured here). Wall time is
 * spawn to exit of that shell, the same few ms of bash in every row, the
 * `node -e 0` row included.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { median, type Command, type Measurement } from './measure.js';
import { BLKAUDIT } from './rows.js';
import type { Verdict } from './table.js';

const SMALL = join(BLKAUDIT, '..', '..', 'fixtures', 'check', 'real', 'host-ext4-fsync', 'loop1.blkparse.txt');

/** Rows with `target` are held to TARGET_MS (issue 16: `--version` and `check` on a small trace). */
export const STARTUP_ROWS: Array<{ id: string; title: string; command: Command; target?: boolean }> = [
  { id: 'node', title: '`node -e 0`', command: { argv: [process.execPath, '-e', '0'] } },
  { id: 'version', title: '`blkaudit --version`', command: { argv: [BLKAUDIT, '--version'] }, target: true },
  { id: 'help', title: '`blkaudit --help`', command: { argv: [BLKAUDIT, '--help'] } },
  { id: 'check-small', title: '`blkaudit check` on a 2,024-line real trace (host-ext4-fsync)', command: { argv: [BLKAUDIT, 'check', SMALL] }, target: true },
  { id: 'check-json', title: '`blkaudit check --json`, same trace', command: { argv: [BLKAUDIT, 'check', '--json', SMALL] } },
  { id: 'stats-small', title: '`blkaudit stats`, same trace', command: { argv: [BLKAUDIT, 'stats', SMALL] } },
];

export const TARGET_MS = 30;

/** "0m0.052s" → seconds. */
function clock(s: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

/** One run under bash: output discarded, then bash's `times` (its own line, then its children's). */
export function measureStartup(argv: string[]): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('bash', ['-c', '"$@" >/dev/null 2>&1; code=$?; times; exit $code', 'bash', ...argv], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.once('error', reject);
    child.once('close', (code) => {
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      const [user, sys] = (out.trim().split('\n')[1] ?? '').split(/\s+/).map(clock);
      resolve({ wallS, cpuS: (user ?? NaN) + (sys ?? NaN), rssMiB: NaN, exitCode: code ?? 255, stderrTail: '', rssSource: 'none' });
    });
  });
}

export async function runStartup(runs: number, log: (s: string) => void): Promise<Map<string, Measurement[]>> {
  const out = new Map<string, Measurement[]>(STARTUP_ROWS.map((r) => [r.id, []]));
  for (let i = 0; i < runs; i++) {
    for (const r of STARTUP_ROWS) out.get(r.id)!.push(await measureStartup(r.command.argv));
  }
  for (const r of STARTUP_ROWS) {
    const ms = out.get(r.id)!;
    log(`  ${r.id.padEnd(12)} wall median ${(median(ms.map((m) => m.wallS)) * 1e3).toFixed(0)} ms over ${ms.length} runs`);
  }
  return out;
}

export function startupTable(results: Map<string, Measurement[]>): { table: string; verdicts: Verdict[] } {
  const ms = (xs: number[]) => median(xs) * 1e3;
  const base = results.get('node') ?? [];
  const baseWall = ms(base.map((m) => m.wallS));
  const baseCpu = ms(base.map((m) => m.cpuS));
  const baseMin = Math.min(...base.map((m) => m.wallS)) * 1e3;
  const lines = [
    '| row | runs | wall ms (median) | wall ms (min) | CPU ms (median) | wall − node ms (medians) | wall − node ms (minima) | CPU − node ms (medians) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const verdicts: Verdict[] = [];
  for (const r of STARTUP_ROWS) {
    const m = results.get(r.id) ?? [];
    const wall = ms(m.map((x) => x.wallS));
    const cpu = ms(m.map((x) => x.cpuS));
    const min = Math.min(...m.map((x) => x.wallS)) * 1e3;
    const dw = r.id === 'node' ? '' : (wall - baseWall).toFixed(0);
    const dm = r.id === 'node' ? '' : (min - baseMin).toFixed(0);
    const dc = r.id === 'node' || !Number.isFinite(cpu) ? '' : (cpu - baseCpu).toFixed(0);
    lines.push(`| ${r.title} | ${m.length} | ${wall.toFixed(0)} | ${min.toFixed(0)} | ${Number.isFinite(cpu) ? cpu.toFixed(0) : '–'} | ${dw} | ${dm} | ${dc} |`);
    if (r.target) {
      verdicts.push({ text: `${r.id}: ${(wall - baseWall).toFixed(0)} ms wall over node -e 0 (target ≤ ${TARGET_MS})`, ok: wall - baseWall <= TARGET_MS });
      verdicts.push({ text: `${r.id}: ${(cpu - baseCpu).toFixed(0)} ms CPU over node -e 0 (target ≤ ${TARGET_MS})`, ok: cpu - baseCpu <= TARGET_MS });
    }
  }
  return { table: lines.join('\n'), verdicts };
}
