/**
 * One request tracker per device per layer (track/lifecycle-pair.ts): when `check` and the correlation read
 * the same layer, the correlator's operation tables subscribe to the checker's trackers instead of running
 * their own. Checked on every stack fixture (layer by layer and one file per machine):
 *  - each block event reaches a tracker once, as in a check alone (twice before);
 *  - the operation tables are those the correlator builds with trackers of its own (correlate alone),
 *    column by column.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../src/index.js';
import { RequestTracker } from '../src/track/lifetime.js';
import type { CorrelationResult } from '../src/correlate/correlator.js';
import type { OpTable } from '../src/correlate/ops.js';
import { ROOT } from './helpers/cli.js';

const DIR = join(ROOT, 'fixtures/stacks');
/** `stack`: the layers of a host-only stack whose `inputs` are its files as `check --each` finds them (one unnamed layer). */
interface Capture { name: string; inputs: string[]; stack?: string[]; inputs_one_file_per_machine?: string[] }
const captures = (JSON.parse(readFileSync(join(DIR, 'EXPECTED.json'), 'utf8')) as { captures: Capture[] }).captures;
const forms = captures.flatMap((c) => [
  { name: c.name, inputs: c.stack ?? c.inputs },
  ...(c.inputs_one_file_per_machine ? [{ name: `${c.name} (one file per machine)`, inputs: c.inputs_one_file_per_machine }] : []),
]);
const path = (arg: string) => {
  const eq = arg.indexOf('=');
  return eq > 0 ? `${arg.slice(0, eq)}=${join(DIR, arg.slice(eq + 1))}` : join(DIR, arg);
};

/** Runs `stages` over the inputs; returns the tracker calls made and the correlation result (if any). */
async function run(inputs: string[], stages: string[]): Promise<{ matched: number; result?: CorrelationResult }> {
  const event = RequestTracker.prototype.event;
  let matched = 0;
  RequestTracker.prototype.event = function (this: RequestTracker, e) {
    matched++;
    return event.call(this, e);
  };
  let result: CorrelationResult | undefined;
  try {
    await analyze(inputs.map(path), {
      parseWorker: false,
      stages,
      stageOptions: { check: { cache: [] }, correlate: { order: inputs.map((i) => i.split('=')[0]!) } },
      onStageResult: (stage, r) => {
        if (stage === 'correlate') result = r as CorrelationResult;
      },
    });
  } finally {
    RequestTracker.prototype.event = event;
  }
  return result ? { matched, result } : { matched };
}

const COLUMNS = ['kind', 'flags', 'sector', 'count', 'tI', 'tC', 'locI', 'locC', 'src', 'ext', 'tag'] as const;

function sameTable(a: OpTable, b: OpTable, label: string): void {
  assert.equal(a.n, b.n, `${label}: rows`);
  for (const c of COLUMNS) {
    const x = a[c].subarray(0, a.n);
    const y = b[c].subarray(0, b.n);
    for (let i = 0; i < a.n; i++) if (!Object.is(x[i], y[i])) assert.fail(`${label}: ${c}[${i}] ${x[i]} != ${y[i]}`);
  }
}

test('check + correlate match every block event once, and build the tables the correlator builds alone', async () => {
  let tables = 0;
  for (const f of forms) {
    const checkOnly = await run(f.inputs, ['check']);
    const both = await run(f.inputs, ['check', 'correlate']);
    const alone = await run(f.inputs, ['correlate']);
    assert.equal(both.matched, checkOnly.matched, `${f.name}: tracker calls with the correlation`);
    // alone, the correlator's own trackers are called for every event (the checker's skip message lines)
    assert.ok(alone.matched >= checkOnly.matched, `${f.name}: the correlator alone tracks every event too (${alone.matched} < ${checkOnly.matched})`);
    const a = both.result!.stack.levels;
    const b = alone.result!.stack.levels;
    assert.deepEqual(a.map((l) => l.name), b.map((l) => l.name), f.name);
    for (let i = 0; i < a.length; i++) {
      if (a[i]!.table.role !== 'block') continue;
      sameTable(a[i]!.table, b[i]!.table, `${f.name} ${a[i]!.name}`);
      tables++;
    }
  }
  assert.ok(tables >= 40, `${tables} block tables compared`);
});
