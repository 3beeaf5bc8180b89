/**
 * The HTML report opened in headless Chromium (Debian's `chromium`): it must
 * render with no console error and no network request, draw the timeline,
 * the charts and the findings (exact counts from the Report), let a finding
 * be chosen from the timeline, and keep hostile trace text as text. The
 * page opens with the verdict and the incidents; every layer that can be is
 * on one time axis, QEMU in lanes of its own; no epoch second, no -1 time.
 * Screenshots at 1400 and 800 px wide go to test-artifacts/ (gitignored).
 *
 * Skipped only when Chromium is absent and CI is not set; in CI it must run
 * (.ci/run installs it: apt-get install -y chromium).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyzeForReport } from '../src/analyze-report.js';
import { renderHtml } from '../src/report/html.js';
import { timelineLanes } from '../src/report/html-timeline.js';
import type { Report } from '../src/model/report.js';
import { findChromium, launch, type Browser } from './e2e-html-chromium.js';
import { tempDir } from './helpers/tmp.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/report/${name}`, import.meta.url));
const scenario = (name: string) => fileURLToPath(new URL(`../../fixtures/scenarios/${name}`, import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface PageFacts {
  timelines: number;
  lanes: number;
  laneLabels: string[];
  timelineFlushTicks: number;
  findings: number;
  findingRules: string[];
  incidents: number;
  members: number;
  verdict: string;
  firstSummary: string;
  deviceRows: string[];
  charts: number;
  chartPaths: number;
  markers: number;
  scripts: number;
  images: number;
  overflow: number;
  text: string;
  /** The page without the skipped-input section, which quotes unusable trace lines verbatim. */
  ownText: string;
}

const FACTS = `(() => ({
  timelines: document.querySelectorAll('svg.timeline').length,
  lanes: document.querySelectorAll('svg.timeline g.lane').length,
  laneLabels: [...document.querySelectorAll('svg.timeline g.lane .lane-label')].map((e) => e.textContent),
  timelineFlushTicks: document.querySelectorAll('svg.timeline .flush-tick').length,
  findings: document.querySelectorAll('details.finding').length,
  findingRules: [...document.querySelectorAll('details.finding .rule')].map((e) => e.textContent),
  incidents: document.querySelectorAll('.incident').length,
  members: document.querySelectorAll('.incident details.members details.finding').length,
  verdict: document.querySelector('h1').textContent,
  firstSummary: (document.querySelector('.incident .summary-text') || { textContent: '' }).textContent,
  deviceRows: [...document.querySelectorAll('table.summary tr td:first-child')].map((e) => e.textContent),
  charts: document.querySelectorAll('figure.chart').length,
  chartPaths: document.querySelectorAll('figure.chart path.line, figure.chart circle.dot').length,
  markers: document.querySelectorAll('svg.timeline .tri.marker').length,
  scripts: document.querySelectorAll('script').length,
  images: document.querySelectorAll('img, iframe, object, embed').length,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  text: document.body.textContent,
  ownText: [...document.querySelectorAll('#app > *:not(#skipped)')].map((e) => e.textContent).join('\\n'),
}))()`;

/** What the page must show, from the Report and the same lanes the page is given. */
function expected(report: Report) {
  const withSeries = report.devices.filter((d) => d['series']);
  const lanes = timelineLanes(report);
  const empty = report.layers.filter((l) => !lanes.some((x) => x.layer === l.name)).length;
  let ticks = 0;
  for (const l of lanes) for (const f of l.flushes) if (f > 0) ticks++;
  const unaligned = new Set(lanes.filter((l) => !l.placed).map((l) => l.layer)).size;
  // cards: per incident its first (and worst), then the other members
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const rules: string[] = [];
  for (const inc of report.incidents ?? []) {
    const shown = inc.count > 1 && inc.worst !== inc.first ? [inc.first, inc.worst] : [inc.first];
    for (const id of [...shown, ...inc.members.filter((m) => !shown.includes(m))]) rules.push(byId.get(id)!.rule);
  }
  const markers = report.findings.filter((f) => f.time !== null || f.localTime !== undefined).length;
  return { lanes: lanes.length + empty, ticks, timelines: 1 + unaligned, charts: 4 * withSeries.length, rules, markers };
}

