/**
 * The HTML report: one self-contained file (no network access when opened —
 * the Content-Security-Policy says `default-src 'none'`, and the one script
 * and one stylesheet are allowed by their SHA-256 only).
 *
 * Layout: the stack drawn as layers, a timeline per layer (I/O per interval,
 * bytes not yet durable, flushes marked, findings highlighted as bands and
 * markers), the findings with their evidence and a drill-down to the
 * request's life at each layer, charts per device (Q2C p50/p99, requests in
 * flight, bytes not yet durable with flush marks, flush latency), the
 * per-device sections, and the skipped-input counters.
 *
 * Why hand-drawn SVG rather than an inlined charting library: the charts
 * are bounded step series (≤ 200 intervals per device, src/series) plus a
 * lane timeline with markers and bands, which general libraries do not draw
 * without custom plugins anyway. uPlot (the smallest well-kept candidate)
 * would add 51 KB minified to every report and draw to <canvas>, whose
 * content neither the end-to-end test nor a screen reader can inspect, and
 * the page would still need its own code for the stack, the timeline lanes,
 * the drill-down and the tooltips. The whole page script here is ~27 KB of
 * readable, unminified source (charts included), draws inspectable,
 * printable, zoomable SVG elements, and adds no third-party code to a page
 * that shows untrusted trace text.
 *
 * Untrusted text: the data travels as JSON in a <script type="application/json">
 * block with `<`, `>`, `&`, U+2028 and U+2029 escaped (json.ts), so it can
 * never close the element; the page's script inserts every string with
 * textContent (html-client.ts). The one trace-derived string placed in the
 * static markup (the title) has its control characters shown as \xNN and is
 * HTML-escaped.
 */
import { createHash } from 'node:crypto';
import type { Report } from '../model/report.js';
import { clientMain } from './html-client.js';
import { htmlModel } from './html-model.js';
import { HTML_STYLE } from './html-style.js';
import { escapeForEmbedding } from './json.js';
import { term } from './text.js';

export interface HtmlOptions {
  /** Page title (default: "blkaudit report — <input names>"). */
  title?: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** The page's script: the client function, serialized, called once. */
export function clientScript(): string {
  return `(${clientMain.toString()})();`;
}

export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const model = htmlModel(report);
  const json = escapeForEmbedding(JSON.stringify(model, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  const script = clientScript();
  const names = report.inputs.map((i) => (i.layer ? `${i.layer}=` : '') + i.path.slice(i.path.lastIndexOf('/') + 1));
  const title = options.title ?? `blkaudit report — ${names.join(' ')}`;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(script)}'`,
    `style-src 'sha256-${sha256(HTML_STYLE)}'`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${report.generator.name} ${report.generator.version}`)}">
<title>${escapeHtml(term(title))}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<noscript><p>This report is drawn by its embedded script; enable JavaScript, or read the same data with <code>blkaudit report --json</code>.</p></noscript>
<main id="app"></main>
<script type="application/json" id="report-data">${json}</script>
<script>${script}</script>
</body>
</html>
`;
}
