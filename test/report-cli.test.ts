/**
 * `blkaudit report` end to end (the real bin), untrusted text in every output,
 * and the progress line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, runCli } from './helpers/cli.js';
import { reportSchema } from '../src/report/schema.js';
import { schemaErrors } from './helpers/schema.js';
import { analyzeForReport } from '../src/analyze-report.js';
import { renderTerminal } from '../src/report/terminal.js';
import { renderCharts } from '../src/report/charts.js';
import { renderJson } from '../src/report/json.js';
import { renderHtml } from '../src/report/html.js';
import { clientMain } from '../src/report/html-client.js';
import { createProgress } from '../src/report/progress.js';
import { wantColor } from '../src/cli/report.js';
import type { Report } from '../src/model/report.js';
import { tempDir } from './helpers/tmp.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/report/${name}`, import.meta.url));
const NOBARRIER = fixture('ext4-nobarrier.loop1.blkparse.txt');
const SCRIPT = '<script>alert(1)</script>';
const OSC = '\x1b]0;pwned\x07';

test('report: terminal on stdout, --json and --html files, exit 0; --fail-on warning exits 1', async () => {
  const dir = tempDir('blkaudit-report-');
  try {
    const json = join(dir, 'r.json');
    const html = join(dir, 'r.html');
    const r = await runCli(['report', '--json', json, '--html', html, '--charts', NOBARRIER]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^INCIDENTS \(1, from 1 finding\(s\)\)$/m);
    assert.match(r.stdout, /^Acknowledged, not yet durable/m);
    assert.ok(!r.stdout.includes('\x1b'), 'stdout is not a TTY: no colour');
    // stderr is not a TTY: no progress line, only the note about the HTML file
    assert.equal(r.stderr, `blkaudit: wrote HTML report to ${html}\n`);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.deepEqual(schemaErrors('report', doc), []);
    assert.equal(doc.findings.length, 1);
    assert.equal(doc.findings[0]!.rule, 'flush-never-issued');
    assert.match(readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
    const fail = await runCli(['report', '--fail-on', 'warning', NOBARRIER]);
    assert.equal(fail.code, 1);
    const pass = await runCli(['report', '--fail-on', 'error', NOBARRIER]);
    assert.equal(pass.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report --json - prints only JSON; --schema prints the schema; usage errors exit 2', async () => {
  const r = await runCli(['report', '--json', '-', NOBARRIER]);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout) as Report;
  assert.equal(doc.schemaVersion, 2);
  assert.equal(doc.generator.name, 'blkaudit');
  const s = await runCli(['report', '--schema']);
  assert.equal(s.code, 0);
  assert.deepEqual(JSON.parse(s.stdout), reportSchema());
  assert.equal((await runCli(['report'])).code, 2);
  assert.equal((await runCli(['report', '--fail-on', 'sometimes', NOBARRIER])).code, 2);
  const unwritable = await runCli(['report', '--html', '/nonexistent-dir/r.html', NOBARRIER]);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write \/nonexistent-dir\/r\.html/);
});

/** A hostile trace under a hostile file name: a process name with markup and one with an OSC title sequence. */
async function hostileReport(dir: string): Promise<{ report: Report; path: string }> {
  const path = join(dir, `<img src=x onerror=alert(2)>${OSC}.blkparse.txt`);
  copyFileSync(fixture('hostile-names.blkparse.txt'), path);
  const report = await analyzeForReport([path]);
  return { report, path };
}