async function open(browser: Browser, dir: string, name: string, report: Report): Promise<PageFacts> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, renderHtml(report));
  browser.reset();
  const url = pathToFileURL(file).href;
  await browser.navigate(url);
  const facts = await browser.evaluate<PageFacts>(FACTS);
  // hover a chart: the tooltip shows one interval's values
  const tip = await browser.evaluate<string>(`(() => {
    const hit = document.querySelector('figure.chart rect.hit');
    if (!hit) return '';
    const r = hit.getBoundingClientRect();
    hit.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: r.left + r.width / 2, clientY: r.top + 5 }));
    return document.querySelector('.tooltip').hidden ? '' : document.querySelector('.tooltip').textContent;
  })()`);
  if (report.devices.some((d) => d['series'])) assert.match(tip, /^\d+\.\d{6}–\d+\.\d{6} s\n/, `${name}: tooltip`);
  // screenshots at a desktop and a narrow width, kept as test artifacts (test-artifacts/ is gitignored)
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const width of [1400, 800]) {
    writeFileSync(join(ARTIFACTS, `report-${name}-${width}.png`), await browser.screenshot(width));
    writeFileSync(join(ARTIFACTS, `report-${name}-${width}-top.png`), await browser.screenshot(width, 0, 900));
    const overflow = await browser.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `${name} at ${width} px: no horizontal scrolling (${overflow} px too wide)`);
  }
  assert.deepEqual(browser.problems.errors, [], `${name}: console errors`);
  assert.deepEqual(browser.problems.requests, [url], `${name}: the page requested nothing but itself`);
  return facts;
}

