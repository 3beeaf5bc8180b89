/**
 * The script of the HTML report, shipped as source (`clientMain.toString()`)
 * inside the page. It reads the JSON data block (html-model.ts) and builds
 * the page with createElement/createElementNS and textContent only — no
 * innerHTML, no eval, no network — so no string from a trace can become
 * markup or code. Charts are drawn as SVG by hand (see html.ts for why).
 *
 * The function must be self-contained: it is serialized, so it may not use
 * anything from this module's scope.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;

export function clientMain(): void {
  const doc = document;
  const data: any = JSON.parse(doc.getElementById('report-data').textContent);
  const app = doc.getElementById('app');
  const NS = 'http://www.w3.org/2000/svg';

  // ---- DOM helpers: text goes in with textContent, never as markup ----
  function h(tag: string, cls?: string, text?: unknown): any {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent: any, ...kids: any[]): any {
    for (const k of kids) if (k !== null && k !== undefined && k !== false) parent.appendChild(typeof k === 'string' ? doc.createTextNode(k) : k);
    return parent;
  }
  /** Append `kid` to `parent` and return the kid. */
  function put(parent: any, kid: any): any {
    parent.appendChild(kid);
    return kid;
  }
  function s(tag: string, attrs: Record<string, unknown>, parent?: any): any {
    const e = doc.createElementNS(NS, tag);
    for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function stext(parent: any, x: number, y: number, text: string, attrs?: Record<string, unknown>): any {
    const t = s('text', Object.assign({ x, y }, attrs || {}), parent);
    t.textContent = text;
    return t;
  }
  function tip(node: any, text: string): void {
    const t = s('title', {}, node);
    t.textContent = text;
  }

  // ---- formatting ----
  function bytes(n: number): string {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Math.abs(n);
    let i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (n < 0 ? '-' : '') + (i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ' + u[i];
  }
  function sig(v: number): string {
    const a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  }
  function dur(x: number): string {
    const a = Math.abs(x);
    if (a === 0) return '0';
    if (a < 1e-3) return sig(x * 1e6) + ' µs';
    if (a < 1) return sig(x * 1e3) + ' ms';
    return sig(x) + ' s';
  }
  function secs(t: number): string {
    return Number.isFinite(t) ? t.toFixed(6) : String(t);
  }
  function count(x: number): string {
    return Number.isInteger(x) ? String(x) : x.toFixed(1);
  }
  function axisLabel(t: number, step: number): string {
    const d = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step)) + 1));
    return t.toFixed(d);
  }
  function niceStep(span: number, n: number): number {
    const raw = span / Math.max(1, n);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  /** A 0-based axis of 1-2-5 steps in one unit (the terminal's ticks.ts, again: this function is serialized alone). */
  function yScale(max: number, kind: string): { top: number; step: number; rows: number; label: (v: number) => string } {
    let div = 1, name = '';
    if (kind === 'dur') { if (max < 1e-3) { div = 1e-6; name = ' µs'; } else if (max < 1) { div = 1e-3; name = ' ms'; } else name = ' s'; }
    if (kind === 'bytes') { if (max >= 1 << 30) { div = 1 << 30; name = ' GiB'; } else if (max >= 1 << 20) { div = 1 << 20; name = ' MiB'; } else if (max >= 1024) { div = 1024; name = ' KiB'; } else name = ' B'; }
    let step = niceStep(max / div, 4);
    if (kind === 'count') step = Math.max(1, Math.round(step));
    const rows = Math.max(1, Math.ceil(max / div / step - 1e-9));
    const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
    return { top: rows * step * div, step: step * div, rows, label: (v: number) => (v / div).toFixed(decimals) + name };
  }

  // ---- selection: a finding chosen from the timeline, a chart or the list ----
  function select(id: number): void {
    const d = doc.getElementById('finding-' + id);
    if (!d) return;
    for (const x of doc.querySelectorAll('.finding.selected')) x.classList.remove('selected');
    for (const x of doc.querySelectorAll('.marker.selected')) x.classList.remove('selected');
    for (const x of doc.querySelectorAll('[data-finding="' + id + '"]')) x.classList.add('selected');
    if (d.parentNode && d.parentNode.tagName === 'DETAILS') d.parentNode.open = true;
    d.open = true;
    d.classList.add('selected');
    d.scrollIntoView({ block: 'start' });
  }

  function section(id: string, title: string, note?: string): any {
    const sec = add(h('section', 'block'), h('h2', '', title));
    sec.id = id;
    if (note) add(sec, h('p', 'note', note));
    add(app, sec);
    return sec;
  }

  // ---- header: the verdict first (a clean capture says so in its first line) ----
  const c = data.counts;
  const header = h('header', 'top');
  const verdictCls = c.error > 0 ? 'verdict bad' : c.warning > 0 ? 'verdict warn' : 'verdict ok';
  // the page's first line reads as the terminal's: "blkaudit report: <status> — …"
  const h1 = add(h('h1', 'verdict-line'), 'blkaudit report: ', h('span', verdictCls, data.status), ' — ' + data.statusDetail);
  h1.setAttribute('title', data.verdict);
  add(header, h1);
  add(header, h('p', 'sub', data.generator + ' · ' + data.layers.length + ' layer(s), ' + data.devices.length + ' device(s) · ' + data.clock.heading));
  const nav = h('nav');
  for (const [id, label] of [['incidents', 'Incidents'], ['stack', 'Stack'], ['timeline', 'Timeline'], ['charts', 'Charts'], ['devices', 'Devices'], ['skipped', 'Skipped input']]) {
    const a = h('a', '', label);
    a.setAttribute('href', '#' + id);
    add(nav, a);
  }
  add(header, nav);
  add(app, header);
  const incidentsSection = section('incidents', 'Incidents (' + data.incidents.length + ', from ' + data.findings.length + ' finding(s))',
    'Findings that share a rule, a layer, a device and a cause, most severe first: one sentence each, the evidence of the first and the worst, every member below. ' + data.clock.heading.charAt(0).toUpperCase() + data.clock.heading.slice(1) + '.');

  // ---- the stack ----
  const stack = section('stack', 'Stack', 'Layers top to bottom as given on the command line, with each layer\u2019s cache mode and where its clock sits on the report\u2019s one clock.');
  const stackBox = put(stack, h('div', 'stack'));
  data.layers.forEach((l: any, li: number) => {
    if (li > 0) {
      const up = data.layers[li - 1].name;
      const a = data.alignment.find((x: any) => x.upper === up && x.lower === l.name);
      add(stackBox, add(h('div', 'arrow', '▼'), a ? h('span', 'align-note', 'clocks: ' + a.text) : null));
    }
    const box = h('div', 'layer' + (l.findings.error > 0 ? ' bad' : l.findings.warning > 0 ? ' warn' : ''));
    const head = add(h('div', 'layer-head'), h('span', 'layer-name', l.label));

    const nf = l.findings.error + l.findings.warning + l.findings.info;
    if (nf > 0) add(head, h('span', 'chip ' + (l.findings.error ? 'sev-error' : l.findings.warning ? 'sev-warning' : 'sev-info'), nf + ' finding(s)'));
    add(box, head);
    // the layer's facts: its cache mode (declared, or inferred and how) and where its clock sits
    if (l.cacheMode) add(box, h('div', 'fact', 'cache=' + l.cacheMode));
    const ck = data.clock.layers.find((x: any) => x.name === l.label);
    if (ck && ck.text) add(box, h('div', 'fact', 'clock: ' + ck.text));
    for (const i of l.inputs) {
      add(box, h('div', 'input', i.path + '  ·  ' + i.format + ', ' + i.events + ' events, ' + bytes(i.bytes) + ', clock ' + i.clock));
      for (const lim of i.limitations) add(box, h('div', 'limit', 'limit: ' + lim));
    }
    const devs = h('div', 'devs');
    for (const d of data.devices.filter((x: any) => x.layer === l.name)) {
      const sevs = data.findings.filter((f: any) => f.layer === d.layer && f.device === d.device).map((f: any) => f.severity);
      const worst = sevs.includes('error') ? ' sev-error' : sevs.includes('warning') ? ' sev-warning' : '';
      add(devs, h('span', 'chip dev' + worst, d.label + (d.cache ? ' · cache ' + d.cache : '')));
    }
    add(box, devs);
    add(stackBox, box);
  });
  if (data.statements.length) {
    add(stack, h('h3', '', 'Across layers'));
    const ul = put(stack, h('ul', 'align'));
    for (const st of data.statements) add(ul, h('li', '', st));
  }
  if (data.alignment.length) {
    add(stack, h('h3', '', 'Clock alignment'));
    const ul = put(stack, h('ul', 'align'));
    for (const a of data.alignment) add(ul, h('li', '', a.text));
  } else if (data.layers.length > 1) {
    add(stack, h('p', 'note', 'No clock alignment reported: each layer is drawn in its own clock.'));
  }
  if (data.limitations.length) {
    add(stack, h('h3', '', 'What the traces cannot show'));
    const ul = put(stack, h('ul', 'limits'));
    for (const x of data.limitations) add(ul, h('li', '', x));
  }

  // ---- the timeline: every layer on one axis (the reference clock), QEMU in lanes of its own ----
  const timeline = section('timeline', 'Timeline',
    'Every layer on one axis (' + data.clock.heading + '). Block devices: bars = bytes completed per interval (dark: writes, light: reads), ' +
    'orange line = bytes acknowledged but not yet durable (own scale). QEMU: bars = requests or host jobs completed. Green ticks = flushes completed, ' +
    'red \u2717 = failed flush, \u25bc = a finding (click it), grey band around it = the layer\u2019s clock-alignment uncertainty.');
  function drawLanes(lanes: any[], title: string, layerNames: string[], window?: number[]): void {
    let t0 = Infinity, t1 = -Infinity;
    for (const ln of lanes) { t0 = Math.min(t0, ln.start); t1 = Math.max(t1, ln.start + ln.buckets * ln.interval); }
    const placedSet = lanes.length ? lanes[0].placed : true;
    for (const f of data.findings) if (f.axisTime !== null && f.placed === placedSet && layerNames.includes(f.layer)) { t0 = Math.min(t0, f.axisTime); t1 = Math.max(t1, f.axisTime); }
    if (!Number.isFinite(t0)) { t0 = 0; t1 = 1; }
    if (t1 <= t0) t1 = t0 + 1e-3;
    if (t0 > 0 && t0 < 0.05 * (t1 - t0)) t0 = 0; // the axis starts at the stack's first event
    if (window) { t0 = window[0]!; t1 = window[1]!; }
    const inView = (t: number) => t >= t0 - 1e-12 && t <= t1 + 1e-12;
    const W = 1000, X0 = 190, X1 = 985, LH = 44, GAP = 8, HEAD = 18;
    const xs = (t: number) => X0 + ((t - t0) / (t1 - t0)) * (X1 - X0);
    let y = 4;
    const rows: any[] = [];
    for (const ln of layerNames) {
      const mine = lanes.filter((x: any) => x.layer === ln);
      rows.push({ head: ln });
      if (mine.length === 0) rows.push({ empty: ln });
      for (const x of mine) rows.push({ lane: x });
    }
    const H = 4 + rows.reduce((a: number, r: any) => a + (r.head !== undefined ? HEAD : LH + GAP), 0) + 30;
    if (title) add(timeline, h('h3', '', title));
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: window ? 'zoom' : 'timeline', role: 'img' });
    tip(svg, 'Timeline: ' + layerNames.map((x) => x || '(trace)').join(', '));
    for (const r of rows) {
      if (r.head !== undefined) {
        const ck = data.clock.layers.find((x: any) => x.name === (r.head || '(trace)'));
        stext(svg, 4, y + 13, (r.head || '(trace)') + (ck && ck.text ? '  \u00b7  clock: ' + ck.text : ''), { class: 'group-label' });
        y += HEAD;
        continue;
      }
      const g = s('g', { class: 'lane' }, svg);
      s('rect', { x: X0, y, width: X1 - X0, height: LH, class: 'lane-bg' }, g);
      if (r.empty !== undefined) {
        stext(g, 8, y + 20, 'no timed events', { class: 'lane-label' });
        stext(g, (X0 + X1) / 2, y + LH / 2 + 4, 'this layer\u2019s events carry no usable time here: see its findings and evidence (placed by order)', { class: 'lane-sub', 'text-anchor': 'middle' });
        y += LH + GAP;
        continue;
      }
      const d = r.lane;
      stext(g, 8, y + 16, d.label, { class: 'lane-label' });
      stext(g, 8, y + 30, d.sub, { class: 'lane-sub' });
      if (d.uncertainty > 0) stext(g, 8, y + 42, 'clock \u00b1 ' + dur(d.uncertainty), { class: 'lane-sub' });
      const bw = ((X1 - X0) * d.interval) / (t1 - t0);
      let max = 0, vmax = 0;
      for (let i = 0; i < d.buckets; i++) { max = Math.max(max, d.reads[i] + d.writes[i]); if (d.volatile) vmax = Math.max(vmax, d.volatile[i]); }
      for (let i = 0; i < d.buckets; i++) {
        const x = xs(d.start + i * d.interval);
        if (!inView(d.start + i * d.interval) || !inView(d.start + (i + 1) * d.interval)) continue;
        if (max > 0 && d.reads[i] + d.writes[i] > 0) {
          const hw = (d.writes[i] / max) * (LH - 6), hr = (d.reads[i] / max) * (LH - 6);
          if (hw > 0) s('rect', { x, y: y + LH - hw, width: Math.max(0.8, bw - 0.3), height: hw, class: d.kind === 'qemu' ? 'bar-q' : 'bar-w' }, g);
          if (hr > 0) s('rect', { x, y: y + LH - hw - hr, width: Math.max(0.8, bw - 0.3), height: hr, class: 'bar-r' }, g);
        }
      }
      if (vmax > 0) {
        let dpath = '';
        for (let i = 0; i < d.buckets; i++) {
          if (!inView(d.start + i * d.interval) || !inView(d.start + (i + 1) * d.interval)) continue;
          const x = xs(d.start + i * d.interval), yv = y + LH - 2 - (d.volatile[i] / vmax) * (LH - 8);
          dpath += (dpath ? 'L' : 'M') + x.toFixed(1) + ' ' + yv.toFixed(1) + 'H' + (x + bw).toFixed(1);
        }
        tip(s('path', { d: dpath, class: 'vol-line' }, g), 'not yet durable, max ' + bytes(vmax));
      }
      for (let i = 0; i < d.buckets; i++) {
        const x = xs(d.start + (i + 0.5) * d.interval);
        if (!inView(d.start + (i + 0.5) * d.interval)) continue;
        if (d.flushes[i] > 0) tip(s('line', { x1: x, x2: x, y1: y, y2: y + LH, class: 'flush-tick' }, g), d.flushes[i] + ' flush(es) completed near ' + secs(d.start + i * d.interval) + ' s');
        if (d.flushErrors[i] > 0) tip(stext(g, x, y + 12, '\u2717', { class: 'flush-err', 'text-anchor': 'middle' }), d.flushErrors[i] + ' flush(es) failed');
      }
      if (d.flushes.every((v: number) => v === 0) && d.flushErrors.every((v: number) => v === 0)) stext(g, X0 + 4, y + LH - 3, 'no flush in this trace', { class: 'lane-warn' });
      const first = lanes.find((x: any) => x.layer === d.layer);
      for (const f of data.findings) {
        if (f.layer !== d.layer || f.axisTime === null || f.placed !== d.placed || !inView(f.axisTime)) continue;
        if (f.device ? f.device !== d.device : first !== d) continue;
        let end = f.axisTime;
        for (const e of f.evidence) if (e.layer === d.layer && e.time !== null && d.placed) end = Math.min(t1, Math.max(end, e.time));
        const xa = xs(f.axisTime), xb = Math.max(xs(end), xa + 4);
        if (d.uncertainty > 0) {
          const u = Math.max(3, xs(f.axisTime + d.uncertainty) - xa);
          tip(s('rect', { x: xa - u, y, width: 2 * u, height: LH, class: 'unc' }, g), 'clock-alignment uncertainty \u00b1 ' + dur(d.uncertainty));
        }
        const band = s('rect', { x: xa, y, width: xb - xa, height: LH, class: 'band sev-' + f.severity + ' marker', 'data-finding': f.id }, g);
        tip(band, f.rule + ': ' + f.message);
        const m = s('path', { d: 'M' + (xa - 6) + ' ' + (y - 1) + 'L' + (xa + 6) + ' ' + (y - 1) + 'L' + xa + ' ' + (y + 9) + 'Z', class: 'tri sev-' + f.severity + ' marker', 'data-finding': f.id }, g);
        tip(m, f.rule + ' at ' + f.timeText);
        for (const node of [band, m]) node.addEventListener('click', () => select(f.id));
      }
      y += LH + GAP;
    }
    const ya = y + 2;
    const step = niceStep(t1 - t0, 8);
    s('line', { x1: X0, x2: X1, y1: ya, y2: ya, class: 'axis' }, svg);
    for (let k = Math.ceil(t0 / step - 1e-9); k * step <= t1 + step * 1e-9; k++) {
      const x = xs(k * step);
      s('line', { x1: x, x2: x, y1: ya, y2: ya + 4, class: 'axis' }, svg);
      stext(svg, x, ya + 16, axisLabel(k * step, step), { class: 'tick', 'text-anchor': x > W - 40 ? 'end' : 'middle' });
    }
    stext(svg, 8, ya + 16, placedSet ? 'time (s)' : 'time (s), own clock', { class: 'tick' });
    add(timeline, svg);
  }
  const placedLayers = data.layers.filter((l: any) => !data.lanes.some((x: any) => x.layer === l.name && !x.placed)).map((l: any) => l.name);
  drawLanes(data.lanes.filter((x: any) => x.placed), '', placedLayers);
  // the findings often sit in a small part of a long trace: the same lanes again, around them
  const ft = data.findings.filter((f: any) => f.placed && f.axisTime !== null && f.severity !== 'info').map((f: any) => f.axisTime);
  if (ft.length) {
    const placed = data.lanes.filter((x: any) => x.placed);
    let a = Infinity, b = -Infinity;
    for (const x of placed) { a = Math.min(a, x.start); b = Math.max(b, x.start + x.buckets * x.interval); }
    const fa = Math.min(...ft), fb = Math.max(...ft), pad = Math.max((fb - fa) * 0.08, (b - a) * 0.002);
    if (Number.isFinite(a) && fb - fa + 2 * pad < 0.4 * (b - a)) {
      drawLanes(placed, 'Around the findings: ' + secs(Math.max(a, fa - pad)) + '\u2013' + secs(Math.min(b, fb + pad)) + ' s (same lanes, same clock)', placedLayers, [Math.max(a, fa - pad), Math.min(b, fb + pad)]);
    }
  }
  const ownLayers: string[] = [];
  for (const x of data.lanes) if (!x.placed && !ownLayers.includes(x.layer)) ownLayers.push(x.layer);
  for (const ln of ownLayers) drawLanes(data.lanes.filter((x: any) => !x.placed && x.layer === ln), (ln || '(trace)') + ' \u2014 its own clock: not aligned to the layers above, so not on the axis above', [ln]);

  // ---- incidents, each with its first and worst finding; every member below ----
  if (data.incidents.length === 0) add(incidentsSection, h('p', 'ok-text', 'No broken promise was found in these traces.'));
  function findingCard(f: any, label: string): any {
    const det = h('details', 'finding sev-' + f.severity);
    det.id = 'finding-' + f.id;
    const sum = h('summary');
    add(sum, h('span', 'badge sev-' + f.severity, f.severity), ' ', h('span', 'rule', f.rule), ' ',
      h('span', 'where', (label ? label + ' ' : '') + f.fid + ' · ' + [f.layer || '(trace)', f.deviceLabel].filter(Boolean).join(' ') + ' · at ' + f.timeText));
    add(sum, h('div', 'message', f.message));
    add(det, sum);
    if (f.details.length) {
      const dl = h('dl', 'details');
      for (const [k, v] of f.details) add(dl, h('dt', '', k), h('dd', '', v));
      add(det, dl);
    }
    add(det, drill(f));
    add(det, evidenceTable(f.evidence));
    return det;
  }
  data.incidents.forEach((inc: any, ii: number) => {
    const card = h('div', 'incident sev-' + inc.severity);
    card.id = 'incident-' + ii;
    add(card, add(h('div', 'incident-head'), h('span', 'badge sev-' + inc.severity, inc.severity), ' ', h('span', 'rule', inc.rule + (inc.count > 1 ? ' \u00d7' + inc.count : '')), ' ', h('span', 'where', inc.id + ' \u00b7 ' + inc.where)));
    add(card, h('p', 'summary-text', inc.summary));
    const shown = inc.count > 1 && inc.worst !== inc.first ? [[inc.first, 'first'], [inc.worst, 'worst']] : [[inc.first, inc.count > 1 ? 'first' : '']];
    for (const [k, label] of shown) add(card, findingCard(data.findings[k], label));
    if (inc.count > shown.length) {
      const all = h('details', 'members');
      add(all, h('summary', '', 'The other ' + (inc.count - shown.length) + ' findings of this incident'));
      for (const k of inc.members) if (!shown.some((x: any) => x[0] === k)) add(all, findingCard(data.findings[k], ''));
      add(card, all);
    }
    add(incidentsSection, card);
  });
  if (data.findings.length) doc.getElementById('finding-' + data.incidents[0].first).open = true;

  function evidenceTable(ev: any[]): any {
    const box = h('div', 'scroll');
    const t = put(box, h('table', 'evidence'));
    add(t, add(h('tr'), h('th', '', 'layer'), h('th', '', 'where'), h('th', '', 'time (s)'), h('th', '', 'own clock'), h('th', '', 'device'), h('th', '', 'event'), h('th', '', 'what it proves')));
    for (const e of ev) add(t, add(h('tr'), h('td', '', e.layer || '(trace)'), whereCell(e), h('td', 'mono nowrap', e.timeText), h('td', 'mono nowrap', e.own), h('td', 'mono nowrap', e.device), h('td', 'mono nowrap', e.event), h('td', '', e.note)));
    return box;
  }
  function whereCell(e: any): any {
    const td = h('td', 'mono nowrap', e.where);
    td.setAttribute('title', e.path);
    return td;
  }

  /** The request's life at each layer: the finding's evidence, one lane per layer in stack order, each in its own clock. */
  function drill(f: any): any {
    const box = h('div', 'drill');
    add(box, h('div', 'drill-title', 'Request life per layer (one lane per layer; positions within a lane from the report\u2019s clock, or by order when the layer is untimed)'));
    const layers: string[] = [];
    for (const e of f.evidence) if (!layers.includes(e.layer)) layers.push(e.layer);
    const order = (n: string) => { const i = data.layers.findIndex((l: any) => l.name === n); return i < 0 ? 1e9 : i; };
    layers.sort((a, b) => order(a) - order(b));
    if (layers.length === 0) { add(box, h('p', 'note', 'No evidence events recorded for this finding.')); return box; }
    const LH = 38, Wd = 1000, L0 = 120, L1 = 920;
    const svg = s('svg', { viewBox: '0 0 ' + Wd + ' ' + (layers.length * (LH + 14) + 4), class: 'drill-svg', role: 'img' });
    tip(svg, 'Evidence events per layer');
    layers.forEach((ln, k) => {
      const evs = f.evidence.filter((e: any) => e.layer === ln).map((e: any, i: number) => Object.assign({}, e, { t: e.time !== null ? e.time : i * 1e-6 })).sort((a: any, b: any) => a.t - b.t);
      const a = evs[0].t, b = evs[evs.length - 1].t;
      const span = b > a ? b - a : 1e-6;
      const y = 4 + k * (LH + 14);
      s('rect', { x: L0, y, width: L1 - L0, height: LH, class: 'lane-bg' }, svg);
      stext(svg, 8, y + 24, ln || '(trace)', { class: 'lane-label' });
      if (k > 0) stext(svg, 60, y - 2, '▲', { class: 'lane-sub', 'text-anchor': 'middle' });
      s('line', { x1: L0 + 10, x2: L1 - 10, y1: y + LH / 2, y2: y + LH / 2, class: 'life' }, svg);
      let lastTop = -1e9, lastBottom = -1e9;
      evs.forEach((e: any) => {
        const x = L0 + 10 + ((e.t - a) / span) * (L1 - L0 - 20);
        const cls = /^C/.test(e.event) ? 'ev-c' : /FN|FF|^. F/.test(e.event) ? 'ev-f' : 'ev';
        const dot = s('circle', { cx: x, cy: y + LH / 2, r: 6, class: cls }, svg);
        tip(dot, e.where + '  ' + e.timeText + '  ' + e.event + (e.note ? '  — ' + e.note : ''));
        // label above or below the line, wherever the previous label leaves room
        const label = e.event.split(' ').slice(0, 2).join(' ');
        if (x - lastTop >= 48) { stext(svg, x, y + 11, label, { class: 'ev-label', 'text-anchor': 'middle' }); lastTop = x; }
        else if (x - lastBottom >= 48) { stext(svg, x, y + LH - 2, label, { class: 'ev-label', 'text-anchor': 'middle' }); lastBottom = x; }
      });
      stext(svg, L1 + 6, y + 24, evs.length > 1 ? (evs.every((e: any) => e.time !== null) ? 'span ' + dur(b - a) : 'by order') : '1 event', { class: 'lane-sub' });
    });
    add(box, svg);
    return box;
  }

  // ---- charts per device ----
  const csec = section('charts', 'Charts', 'Per interval, on the report\u2019s clock (' + data.clock.heading + '). Hover a chart for the values of one interval. Green ticks under a chart: flushes completed; red \u25bc: findings.');
  const tipBox = put(doc.body, h('div', 'tooltip'));
  tipBox.hidden = true;
  const withSeries = data.devices.filter((d: any) => d.series);
  if (withSeries.length === 0) add(csec, h('p', 'note', 'No time series in this report.'));
  for (const d of withSeries) {
    const sr = d.series;
    add(csec, h('h3', '', (d.layer || '(trace)') + ' · ' + d.label + (d.cache ? ' · cache ' + d.cache : '')));
    const grid = put(csec, h('div', 'chart-grid'));
    const marks = { flushes: sr.flushes, errors: sr.flushErrors, findings: data.findings.filter((f: any) => f.layer === d.layer && (!f.device || f.device === d.device) && f.axisTime !== null) };
    const ax = { shift: d.axisShift, label: d.axisLabel };
    add(grid, chart('Q2C latency (queue → final completion)', sr, [
      { label: 'p99', values: sr.q2cP99, cls: 's-red' }, { label: 'p50', values: sr.q2cP50, cls: 's-blue dash' }], dur, 'dur', null, ax));
    add(grid, chart('Requests in flight at the driver', sr, [
      { label: 'max', values: sr.inFlightMax, cls: 's-teal' }, { label: 'mean', values: sr.inFlightAvg, cls: 's-gray dash' }], count, 'count', null, ax));
    add(grid, chart('Acknowledged, not yet durable' + (/^writethrough/.test(d.cache) ? ' (write-through: not at risk)' : ''), sr, [
      { label: 'max bytes', values: sr.volatileBytesMax, cls: 's-orange', area: true }], bytes, 'bytes', marks, ax));
    const anyFlush = sr.flushes.some((v: number) => v > 0) || sr.flushErrors.some((v: number) => v > 0);
    add(grid, chart(anyFlush ? 'Flush request latency (issue → completion)' : 'Flush latency — no flush request completed on this device', sr, [
      { label: 'max', values: sr.flushLatencyMax, cls: 's-green', dots: true }, { label: 'mean', values: sr.flushLatencyMean, cls: 's-gray', dots: true, open: true }], dur, 'dur', marks, ax));
  }

  function chart(title: string, sr: any, series: any[], fmt: (x: number) => string, kind: string, marks: any, ax: any): any {
    const CW = 520, CH = 210, PX0 = 70, PX1 = 510, PY0 = 14, PY1 = 168;
    const wrapEl = h('figure', 'chart');
    add(wrapEl, h('figcaption', '', title));
    const svg = s('svg', { viewBox: '0 0 ' + CW + ' ' + CH, role: 'img' });
    tip(svg, title);
    const n = sr.buckets;
    let max = 0;
    for (const se of series) for (const v of se.values) if (typeof v === 'number' && v > max) max = v;
    const empty = max <= 0;
    const sc = yScale(empty ? 1 : max, kind);
    max = sc.top;
    const yv = (v: number) => PY1 - (v / max) * (PY1 - PY0);
    const xb = (i: number) => PX0 + (i / n) * (PX1 - PX0);
    for (let k = 0; k <= sc.rows; k++) {
      const v = sc.step * k, y = yv(v);
      s('line', { x1: PX0, x2: PX1, y1: y, y2: y, class: k ? 'grid' : 'axis' }, svg);
      stext(svg, PX0 - 6, y + 4, sc.label(v), { class: 'tick', 'text-anchor': 'end' });
    }
    // the time axis on the report's clock (or the layer's own, said in the label), ticks at regular 1-2-5 steps
    const t0 = sr.start - ax.shift, t1 = t0 + n * sr.interval;
    const tstep = niceStep(t1 - t0, 5);
    for (let k = Math.ceil(t0 / tstep - 1e-9); k * tstep <= t1 + tstep * 1e-9; k++) {
      const x = PX0 + ((k * tstep - t0) / (t1 - t0)) * (PX1 - PX0);
      s('line', { x1: x, x2: x, y1: PY1, y2: PY1 + 4, class: 'axis' }, svg);
      stext(svg, x, PY1 + 28, axisLabel(k * tstep, tstep), { class: 'tick', 'text-anchor': 'middle' });
    }
    stext(svg, PX1, PY1 + 40, 'time (s), ' + ax.label, { class: 'tick', 'text-anchor': 'end' });
    for (const se of series) {
      let d = '', open = false, base = '';
      for (let i = 0; i < n; i++) {
        const v = se.values[i];
        if (typeof v !== 'number') { open = false; continue; }
        const x = xb(i), x2 = xb(i + 1), y = yv(v);
        if (se.dots) { const c = s('circle', { cx: (x + x2) / 2, cy: y, r: 2.4, class: 'dot ' + se.cls + (se.open ? ' open' : '') }, svg); void c; continue; }
        d += (open ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1) + 'L' + x2.toFixed(1) + ' ' + y.toFixed(1);
        if (se.area && !open) base = x.toFixed(1);
        open = true;
      }
      if (d) {
        if (se.area) s('path', { d: 'M' + (base || PX0) + ' ' + PY1 + d.replace(/^M/, 'L') + 'L' + xb(n).toFixed(1) + ' ' + PY1 + 'Z', class: 'area ' + se.cls }, svg);
        s('path', { d, class: 'line ' + se.cls }, svg);
      }
    }
    if (marks) {
      for (let i = 0; i < n; i++) {
        const x = (xb(i) + xb(i + 1)) / 2;
        if (marks.flushes[i] > 0) s('line', { x1: x, x2: x, y1: PY1 + 4, y2: PY1 + 14, class: 'flush-tick' }, svg);
        if (marks.errors[i] > 0) stext(svg, x, PY1 + 16, '✗', { class: 'flush-err', 'text-anchor': 'middle' });
      }
      for (const f of marks.findings) {
        const x = PX0 + ((f.axisTime - t0) / (t1 - t0)) * (PX1 - PX0);
        if (!(x >= PX0 - 1 && x <= PX1 + 1)) continue;
        const m = s('path', { d: 'M' + (x - 5) + ' ' + (PY0 - 10) + 'L' + (x + 5) + ' ' + (PY0 - 10) + 'L' + x + ' ' + (PY0 - 1) + 'Z', class: 'tri sev-' + f.severity + ' marker', 'data-finding': f.id }, svg);
        tip(m, f.rule + ' at ' + f.timeText);
        m.addEventListener('click', () => select(f.id));
      }
    }
    if (empty) stext(svg, (PX0 + PX1) / 2, (PY0 + PY1) / 2, 'nothing to draw: all zero or no sample', { class: 'lane-warn', 'text-anchor': 'middle' });
    const legend = h('div', 'legend');
    for (const se of series) add(legend, h('span', 'key ' + se.cls + (se.dots ? ' dots' : '') + (se.open ? ' open' : ''), se.label));
    const cross = s('line', { x1: 0, x2: 0, y1: PY0, y2: PY1, class: 'cross' }, svg);
    cross.setAttribute('visibility', 'hidden');
    const hit = s('rect', { x: PX0, y: PY0, width: PX1 - PX0, height: PY1 - PY0, class: 'hit' }, svg);
    hit.addEventListener('mousemove', (ev: any) => {
      const r = svg.getBoundingClientRect();
      const x = ((ev.clientX - r.left) / r.width) * CW;
      const i = Math.max(0, Math.min(n - 1, Math.floor(((x - PX0) / (PX1 - PX0)) * n)));
      const cx = (xb(i) + xb(i + 1)) / 2;
      cross.setAttribute('x1', cx);
      cross.setAttribute('x2', cx);
      cross.setAttribute('visibility', 'visible');
      const lines = [secs(t0 + i * sr.interval) + '–' + secs(t0 + (i + 1) * sr.interval) + ' s'];
      for (const se of series) lines.push(se.label + ': ' + (typeof se.values[i] === 'number' ? fmt(se.values[i]) : '—'));
      if (marks) lines.push('flushes: ' + marks.flushes[i] + (marks.errors[i] ? ', failed: ' + marks.errors[i] : ''));
      tipBox.textContent = lines.join('\n');
      tipBox.hidden = false;
      tipBox.style.left = (ev.pageX + 14) + 'px';
      tipBox.style.top = (ev.pageY + 10) + 'px';
    });
    hit.addEventListener('mouseleave', () => { tipBox.hidden = true; cross.setAttribute('visibility', 'hidden'); });
    add(wrapEl, svg, legend);
    return wrapEl;
  }

  // ---- devices ----
  const dsec = section('devices', 'Devices', 'The figures per device, then everything each analysis stage reported (expand).');
  if (data.summary.rows.length) {
    const t = put(put(dsec, h('div', 'scroll')), h('table', 'evidence summary'));
    const hr = put(t, h('tr'));
    add(hr, h('th', '', 'device'));
    for (const hd of data.summary.heads) add(hr, h('th', '', hd));
    data.summary.rows.forEach((row: any, i: number) => {
      const tr = put(t, h('tr'));
      add(tr, h('td', '', data.summary.labels[i]));
      for (const cell of row) add(tr, h('td', 'mono nowrap', cell));
    });
  }
  for (const d of data.devices) {
    if (d.sections.length === 0) continue;
    const card = put(dsec, h('details', 'device-card'));
    add(card, h('summary', '', (d.layer || '(trace)') + ' · ' + d.label + ': all fields (' + d.sections.map((x: any) => x.name).join(', ') + ')'));
    const row = put(card, h('div', 'kv-row'));
    for (const sec of d.sections) {
      const t = h('table', 'kv');
      add(t, add(h('tr'), add(h('th', '', sec.name), h('th', '', ''))));
      for (const [k, v] of sec.rows) add(t, add(h('tr'), h('td', '', k), h('td', 'mono', v)));
      add(row, t);
    }
  }

  // ---- skipped input ----
  const ssec = section('skipped', 'Skipped input', 'Lines or records that could not be used, counted by reason (never dropped silently).');
  if (data.diagnostics.length === 0) add(ssec, h('p', 'ok-text', 'Every line of every input was used.'));
  else {
    const t = put(put(ssec, h('div', 'scroll')), h('table', 'evidence'));
    add(t, add(h('tr'), h('th', '', 'count'), h('th', '', 'reason'), h('th', '', 'severity'), h('th', '', 'first example')));
    for (const x of data.diagnostics) add(t, add(h('tr'), h('td', 'mono', x.count), h('td', '', x.reason), h('td', '', x.severity), h('td', 'mono', x.example)));
  }
  void window;
}
