/**
 * Running one command as a child process and measuring it: wall time (from
 * spawning the first process of the pipeline to the measured one's exit),
 * CPU time, and peak RSS of the measured process — from `/usr/bin/time -f`
 * when it is installed (GNU time, getrusage ru_maxrss), else by polling
 * /proc/PID/status VmHWM (the kernel's own high-water mark) every 20 ms.
 *
 * A command's stdin may come from a file through `cat` (a real pipe, as in
 * `blkparse -o - | blkaudit check -`). Arguments are passed as an argv array:
 * nothing is ever interpreted by a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Command {
  argv: string[];
  /** Pipe this file into the command's stdin through `cat`. */
  stdinFile?: string;
  cwd?: string;
  /** Extra environment variables for the measured command. */
  env?: Record<string, string>;
  /** Write the command's stdout to this file (default: discarded). */
  stdoutFile?: string;
}

export interface Measurement {
  wallS: number;
  /** user + system CPU seconds of the measured process (NaN when unknown). */
  cpuS: number;
  /** Peak resident set size, MiB (NaN when unknown). */
  rssMiB: number;
  exitCode: number;
  /** Last lines of stderr when the command failed. */
  stderrTail: string;
  rssSource: 'time' | 'proc' | 'none';
}

export function haveGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

function waitExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 255)));
  });
}

function vmHwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs a command once and measures it. Never throws for a failing command (see exitCode). */
export async function measure(cmd: Command, useTime = haveGnuTime()): Promise<Measurement> {
  const scratch = mkdtempSync(join(tmpdir(), 'blkaudit-bench-'));
  const timeOut = join(scratch, 'time.txt');
  const argv = useTime ? [GNU_TIME, '-f', '%e %U %S %M', '-o', timeOut, ...cmd.argv] : cmd.argv;
  const outFd = cmd.stdoutFile ? openSync(cmd.stdoutFile, 'w') : undefined;
  const t0 = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: [cmd.stdinFile ? 'pipe' : 'ignore', outFd ?? 'ignore', 'pipe'],
    cwd: cmd.cwd,
    env: cmd.env ? { ...process.env, ...cmd.env } : process.env,
  });
  let feeder: ChildProcess | undefined;
  if (cmd.stdinFile) {
    // cat writes straight into the child's stdin pipe; the parent closes its own
    // copy of the write end so the child sees EOF when cat is done.
    feeder = spawn('cat', [cmd.stdinFile], { stdio: ['ignore', child.stdin!, 'ignore'] });
    child.stdin!.destroy();
  }
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  let peakKiB = 0;
  let poll: NodeJS.Timeout | undefined;
  if (!useTime && child.pid) {
    const pid = child.pid;
    poll = setInterval(() => {
      peakKiB = Math.max(peakKiB, vmHwmKiB(pid));
    }, 20);
  }
  const [code] = await Promise.all([waitExit(child), feeder ? waitExit(feeder) : Promise.resolve(0)]);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (outFd !== undefined) closeSync(outFd);
  if (poll) clearInterval(poll);
  const m: Measurement = { wallS, cpuS: NaN, rssMiB: NaN, exitCode: code, stderrTail: '', rssSource: 'none' };
  if (useTime) {
    try {
      // "%e %U %S %M" is the last line; a killed child adds a "Command exited…" line before it.
      const lines = readFileSync(timeOut, 'utf8').trim().split('\n');
      const [, user, sys, maxKiB] = lines[lines.length - 1]!.trim().split(/\s+/).map(Number);
      m.cpuS = user! + sys!;
      m.rssMiB = maxKiB! / 1024;
      m.rssSource = 'time';
    } catch {
      // leave NaN
    }
  } else if (peakKiB > 0) {
    m.rssMiB = peakKiB / 1024;
    m.rssSource = 'proc';
  }
  if (code !== 0 && code !== 1) m.stderrTail = stderr.trim().split('\n').slice(-5).join('\n');
  rmSync(scratch, { recursive: true, force: true });
  return m;
}

/** Runs a command to completion and returns its stdout (for probes like `blkaudit --help`). */
export async function capture(argv: string[], cwd?: string): Promise<{ code: number; stdout: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], cwd });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  try {
    const code = await waitExit(child);
    return { code, stdout };
  } catch {
    return { code: 127, stdout: '' };
  }
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
