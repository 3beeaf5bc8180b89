/**
 * The "millions of requests never completed" case (issue 8): generates a
 * blkparse text of N `Q` events that never complete, straight into the
 * stdin of `blkaudit check -` and `blkaudit stats -` (nothing written to
 * disk), and reports wall time, peak RSS (VmHWM from /proc, Linux) and the
 * drop counters of report.skipped. Not a unit test.
 *
 *   npm run build && node dist/bench/inflight-flood.js [--events 10000000] [--max-inflight N] [--commands check,stats]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/blkaudit.js', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const events = Number(arg('--events') ?? 10_000_000);
const maxInflight = arg('--max-inflight');
const commands = (arg('--commands') ?? 'check,stats').split(',');

/** Lines i..i+n of the flood: one 4 KiB write per 1 µs, all at distinct sectors, never issued or completed. */
function block(first: number, n: number): Buffer {
  let s = '';
  for (let i = first; i < first + n; i++) {
    const t = i / 1e6;
    const sec = Math.floor(t);
    const ns = String(Math.round((t - sec) * 1e9)).padStart(9, '0');
    s += `  7,1    0 ${String(i + 1).padStart(8)} ${String(sec).padStart(5)}.${ns}  100  Q   W ${i * 8} + 8 [dd]\n`;
  }
  return Buffer.from(s, 'latin1');
}

function peakKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function runOne(command: string): Promise<void> {
  const args = [BIN, command, '-', '--json', ...(maxInflight ? ['--max-inflight', maxInflight] : [])];
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakKiB(child.pid!))), 100);
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', () => {});
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const step = 20_000;
  for (let i = 0; i < events; i += step) {
    if (!child.stdin.write(block(i, Math.min(step, events - i)))) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await closed;
  clearInterval(poll);
  const secs = (Date.now() - started) / 1000;
  let skipped: Record<string, number> = {};
  try {
    skipped = (JSON.parse(Buffer.concat(out).toString('utf8')) as { skipped: Record<string, number> }).skipped;
  } catch {
    /* no JSON: reported as exit code */
  }
  const drops = Object.entries(skipped).filter(([k]) => /dropped|in flight/.test(k));
  process.stdout.write(
    `blkaudit ${command} - ${maxInflight ? `--max-inflight ${maxInflight} ` : ''}: ${events.toLocaleString('en')} Q events, ` +
      `exit ${code}, ${secs.toFixed(1)} s (${(events / secs / 1e6).toFixed(2)} M events/s incl. generation), ` +
      `peak RSS ${(peak / 1024).toFixed(0)} MiB\n` +
      drops.map(([k, v]) => `  ${k}: ${v.toLocaleString('en')}\n`).join(''),
  );
}

for (const c of commands) await runOne(c);
