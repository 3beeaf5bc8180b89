/**
 * Report renderers over real captures: the series stage (bounded, adaptive,
 * consistent with stats and check), the terminal report and charts, the JSON
 * document against its committed schema, and the schema validator itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { analyzeForReport } from '../src/analyze-report.js';
import { renderTerminal } from '../src/report/terminal.js';
import { renderCharts } from '../src/report/charts.js';
import { renderJson } from '../src/report/json.js';
import { reportSchema } from '../src/report/schema.js';
import { schemaErrors } from './helpers/schema.js';
import { sortFindings } from '../src/report/view.js';
import { DeviceBuckets, SeriesClock } from '../src/series/buckets.js';
import { binOf, binValue, quantile, BINS } from '../src/series/histogram.js';
import type { DeviceSeries } from '../src/series/types.js';
import type { Report, Finding } from '../src/model/report.js';

export const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/report/${name}`, import.meta.url));
const NOBARRIER = fixture('ext4-nobarrier.loop1.blkparse.txt');
const VM = (p: string) => fixture(`vm-unsafe-threads/${p}`);

const ANSI = /\x1b\[[0-9;]*m/g;
const sum = (a: ReadonlyArray<number | null>) => a.reduce<number>((x, y) => x + (y ?? 0), 0);
const series = (r: Report, layer: string, device: string) =>
  r.devices.find((d) => d.layer === layer && d.device === device)!['series'] as DeviceSeries;
const section = (r: Report, layer: string, device: string, name: string) =>
  r.devices.find((d) => d.layer === layer && d.device === device)![name] as Record<string, any>;

let nobarrier: Promise<Report> | undefined;
const nobarrierReport = () => (nobarrier ??= analyzeForReport([NOBARRIER]));
let vm: Promise<Report> | undefined;
const vmReport = () => (vm ??= analyzeForReport([`guest=${VM('guest/vda.blkparse.txt')}`, `qemu=${VM('qemu-trace.log')}`, `host=${VM('host/loop1.blkparse.txt')}`]));

test('histogram: bins are monotone, quantiles pick the right bin', () => {
  assert.equal(binOf(500), 0);
  assert.equal(binOf(1000), 1);
  let prev = -1;
  for (let ns = 1000; ns < 1e12; ns *= 1.07) {
    const b = binOf(ns);
    assert.ok(b >= prev && b < BINS);
    // the representative value is within one bin (±19 %) of the sample
    if (b < BINS - 1) assert.ok(Math.abs(binValue(b) / ns - 1) < 0.2, `${ns} → ${binValue(b)}`);
    prev = b;
  }
  const h = new Uint32Array(BINS * 2);
  for (let i = 0; i < 98; i++) h[BINS + binOf(10_000)]!++;
  h[BINS + binOf(5_000_000)]! += 2;
  assert.equal(quantile(h, 0, 0.5), null);
  assert.equal(quantile(h, BINS, 0.5), binValue(binOf(10_000)));
  assert.equal(quantile(h, BINS, 0.99), binValue(binOf(5_000_000)));
});

test('buckets: the interval doubles and pairs merge; totals and maxima survive; never more than the cap', () => {
  const clock = new SeriesClock(8);
  const b = new DeviceBuckets(clock);
  // 1000 events 1 µs apart from t=0: one completion and in-flight 0→3→0 around each
  let inFlightPeak = 0;
  for (let k = 0; k < 1000; k++) {
    const t = k * 1000;
    const i = b.at(t);
    b.q2cSample(i, 2000);
    const v = k === 700 ? 9 : k % 3;
    b.setInFlight(i, v);
    inFlightPeak = Math.max(inFlightPeak, v);
    b.setVolatile(i, k * 10);
    if (k % 100 === 0) b.flushDone(i, 50_000 + k, true);
  }
  const s = b.result();
  assert.ok(s.buckets <= 8 && s.buckets >= 4, `${s.buckets} buckets`);
  assert.equal(s.interval * 1e9, 1000 * 2 ** Math.log2((s.interval * 1e9) / 1000), 'a power-of-two multiple of 1 µs');
  assert.equal(s.interval, 128e-6);
  assert.equal(sum(s.completions), 1000);
  assert.equal(sum(s.flushes), 10);
  assert.equal(Math.max(...s.inFlightMax), inFlightPeak);
  assert.equal(Math.max(...s.volatileBytesMax), 9990);
  assert.equal(Math.max(...(s.flushLatencyMax as number[])) * 1e9, 50_900);
  // time-weighted mean in flight: pattern 0,1,2 repeating (the 9 held 1 µs) → ≈ 1
  const area = s.inFlightAvg.reduce((a, v) => a + v * s.interval, 0);
  assert.ok(Math.abs(area / (999e-6) - 1) < 0.02, `mean ${area / 999e-6}`);
});

test('series on ext4-nobarrier: bounded, starts at the first event, agrees with stats and check', async () => {
  const r = await nobarrierReport();
  const s = series(r, '', '7,1');
  const stats = section(r, '', '7,1', 'stats');
  const check = section(r, '', '7,1', 'check');
  assert.ok(s.buckets <= 200 && s.buckets > 100, `${s.buckets}`);
  assert.equal(s.start, stats['firstTime']);
  assert.ok(s.start + s.buckets * s.interval >= stats['lastTime']);
  for (const k of ['completions', 'readBytes', 'writeBytes', 'q2cP50', 'q2cP99', 'inFlightAvg', 'inFlightMax', 'volatileBytesMax', 'flushes', 'flushErrors', 'flushLatencyMax', 'flushLatencyMean'] as const) {
    assert.equal((s[k] as unknown[]).length, s.buckets, k);
  }
  assert.equal(sum(s.flushes), 0);
  assert.equal(sum(s.completions), stats['latencyTrue']['Q2C']['n'] - stats['flushes']['emptyBioQ2C']['n']);
  assert.equal(sum(s.writeBytes), 1822720);
  assert.equal(Math.max(...s.volatileBytesMax), check['maxVolatileBytes']);
  assert.equal(Math.max(...s.inFlightMax), stats['queueDepth']['atDevice']['max']);
  // nothing is ever flushed: the not-durable curve never goes down
  for (let i = 1; i < s.buckets; i++) assert.ok(s.volatileBytesMax[i]! >= s.volatileBytesMax[i - 1]!);
});

test('series on the unsafe VM: guest flushes counted, host never flushed', async () => {
  const r = await vmReport();
  const guest = series(r, 'guest', '254,0');
  const host = series(r, 'host', '7,1');
  assert.equal(sum(guest.flushes), 104);
  assert.equal(sum(guest.flushes), section(r, 'guest', '254,0', 'stats')['flushes']['completed']);
  assert.equal(sum(host.flushes), 0);
  assert.equal(Math.max(...host.volatileBytesMax), section(r, 'host', '7,1', 'check')['maxVolatileBytes']);
  assert.ok(guest.buckets <= 200 && host.buckets <= 200);
});

function sevRank(f: Finding): number {
  return { error: 0, warning: 1, info: 2 }[f.severity];
}

test('terminal report: stack, findings in order with evidence, device summary; no colour unless asked', async () => {
  const r = await nobarrierReport();
  assert.equal(r.findings.length, 1);
  const text = renderTerminal(r, { width: 100, color: false });
  assert.ok(!text.includes('\x1b'), 'no escape sequence without colour');
  assert.match(text.split('\n')[0]!, /^blkaudit report: warnings — 1 incident\(s\) from 0 error\(s\), 1 warning\(s\), 0 info$/);
  assert.match(text, /^INCIDENTS \(1, from 1 finding\(s\)\)$/m);
  assert.match(text, /i1 WARNING flush-never-issued {2}loop1 \(7,1\)|i1 WARNING flush-never-issued {2}7,1/);
  // the evidence lines point at the trace: file:line, reference time, own time, event; 4 by default, all with --all
  const evidenceOf = (t: string) => t.split('\n').filter((l) => l.includes('ext4-nobarrier.loop1.blkparse.txt:'));
  assert.equal(evidenceOf(text).length, Math.min(4, r.findings[0]!.evidence.length));
  assert.equal(evidenceOf(renderTerminal(r, { width: 100, all: true })).length, r.findings[0]!.evidence.length);
  assert.match(evidenceOf(text)[0]!, /blkparse\.txt:41 {2}0\.000628 s {2}@0\.000628403 {2}C WSM 1048576 \+ 8/);
  assert.match(text, /^ {11}device (loop1 \()?7,1\)? {2}cache unknown \(unknown\) {2}1 finding\(s\)$/m);
  assert.match(text, /NOT DURABLE max/);
  assert.match(text, /1\.74 MiB/);
  const colored = renderTerminal(r, { width: 100, color: true });
  assert.ok(colored.includes('\x1b[33m'), 'warning in yellow');
  assert.equal(colored.replace(ANSI, ''), text, 'colour changes nothing but colour');
});

test('findings are sorted by severity, then time', () => {
  const mk = (severity: Finding['severity'], time: number, rule: string): Finding => ({ rule, severity, layer: '', device: '7,1', time, message: rule, evidence: [] });
  const sorted = sortFindings([mk('info', 1, 'a'), mk('error', 5, 'b'), mk('warning', 0, 'c'), mk('error', 2, 'd')]);
  assert.deepEqual(sorted.map((f) => f.rule), ['d', 'b', 'c', 'a']);
  for (let i = 1; i < sorted.length; i++) assert.ok(sevRank(sorted[i - 1]!) <= sevRank(sorted[i]!));
});

test('terminal charts fit the width, mark flushes and findings, say when there is no flush', async () => {
  const r = await vmReport();
  for (const width of [60, 80, 132]) {
    const text = renderCharts(r, { width, color: false });
    for (const line of text.split('\n')) assert.ok([...line].length <= width, `${width}: ${JSON.stringify(line)} is ${[...line].length} wide`);
    assert.equal((text.match(/^Q2C latency per interval/gm) ?? []).length, 2, 'one latency chart per block device');
  }
  const text = renderCharts(r, { width: 100, color: false });
  assert.match(text, /Flush request latency, issue → completion \(maximum per interval; 104 flushes\)/);
  assert.match(text, /Flush latency: no flush request completed on this device in the trace/);
  const markerRows = text.split('\n').filter((l) => /^ {2}flush ▲|^ no flush/.test(l));
  assert.equal(markerRows.length, 2);
  assert.ok(markerRows[0]!.includes('▲'), 'guest flushes marked');
  assert.ok(markerRows[1]!.includes('!'), 'the host finding marked');
  const colored = renderCharts(r, { width: 100, color: true });
  assert.ok(colored.includes('\x1b['));
  assert.equal(colored.replace(ANSI, ''), text, 'colour changes nothing but colour');
  // y axes: 0-based, 1-2-5 steps in one unit per chart; x axes: labelled at regular 1-2-5 steps of seconds
  const yLabels = text.split('\n').map((l) => /^ *([0-9.]+)( (?:µs|ms|s|B|KiB|MiB))?[┤┼]/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  assert.ok(yLabels.length > 20);
  const charts: number[][] = [];
  let cur: number[] = [];
  for (const m of yLabels) {
    const v = Number(m[1]);
    if (cur.length && v >= cur[cur.length - 1]!) { charts.push(cur); cur = []; }
    cur.push(v);
  }
  charts.push(cur);
  for (const c of charts) {
    assert.equal(c[c.length - 1], 0, `axis ends at 0: ${c.join(' ')}`);
    const step = c[c.length - 2]!;
    assert.match(String(step), /^(1|2|5)(0*|\.0*[125]?)?$|^0\.0*[125]$/, `a 1-2-5 step: ${c.join(' ')}`);
    c.forEach((v, i) => assert.ok(Math.abs(v - step * (c.length - 1 - i)) < step * 1e-6, `even ticks: ${c.join(' ')}`));
  }
  const timeRows = text.split('\n').filter((l) => l.startsWith(' time (s)'));
  assert.ok(timeRows.length >= 4);
  for (const row of timeRows) {
    const labels = row.slice(9).trim().split(/ +/).map(Number);
    assert.ok(labels.length >= 2, row);
    const steps = labels.slice(1).map((v, i) => +(v - labels[i]!).toFixed(9));
    assert.ok(steps.every((x) => x === steps[0]), `regular time steps: ${row}`);
  }
  // p50 is drawn with a marker of its own, p99 with the line
  assert.match(text, /── p99 {3}• p50/);
  assert.ok(text.split('\n').some((l) => /[┤┼].*•/.test(l)));
  // on the reference clock: the guest's charts start where the stack's first event is placed
  assert.match(text, /times: reference clock \(guest\)/);
  assert.match(text, /times: host clock, not aligned/);
});

test('JSON report validates against the committed schema (single and multi-layer, Ajv)', async () => {
  for (const r of [await nobarrierReport(), await vmReport()]) {
    const doc = JSON.parse(renderJson(r)) as unknown;
    assert.deepEqual(schemaErrors('report', doc), []);
    assert.deepEqual(doc, JSON.parse(JSON.stringify(r)), 'the JSON is the Report itself');
  }
});

test('the schema catches wrong types, missing and extra fields, bad enums (so the validation above can fail)', async () => {
  const good = JSON.parse(renderJson(await nobarrierReport())) as Record<string, any>;
  const bad = structuredClone(good);
  delete bad['findings'];
  bad['extra'] = 1;
  bad['inputs'][0]['events'] = 'many';
  bad['devices'][0]['series']['q2cP50'][0] = 'slow';
  bad['schemaVersion'] = 1;
  assert.deepEqual(schemaErrors('report', bad).sort(), [
    '/: must NOT have additional properties',
    "/: must have required property 'findings'",
    '/devices/0/series/q2cP50/0: must be number,null',
    '/inputs/0/events: must be integer',
    '/schemaVersion: must be equal to constant',
  ]);
  const sev = structuredClone(good);
  sev['findings'][0]['severity'] = 'fatal';
  assert.deepEqual(schemaErrors('report', sev), ['/findings/0/severity: must be equal to one of the allowed values ["error","warning","info"]']);
  assert.equal((reportSchema() as { $id: string }).$id, 'urn:blkaudit:report:2', '`report --schema` prints the committed schema');
});

test('schema documents every field it names', () => {
  const missing: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, any>;
    for (const [k, v] of Object.entries((n['properties'] ?? {}) as Record<string, any>)) {
      if (typeof v['description'] !== 'string' || v['description'].length < 3) missing.push(`${path}.${k}`);
      walk(v, `${path}.${k}`);
    }
    if (n['items']) walk(n['items'], `${path}[]`);
    if (typeof n['additionalProperties'] === 'object') walk(n['additionalProperties'], `${path}{}`);
    for (const [k, v] of Object.entries((n['$defs'] ?? {}) as Record<string, unknown>)) walk(v, `#${k}`);
  };
  walk(reportSchema(), '');
  assert.deepEqual(missing, []);
});
