/**
 * The fleet outputs in a query engine: `check --each` NDJSON and `events
 * --parquet` loaded into DuckDB (@duckdb/node-api). The Parquet file must
 * hold exactly the events `events --ndjson` prints, in row groups of the
 * size asked; and the README's example query ("devices whose flushes were not
 * passed down, by host") — read from README.md itself — must answer with the
 * corpus' own numbers on a fleet of real captures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT, runCli } from './helpers/cli.js';
import { makeFleet } from './helpers/fleet.js';
import { analyze } from '../src/index.js';
import { ParquetEventWriter } from '../src/formats/events/parquet.js';
import type { CaptureSummary } from '../src/fleet/summary.js';
import { tempDir } from './helpers/tmp.js';

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

const q = (path: string) => `'${path.replace(/'/g, "''")}'`;
const VM = join(ROOT, 'fixtures/scenarios/vm-none-threads');
const VM_INPUTS = [`guest=${VM}/vda.blkparse.txt`, `qemu=${VM}/qemu-trace.log`, `host=${VM}/loop1.blkparse.txt`];

test('events --parquet holds exactly the events of events --ndjson (every column, every row)', async (t) => {
  const dir = tempDir('blkaudit-pq-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pq = join(dir, 'e.parquet');
  const nd = join(dir, 'e.ndjson');
  const r = await runCli(['events', '--parquet', pq, ...VM_INPUTS]);
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(nd, (await runCli(['events', '--ndjson', ...VM_INPUTS])).stdout);
  const cols = `source, loc::BIGINT AS loc, device, cpu::INTEGER AS cpu, seq::BIGINT AS seq, pid::INTEGER AS pid, action, rwbs, op,
    flags, sector::BIGINT AS sector, bytes::BIGINT AS bytes, error::INTEGER AS error, comm, aux::BIGINT AS aux, auxDev, text`;
  const a = `SELECT ${cols}, timeNs FROM read_parquet(${q(pq)})`;
  // NDJSON time is exact decimal text; read as DECIMAL(20,9) it gives the exact ns
  const b = `SELECT ${cols}, (time::DECIMAL(20,9) * 1000000000)::BIGINT AS timeNs
    FROM read_json(${q(nd)}, format = 'newline_delimited', columns = {source: 'VARCHAR', loc: 'BIGINT', time: 'VARCHAR', device: 'VARCHAR',
      cpu: 'INTEGER', seq: 'BIGINT', pid: 'INTEGER', action: 'VARCHAR', rwbs: 'VARCHAR', op: 'VARCHAR', flags: 'VARCHAR', sector: 'BIGINT',
      bytes: 'BIGINT', error: 'INTEGER', comm: 'VARCHAR', aux: 'BIGINT', auxDev: 'VARCHAR', text: 'VARCHAR'})`;
  const [counts] = await query(`SELECT (SELECT count(*) FROM (${a})) AS pq, (SELECT count(*) FROM (${b})) AS nd,
    (SELECT count(*) FROM ((${a}) EXCEPT ALL (${b}))) AS only_pq, (SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))) AS only_nd`);
  // independent count: the event lines of the two blkparse files (the QEMU log gives no block events)
  const eventLines = ['vda.blkparse.txt', 'loop1.blkparse.txt']
    .map((f) => readFileSync(join(VM, f), 'utf8').split('\n').filter((l) => /^\s*\d+,\d+\s+\d+\s+\d+\s+\d+\.\d+/.test(l)).length)
    .reduce((x, y) => x + y);
  assert.equal(eventLines, 1263 + 1315);
  assert.deepEqual(counts, { pq: String(eventLines), nd: String(eventLines), only_pq: '0', only_nd: '0' });
  // the layer column is the input's layer; time is timeNs in seconds
  const layers = await query(`SELECT layer, source, count(*) AS n, bool_and(abs(time - timeNs / 1e9) < 1e-9) AS same_time
    FROM read_parquet(${q(pq)}) GROUP BY ALL ORDER BY ALL`);
  assert.deepEqual(layers.map((l) => [l['layer'], String(l['source']).replace(`${VM}/`, ''), l['same_time']]), [
    ['guest', 'vda.blkparse.txt', true],
    ['host', 'loop1.blkparse.txt', true],
  ]);
});

test('events --parquet: one row group per ROW_GROUP events, the last one partial', async (t) => {
  const dir = tempDir('blkaudit-pq-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pq = join(dir, 'small-groups.parquet');
  const w = new ParquetEventWriter(pq, 500);
  const report = await analyze([`${VM}/vda.blkparse.txt`], { stages: [], onEvent: (e, s) => w.add(e, s.name, s.layer) });
  w.close();
  const events = report.inputs[0]!.events;
  assert.equal(w.count, events);
  const groups = await query(`SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata(${q(pq)}) GROUP BY ALL ORDER BY ALL`);
  const want = Array.from({ length: Math.ceil(events / 500) }, (_, i) => String(Math.min(500, events - i * 500)));
  assert.deepEqual(groups.map((g) => g['n']), want);
});

/** The SQL block of the README that starts with the query's title comment. */
function readmeQuery(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /```sql\n(-- devices whose flushes were not passed down, by host\n[\s\S]*?)```/.exec(readme);
  assert.ok(m, 'the README has the example query');
  return m[1]!;
}

test("the README's query on check --each NDJSON and events --parquet: devices whose flushes were not passed down, by host", async (t) => {
  const fleet = makeFleet(false);
  t.after(() => rmSync(fleet, { recursive: true, force: true }));
  const checks = await runCli(['check', '--each', fleet]);
  assert.equal(checks.code, 1, checks.stderr);
  writeFileSync(join(fleet, 'checks.ndjson'), checks.stdout);
  mkdirSync(join(fleet, 'events'));
  for (const line of checks.stdout.trim().split('\n')) {
    const c = JSON.parse(line) as CaptureSummary;
    const args = c.inputs.map((i) => (i.layer ? `${i.layer}=${i.path}` : i.path));
    const r = await runCli(['events', '--parquet', join(fleet, 'events', `${c.name.replace(/\//g, '_')}.parquet`), ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  const sql = readmeQuery()
    .replace("'checks.ndjson'", q(join(fleet, 'checks.ndjson')))
    .replace("'events/*.parquet'", q(join(fleet, 'events/*.parquet')));
  const rows = await query(sql);
  const dev = rows[0]?.['device'];
  assert.match(String(dev), /^0x[0-9a-f]+$/); // QEMU's BlockBackend, as its trace names it
  // MANIFEST: cache=unsafe — 104 guest flushes, each acknowledged with no host flush; 0 flushes on loop1
  assert.deepEqual(rows, [{
    host: 'hostB', capture: 'hostB/vm-unsafe-threads', layer: 'qemu', device: dev,
    flushes_not_passed_down: '104', guest_flushes: '104', host_flushes: '0',
  }]);
});
