/**
 * A fleet of real captures from fixtures/, laid out as the lab writes them
 * (DIR/<host>/<capture>/{guest/,host/,qemu-trace.log} or flat *.blkparse.txt),
 * for `check --each` and the DuckDB tests.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli.js';
import { tempDir } from './tmp.js';

const SCEN = join(ROOT, 'fixtures/scenarios');
const REAL = join(ROOT, 'fixtures/check/real');

export function put(root: string, rel: string, from?: string): void {
  const to = join(root, rel);
  mkdirSync(dirname(to), { recursive: true });
  if (from) copyFileSync(from, to);
  else writeFileSync(to, '');
}

/**
 * hostA: vm-none-threads (clean), ext4-nobarrier (flush-never-issued; a warning unless loop1 is declared
 * write-back); hostB: vm-unsafe-threads (104 flushes not passed down), qio-raw-unsafe-threads (a FUA write
 * not honoured); hostC: garbage (not a trace) unless `garbage` is false.
 */
export function makeFleet(garbage = true): string {
  const root = tempDir('blkaudit-fleet-');
  for (const [host, name] of [['hostA', 'vm-none-threads'], ['hostB', 'vm-unsafe-threads']] as const) {
    put(root, `${host}/${name}/guest/vda.blkparse.txt`, join(SCEN, name, 'vda.blkparse.txt'));
    put(root, `${host}/${name}/qemu-trace.log`, join(SCEN, name, 'qemu-trace.log'));
    put(root, `${host}/${name}/host/loop1.blkparse.txt`, join(SCEN, name, 'loop1.blkparse.txt'));
  }
  put(root, 'hostB/qio-raw-unsafe-threads/qemu-trace.log', join(SCEN, 'qio-raw-unsafe-threads/qemu-trace.log'));
  put(root, 'hostB/qio-raw-unsafe-threads/loop1.blkparse.txt', join(SCEN, 'qio-raw-unsafe-threads/loop1.blkparse.txt'));
  put(root, 'hostA/ext4-nobarrier/loop1.blkparse.txt', join(REAL, 'host-ext4-nobarrier/loop1.blkparse.txt'));
  if (garbage) {
    put(root, 'hostC/garbage/loop1.blkparse.txt');
    writeFileSync(join(root, 'hostC/garbage/loop1.blkparse.txt'), 'this is not a trace\n');
  }
  return root;
}