/** No epoch second (a realtime clock printed raw) and no -1 standing for a missing time. */
function assertOneClock(name: string, text: string): void {
  assert.ok(!/\b1[5-9]\d{8}\.\d/.test(text), `${name}: an epoch second in the page`);
  assert.ok(!/(^|[\s(])-1(\.0+)?( s)?\b/.test(text), `${name}: a -1 time in the page`);
}

test('HTML report in headless Chromium: renders without errors or network, timeline, charts and findings drawn', async (t) => {
  const chromium = findChromium();
  if (!chromium) {
    assert.ok(!process.env['CI'], 'Chromium is required in CI: apt-get install -y chromium');
    t.skip('chromium not installed (apt-get install -y chromium); in CI this fails');
    return;
  }
  const dir = tempDir('blkaudit-e2e-');
  const browser = await launch(chromium);
  try {
    // single layer, one warning finding, no flush at all
    const nobarrier = await analyzeForReport([fixture('ext4-nobarrier.loop1.blkparse.txt')]);
    const e1 = expected(nobarrier);
    const f1 = await open(browser, dir, 'ext4-nobarrier', nobarrier);
    assert.equal(f1.timelines, 1);
    assert.equal(f1.lanes, e1.lanes);
    assert.equal(f1.timelineFlushTicks, 0);
    assert.equal(f1.charts, e1.charts);
    assert.equal(f1.charts, 4);
    assert.equal(f1.findings, nobarrier.findings.length);
    assert.deepEqual(f1.findingRules, e1.rules);
    assert.equal(f1.markers, e1.markers);
    assert.ok(f1.chartPaths >= 3, `${f1.chartPaths} series drawn`);
    assert.match(f1.text, /no flush in this trace/);
    assert.match(f1.verdict, /^blkaudit report: warnings — 1 incident\(s\)/);
    // choosing the finding on the timeline opens it
    const chosen = await browser.evaluate<boolean>(`(() => {
      const m = document.querySelector('svg.timeline .tri.marker');
      document.getElementById('finding-0').open = false;
      m.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      const d = document.getElementById('finding-0');
      return d.open && d.classList.contains('selected') && m.classList.contains('selected');
    })()`);
    assert.equal(chosen, true);

    // three layers, QEMU cache=unsafe: one incident naming QEMU and the 104 flushes, all layers on one axis,
    // QEMU's requests and host jobs in lanes of their own, every level in the devices table
    const v = (p: string) => fixture(`vm-unsafe-threads/${p}`);
    const vm = await analyzeForReport([`guest=${v('guest/vda.blkparse.txt')}`, `qemu=${v('qemu-trace.log')}`, `host=${v('host/loop1.blkparse.txt')}`]);
    const e2 = expected(vm);
    const f2 = await open(browser, dir, 'vm-unsafe-threads', vm);
    assert.match(f2.verdict, /^blkaudit report: promises broken — 1 incident\(s\) from 104 error\(s\)/);
    assert.equal(f2.incidents, 2);
    assert.match(f2.firstSummary, /^QEMU \(cache=unsafe, inferred: .*\) acknowledged 104 guest flushes between \d+\.\d{6} s and \d+\.\d{6} s ± \d+ µs; none reached host loop1 \(7,1\)/);
    assert.equal(f2.members, 102, 'the 102 findings besides the first and the worst, one click away');
    assert.match(f2.text, /The other 102 findings of this incident/);
    assert.equal(f2.timelines, e2.timelines);
    assert.equal(f2.timelines, 2, 'guest and QEMU on one axis; the host, not aligned, on its own clock');
    assert.equal(f2.lanes, e2.lanes);
    // QEMU's two virtio devices (the guest's disk and the lab's output disk), each with its requests and host jobs
    assert.deepEqual(f2.laneLabels, ['vda (254,0)', 'QEMU requests', 'QEMU host jobs', 'QEMU requests', 'QEMU host jobs', 'loop1 (7,1)']);
    assert.equal(f2.timelineFlushTicks, e2.ticks);
    assert.ok(e2.ticks > 0);
    assert.equal(f2.charts, e2.charts);
    assert.equal(f2.findings, vm.findings.length);
    assert.deepEqual(f2.findingRules, e2.rules);
    assert.equal(f2.markers, e2.markers);
    assert.deepEqual(f2.deviceRows, [
      'guest · vda (254,0)', 'qemu · QEMU requests 0x55a5c23c1890', 'qemu:jobs · QEMU host jobs 0x55a5c23c1890',
      'qemu · QEMU requests 0x55a5c24de780', 'qemu:jobs · QEMU host jobs 0x55a5c24de780', 'host · loop1 (7,1)',
    ]);
    assertOneClock('vm-unsafe-threads', f2.ownText);

    // a clean capture says so first
    const n = (p: string) => scenario(`vm-none-threads/${p}`);
    const none = await analyzeForReport([`guest=${n('vda.blkparse.txt')}`, `qemu=${n('qemu-trace.log')}`, `host=${n('loop1.blkparse.txt')}`]);
    const f4 = await open(browser, dir, 'vm-none-threads', none);
    assert.match(f4.verdict, /^blkaudit report: clean — no broken promise found/);
    assert.equal(f4.timelines, 1, 'all three layers aligned: one axis');
    assert.equal(f4.lanes, expected(none).lanes);
    assertOneClock('vm-none-threads', f4.ownText);

    // hostile names stay text
    const hostilePath = join(dir, '<img src=x onerror=alert(2)>\x1b]0;pwned\x07.blkparse.txt');
    copyFileSync(fixture('hostile-names.blkparse.txt'), hostilePath);
    const hostile = await analyzeForReport([hostilePath]);
    const f3 = await open(browser, dir, 'hostile-names', hostile);
    assert.equal(f3.scripts, 2, 'no script element was added');
    assert.equal(f3.images, 0, 'no element from the file name');
    assert.ok(f3.text.includes('<script>alert(1)</script>\\x1b]0;pwned\\x07'), 'the process name is shown as text, its controls made visible');
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(f3.text), 'no control character in the page');
    assert.ok(f3.text.includes('<img src=x onerror=alert(2)>'), 'the file name is shown as text');
    assert.equal(f3.findings, hostile.findings.length);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
