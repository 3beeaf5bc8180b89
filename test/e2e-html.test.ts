/**
 * The HTML report opened in headless Chromium (Debian's `chromium`): it must
 * render with no console error and no network request, draw the timeline,
 * the charts and the findings (exact counts from the Report), let a finding
 * be chosen from the timeline, and keep hostile trace text as text.
 * Screenshots go to test-artifacts/ (gitignored).
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
import { analyzeForReport } from '../src/report/analyze.js';
import { renderHtml } from '../src/report/html.js';
import { sortFindings } from '../src/report/view.js';
import type { Report } from '../src/model/report.js';
import type { DeviceSeries } from '../src/series/types.js';
import { findChromium, launch, type Browser } from './e2e-html-chromium.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/report/${name}`, import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface PageFacts {
  timelines: number;
  lanes: number;
  timelineFlushTicks: number;
  findings: number;
  findingRules: string[];
  charts: number;
  chartPaths: number;
  markers: number;
  scripts: number;
  images: number;
  text: string;
}

const FACTS = `(() => ({
  timelines: document.querySelectorAll('svg.timeline').length,
  lanes: document.querySelectorAll('svg.timeline g.lane').length,
  timelineFlushTicks: document.querySelectorAll('svg.timeline .flush-tick').length,
  findings: document.querySelectorAll('details.finding').length,
  findingRules: [...document.querySelectorAll('details.finding .rule')].map((e) => e.textContent),
  charts: document.querySelectorAll('figure.chart').length,
  chartPaths: document.querySelectorAll('figure.chart path.line, figure.chart circle.dot').length,
  markers: document.querySelectorAll('svg.timeline .tri.marker').length,
  scripts: document.querySelectorAll('script').length,
  images: document.querySelectorAll('img, iframe, object, embed').length,
  text: document.body.textContent,
}))()`;

function expected(report: Report) {
  const withSeries = report.devices.filter((d) => d['series']);
  const lanes = report.layers.reduce((n, l) => n + Math.max(1, l.devices.length), 0);
  let ticks = 0;
  for (const d of withSeries) for (const f of (d['series'] as DeviceSeries).flushes) if (f > 0) ticks++;
  return { lanes, ticks, charts: 4 * withSeries.length, rules: sortFindings(report.findings).map((f) => f.rule) };
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
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, `report-${name}.png`), await browser.screenshot(1280));
  assert.deepEqual(browser.problems.errors, [], `${name}: console errors`);
  assert.deepEqual(browser.problems.requests, [url], `${name}: the page requested nothing but itself`);
  return facts;
}

test('HTML report in headless Chromium: renders without errors or network, timeline, charts and findings drawn', async (t) => {
  const chromium = findChromium();
  if (!chromium) {
    assert.ok(!process.env['CI'], 'Chromium is required in CI: apt-get install -y chromium');
    t.skip('chromium not installed (apt-get install -y chromium); in CI this fails');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'blkaudit-e2e-'));
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
    assert.equal(f1.markers, nobarrier.findings.length);
    assert.ok(f1.chartPaths >= 3, `${f1.chartPaths} series drawn`);
    assert.match(f1.text, /no flush in this trace/);
    // choosing the finding on the timeline opens it
    const chosen = await browser.evaluate<boolean>(`(() => {
      const m = document.querySelector('svg.timeline .tri.marker');
      document.getElementById('finding-0').open = false;
      m.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      const d = document.getElementById('finding-0');
      return d.open && d.classList.contains('selected') && m.classList.contains('selected');
    })()`);
    assert.equal(chosen, true);

    // three layers: guest flushes marked on the guest timeline, none on the host
    const v = (p: string) => fixture(`vm-unsafe-threads/${p}`);
    const vm = await analyzeForReport([`guest=${v('guest/vda.blkparse.txt')}`, `qemu=${v('qemu-trace.log')}`, `host=${v('host/loop1.blkparse.txt')}`]);
    const e2 = expected(vm);
    const f2 = await open(browser, dir, 'vm-unsafe-threads', vm);
    assert.equal(f2.timelines, 3);
    assert.equal(f2.lanes, e2.lanes);
    assert.equal(f2.timelineFlushTicks, e2.ticks);
    assert.ok(e2.ticks > 0);
    assert.equal(f2.charts, e2.charts);
    assert.equal(f2.findings, vm.findings.length);
    assert.deepEqual(f2.findingRules, e2.rules);

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
