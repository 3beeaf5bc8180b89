/**
 * Acceptance: the three-layer capture of a VM run with QEMU cache=unsafe
 * (guest vda, QEMU trace, host loop1; fixtures/report/vm-unsafe-threads):
 * 104 guest flushes completed while the host never flushed. The broken flush
 * promise must appear in the terminal report, the JSON and the HTML.
 *
 * The cross-layer finding comes from the correlation stage (src/correlate).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { analyzeForReport } from '../src/analyze-report.js';
import { renderTerminal } from '../src/report/terminal.js';
import { renderJson } from '../src/report/json.js';
import { renderHtml } from '../src/report/html.js';
import { schemaErrors } from './helpers/schema.js';
import type { Finding, Report } from '../src/model/report.js';

const v = (p: string) => fileURLToPath(new URL(`../../fixtures/report/vm-unsafe-threads/${p}`, import.meta.url));
const INPUTS = [`guest=${v('guest/vda.blkparse.txt')}`, `qemu=${v('qemu-trace.log')}`, `host=${v('host/loop1.blkparse.txt')}`];

/** A broken flush promise: an error about flushes reported for the layers above the host. */
const brokenFlush = (f: Finding) => f.severity === 'error' && /flush/i.test(f.rule) && f.layer !== 'host';

function htmlFindings(html: string): Array<{ rule: string; layer: string; severity: string }> {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m);
  return (JSON.parse(m[1]!) as { findings: Array<{ rule: string; layer: string; severity: string }> }).findings;
}

let cached: Promise<Report> | undefined;
const report = () => (cached ??= analyzeForReport(INPUTS));

test('vm-unsafe-threads: three layers in stack order in every output', async () => {
  const r = await report();
  assert.deepEqual(r.layers.map((l) => l.name), ['guest', 'qemu', 'host']);
  const text = renderTerminal(r, { width: 120 });
  const order = ['guest', 'qemu', 'host'].map((l) => text.search(new RegExp(`^  ${l} +\\S`, 'm')));
  assert.ok(order.every((i) => i >= 0) && order[0]! < order[1]! && order[1]! < order[2]!, `stack order ${order}`);
  const doc = JSON.parse(renderJson(r)) as Report;
  assert.deepEqual(schemaErrors('report', doc), []);
  assert.deepEqual(doc.layers.map((l) => l.name), ['guest', 'qemu', 'host']);
  assert.equal(htmlFindings(renderHtml(r)).length, r.findings.length);
});

test('vm-unsafe-threads: the broken flush promise is in the terminal, the JSON and the HTML', async () => {
  const r = await report();
  const broken = r.findings.filter(brokenFlush);
  // every one of the 104 guest flushes was acknowledged by QEMU with no host flush (corpus MANIFEST)
  assert.equal(broken.length, 104);
  // by default one incident stands for them, naming QEMU and the number of flushes; --all lists each
  const text = renderTerminal(r, { width: 120 });
  const first = text.split('\n').find((l) => /^ {2}i\d+ (ERROR|WARNING|INFO) /.test(l))!;
  assert.match(first, /^ {2}i1 ERROR flush-not-passed-down ×104 /);
  assert.match(text, /^ {5}QEMU \(cache=unsafe, inferred: /m);
  assert.match(text, /acknowledged 104 guest\s+flushes between/);
  const all = renderTerminal(r, { width: 120, all: true });
  const shown = all.split('\n').filter((l) => broken.some((f) => new RegExp(`^ +finding ${f.id} at `).test(l)));
  assert.equal(shown.length, broken.length, 'each broken-flush finding has its line with --all');
  const doc = JSON.parse(renderJson(r)) as Report;
  assert.equal(doc.findings.filter(brokenFlush).length, broken.length);
  assert.deepEqual(schemaErrors('report', doc), []);
  const html = htmlFindings(renderHtml(r)).filter((f) => f.severity === 'error' && /flush/i.test(f.rule) && f.layer !== 'host');
  assert.equal(html.length, broken.length);
  for (const f of broken) assert.ok(f.evidence.length > 0, `${f.rule} carries evidence`);
});

test('the correlation section and clock alignments are shown in every output', async () => {
  const r = await report();
  const guestQemu = (r.alignment as Array<{ upper: string; lower: string; method: string; supportingPairs: number }>)
    .find((a) => a.upper.startsWith('guest') && a.lower.startsWith('qemu'))!;
  assert.equal(guestQemu.method, 'causal-offset');
  assert.ok(guestQemu.supportingPairs > 100);
  const statement = '104 flush(es) acknowledged at guest (254,0); 0 flush(es) at host (7,1)';
  assert.ok(r.correlation!.statements.includes(statement));
  const text = renderTerminal(r, { width: 200 });
  assert.match(text, /^ {4}guest:254,0 ↔ qemu:0x[0-9a-f]+: causal-offset, offset 5\.22\d+ s ± [\d.]+ µs, \d+\/\d+ pairs agree/m);
  assert.ok(text.includes(`    ${statement}\n`));
  assert.match(text, /^ {2}what the traces cannot show$/m);
  assert.deepEqual(schemaErrors('report', JSON.parse(renderJson(r))), []);
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(renderHtml(r))!;
  const model = JSON.parse(m[1]!) as { alignment: Array<{ upper: string; lower: string; text: string }>; statements: string[]; limitations: string[] };
  assert.equal(model.alignment.length, r.alignment.length);
  assert.ok(model.statements.includes(statement));
  assert.equal(model.limitations.length, r.correlation!.limitations.length);
});
