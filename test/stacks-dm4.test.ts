/**
 * Campaign 4 guest device-mapper captures (fixtures/stacks/vm-{mirror,snap,cache*,stripe}-*; ORIGIN.md in each):
 * what the generic stacks test cannot pin — how the cache target is linked when its layers are given file by file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

const DIR = join(ROOT, 'fixtures/stacks');

interface Out {
  findings: Array<{ severity: string; rule: string; layer: string; device: string }>;
  alignment: Array<{ upper: string; lower: string; mapSource: string }>;
}

test('dm-cache writethrough, layer by layer: the cache target is linked to its cache device (one layer down) and to its origin (two layers down) by its remap events', async () => {
  // dm-cache-target.c: a write to a block not in the cache is remapped to the origin (remap_to_origin), one to a
  // cached block to the cache device (remap_to_cache; in writethrough also cloned to the origin with no remap
  // event). Linked only to the layer right below (dm-1, the cache device), a write that went to the origin was
  // taken as missing: 55 false flush-not-passed-down at the cache layer.
  const c = 'vm-cachewt-none-threads';
  const files = ['cache=guest/dm-2', 'linear=guest/dm-0', 'linear=guest/dm-1', 'virtio=guest/vda', 'virtio=guest/vdb']
    .map((x) => `${x.split('=')[0]}=${join(DIR, c, x.split('=')[1]!)}.blkparse.txt.gz`);
  const r = await runCli(['check', '--json', ...files, `qemu=${join(DIR, c, 'qemu-trace.log.gz')}`,
    `host=${join(DIR, c, 'host/loop1.blkparse.txt.gz')}`, `host=${join(DIR, c, 'host/loop2.blkparse.txt.gz')}`]);
  const out = JSON.parse(r.stdout) as Out;
  const links = out.alignment.map((a) => `${a.upper} -> ${a.lower} ${a.mapSource}`);
  assert.ok(links.includes('cache:252,2 -> linear:252,1 remap'), links.join('\n'));
  assert.ok(links.includes('cache:252,2 -> virtio:254,0 remap'), links.join('\n'));
  assert.deepEqual(out.findings.filter((f) => f.severity !== 'info'), []);
  assert.equal(r.code, 0);
});
