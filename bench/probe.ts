/**
 * How fast this machine is today, as one number printed in the bench's
 * header: the same machine kind ran the same rows 2.4 times slower on one
 * day than on the night before (README, Performance), so a table is read
 * against the probe of its own run, and two tables compare only through
 * their probes.
 *
 * The probe is a fixed, deterministic JavaScript workload shaped like the
 * analysis (records allocated and dropped, a Map keyed by sector, short
 * strings, float arithmetic), run in a fresh `node` child so that its JIT
 * state is the same each time; the fastest of `runs` counts (the machine's
 * speed, not its load).
 *
 * Also: NODE_EXTRA_CA_CERTS makes every Node process load a certificate
 * bundle before it runs anything (about 90 ms on this machine kind, and more
 * noise): the bench measures blkaudit, not that, so it drops the variable
 * for everything it starts (dropExtraCaCerts) and says so in its header.
 */
import { spawn } from 'node:child_process';

/** The workload, as `node -e` source: prints its own CPU time in ms. */
export const PROBE_SOURCE = `
const t0 = process.cpuUsage();
const live = new Map();
let acc = 0, s = 1;
for (let i = 0; i < 3e6; i++) {
  s = (s * 1103515245 + 12345) % 2147483648;
  const sector = s % 65536;
  const r = live.get(sector);
  if (r === undefined) live.set(sector, { sector, bytes: 4096 + (i & 7) * 512, t: i * 1.5, comm: i & 1 ? 'kworker' : 'fio' });
  else { acc += r.bytes / 512 + (i - r.t) * 1e-9 + r.comm.length; live.delete(sector); }
}
const u = process.cpuUsage(t0);
process.stdout.write(String(((u.user + u.system) / 1000).toFixed(1) + ' ' + (acc > 0 ? 'ok' : 'bad')));
`;

/** CPU ms of one probe run in a fresh node (NaN when it failed). */
function once(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', PROBE_SOURCE], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.once('error', () => resolve(NaN));
    child.once('close', (code) => {
      const [ms, ok] = out.trim().split(' ');
      resolve(code === 0 && ok === 'ok' ? Number(ms) : NaN);
    });
  });
}

/** The probe's fastest CPU ms over `runs` fresh processes. */
export async function machineProbe(runs = 5): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const ms = await once();
    if (ms < best) best = ms;
  }
  return Number.isFinite(best) ? best : NaN;
}

/** Drops NODE_EXTRA_CA_CERTS from this process' environment (children inherit it); true when it was set. */
export function dropExtraCaCerts(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NODE_EXTRA_CA_CERTS === undefined) return false;
  delete env.NODE_EXTRA_CA_CERTS;
  return true;
}