test('hostile process and file names are inert in the terminal, the charts and the JSON', async () => {
  const dir = tempDir('blkaudit-hostile-');
  try {
    const { report } = await hostileReport(dir);
    // the trace's strings did reach the report (else this test proves nothing)
    const io = report.findings.filter((f) => f.rule === 'io-error');
    assert.equal(io.length, 1);
    assert.equal(io[0]!.evidence[0]!.comm, SCRIPT + OSC);
    const text = renderTerminal(report, { width: 100, color: false }) + renderCharts(report, { width: 100, color: false });
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(text), 'no control character reaches the terminal');
    assert.ok(text.includes(`[${SCRIPT}\\x1b]0;pwned\\x07]`), 'the name is shown, escaped');
    assert.ok(text.includes('<img src=x onerror=alert(2)>\\x1b]0;pwned\\x07.blkparse.txt'), 'the file name is shown, escaped');
    const colored = renderTerminal(report, { width: 100, color: true });
    assert.ok(!colored.includes('\x1b]') && !colored.includes('\x07'), 'colour adds SGR codes only');
    const json = renderJson(report);
    assert.ok(!/[\x00-\x1f\u2028\u2029<>&]/.test(json.replace(/\n/g, '')), 'JSON text carries no raw control, markup or line-separator character');
    const back = JSON.parse(json) as Report;
    assert.equal(back.findings.find((f) => f.rule === 'io-error')!.evidence[0]!.comm, SCRIPT + OSC, 'and the value survives exactly');
    assert.deepEqual(schemaErrors('report', back), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile names are inert in the HTML: escaped title, data block that cannot close, no markup API in the script', async () => {
  const dir = tempDir('blkaudit-hostile-');
  try {
    const { report } = await hostileReport(dir);
    const html = renderHtml(report);
    assert.equal((html.match(/<script/gi) ?? []).length, 2, 'only our two script elements');
    assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
    assert.ok(!html.includes('<img'), 'no markup from the file name');
    assert.ok(!html.includes('\x1b') && !html.includes('\x07'), 'control characters are escaped in the data');
    assert.ok(html.includes('<title>blkaudit report — &#60;img src=x onerror=alert(2)&#62;\\x1b]0;pwned\\x07.blkparse.txt</title>'), 'title escaped');
    const data = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
    assert.ok(data, 'data block found');
    const model = JSON.parse(data[1]!) as { findings: Array<{ evidence: Array<{ event: string; where: string }> }> };
    const events = model.findings.flatMap((f) => f.evidence.map((e) => e.event));
    assert.ok(events.includes(`D WS 9088 + 8 [${SCRIPT}\\x1b]0;pwned\\x07]`), 'the page gets the text, controls made visible, to insert with textContent');
    const client = clientMain.toString();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'srcdoc']) {
      assert.ok(!client.includes(sink), `page script uses ${sink}`);
    }
    const csp = /Content-Security-Policy" content="([^"]*)"/.exec(html)![1]!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress: drawn on a TTY (bytes of total, events/s, elapsed), erased at the end; silent otherwise', () => {
  const writes: string[] = [];
  let now = 1000;
  const p = createProgress({ isTTY: true, columns: 120, write: (s: string) => writes.push(s) }, 4 * 1024 * 1024, () => now, 200);
  assert.equal(p.active, true);
  for (let i = 0; i < 5000; i++) p.event();
  now += 500;
  p.chunk(1024 * 1024, 'a');
  p.chunk(2 * 1024 * 1024, 'a'); // too soon after the last draw: skipped
  now += 500;
  p.chunk(2 * 1024 * 1024, 'a');
  p.done();
  assert.equal(writes.length, 3);
  assert.equal(writes[0], '\rblkaudit: read 1.00 MiB of 4.00 MiB (25%), 5000 events, 10000 events/s, 0.5 s\x1b[K');
  assert.equal(writes[1], '\rblkaudit: read 2.00 MiB of 4.00 MiB (50%), 5000 events, 5000 events/s, 1.0 s\x1b[K');
  assert.equal(writes[2], '\r\x1b[K');
  const quiet: string[] = [];
  const q = createProgress({ isTTY: false, write: (s: string) => quiet.push(s) }, 100, () => now);
  q.event();
  q.chunk(10, 'a');
  q.done();
  assert.equal(q.active, false);
  assert.deepEqual(quiet, []);
  assert.ok(existsSync(NOBARRIER));
});

test('colour: only on a TTY, never with --no-color or NO_COLOR', () => {
  assert.equal(wantColor(undefined, true, {}), true);
  assert.equal(wantColor(true, true, {}), true);
  assert.equal(wantColor(false, true, {}), false, '--no-color');
  assert.equal(wantColor(undefined, false, {}), false, 'not a TTY');
  assert.equal(wantColor(undefined, undefined, {}), false);
  assert.equal(wantColor(undefined, true, { NO_COLOR: '1' }), false);
  assert.equal(wantColor(undefined, true, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
});

test('report --cache with a device name the input does not have (a typo) exits 2, as check does', async () => {
  const file = join(ROOT, 'fixtures/check/real/host-ext4-fsync/loop1.blkparse.txt');
  for (const cmd of ['report', 'check']) {
    const r = await runCli([cmd, '--cache', 'lopo1=writeback', file]);
    assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /--cache lopo1: no such device in the input \(devices: loop1 \(7,1\)\)/);
  }
  assert.equal((await runCli(['report', '--cache', 'loop1=writeback', file])).code, 0);
});
