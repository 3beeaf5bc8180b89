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

  // ---- selection: a finding chosen from the timeline, a chart or the list ----
  function select(id: number): void {
    const d = doc.getElementById('finding-' + id);
    if (!d) return;
    for (const x of doc.querySelectorAll('.finding.selected')) x.classList.remove('selected');
    for (const x of doc.querySelectorAll('.marker.selected')) x.classList.remove('selected');
    for (const x of doc.querySelectorAll('[data-finding="' + id + '"]')) x.classList.add('selected');
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

  // ---- header ----
  const c = data.counts;
  const header = h('header', 'top');
  const verdict = c.error > 0 ? h('span', 'verdict bad', 'promises broken') : c.warning > 0 ? h('span', 'verdict warn', 'warnings') : h('span', 'verdict ok', 'no broken promise found');
  add(header, add(h('h1'), 'blkaudit report ', verdict));
  add(header, h('p', 'sub', data.generator + ' · ' + c.error + ' error(s), ' + c.warning + ' warning(s), ' + c.info + ' info · ' +
    data.layers.length + ' layer(s), ' + data.devices.length + ' device(s)'));
  const nav = h('nav');
  for (const [id, label] of [['stack', 'Stack'], ['timeline', 'Timeline'], ['findings', 'Findings'], ['charts', 'Charts'], ['devices', 'Devices'], ['skipped', 'Skipped input']]) {
    const a = h('a', '', label);
    a.setAttribute('href', '#' + id);
    add(nav, a);
  }
  add(header, nav);
  add(app, header);

  // ---- the stack ----
  const stack = section('stack', 'Stack', 'Layers top to bottom as given on the command line; each keeps its own clock.');
  const stackBox = put(stack, h('div', 'stack'));
  data.layers.forEach((l: any, li: number) => {
    if (li > 0) {
      const up = data.layers[li - 1].name;
      const a = data.alignment.find((x: any) => x.upper === up && x.lower === l.name);
      add(stackBox, add(h('div', 'arrow', '▼'), a ? h('span', 'align-note', 'clocks: ' + a.text) : null));
    }
    const box = h('div', 'layer' + (l.findings.error > 0 ? ' bad' : l.findings.warning > 0 ? ' warn' : ''));
    const head = add(h('div', 'layer-head'), h('span', 'layer-name', l.label));
    if (l.cacheMode) add(head, h('span', 'chip cache', 'cache ' + l.cacheMode));
    const nf = l.findings.error + l.findings.warning + l.findings.info;
    if (nf > 0) add(head, h('span', 'chip ' + (l.findings.error ? 'sev-error' : l.findings.warning ? 'sev-warning' : 'sev-info'), nf + ' finding(s)'));
    add(box, head);
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

  // ---- the timeline, one per layer ----
  const timeline = section('timeline', 'Timeline',
    'Per layer and device: bars = bytes completed per interval, orange line = bytes acknowledged but not yet durable (own scale), ' +
    'green ticks = flushes completed, red ✗ = failed flush, red band and ▼ = a finding (click it).');
  function layerRange(layer: string): [number, number] {
    let t0 = Infinity, t1 = -Infinity;
    for (const d of data.devices) {
      if (d.layer !== layer || !d.series) continue;
      t0 = Math.min(t0, d.series.start);
      t1 = Math.max(t1, d.series.start + d.series.buckets * d.series.interval);
    }
    for (const f of data.findings) {
      for (const e of f.evidence) if (e.layer === layer) { t0 = Math.min(t0, e.time); t1 = Math.max(t1, e.time); }
      if (f.layer === layer) { t0 = Math.min(t0, f.time); t1 = Math.max(t1, f.time); }
    }
    if (!Number.isFinite(t0)) return [0, 1];
    if (t1 <= t0) t1 = t0 + 1e-3;
    return [t0, t1];
  }
  const W = 1000, X0 = 170, X1 = 985;
  for (const l of data.layers) {
    const [t0, t1] = layerRange(l.name);
    const xs = (t: number) => X0 + ((t - t0) / (t1 - t0)) * (X1 - X0);
    const devs = data.devices.filter((d: any) => d.layer === l.name);
    const lanes = devs.length ? devs : [{ label: '(layer)', device: '', series: null, cache: '' }];
    const LH = 54, GAP = 10, TOP = 8;
    const H = TOP + lanes.length * (LH + GAP) + 26;
    add(timeline, h('h3', '', l.label));
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'timeline', role: 'img' });
    tip(svg, 'Timeline of layer ' + l.label);
    lanes.forEach((d: any, k: number) => {
      const y = TOP + k * (LH + GAP);
      const g = s('g', { class: 'lane' }, svg);
      s('rect', { x: X0, y, width: X1 - X0, height: LH, class: 'lane-bg' }, g);
      stext(g, 8, y + 20, d.label, { class: 'lane-label' });
      if (d.cache) stext(g, 8, y + 38, 'cache ' + d.cache, { class: 'lane-sub' });
      const sr = d.series;
      if (!devs.length) stext(g, (X0 + X1) / 2, y + LH / 2 + 4, 'no block-device events in this layer', { class: 'lane-sub', 'text-anchor': 'middle' });
      if (sr) {
        const bw = ((X1 - X0) * sr.interval) / (t1 - t0);
        let max = 0, vmax = 0;
        for (let i = 0; i < sr.buckets; i++) { max = Math.max(max, sr.readBytes[i] + sr.writeBytes[i]); vmax = Math.max(vmax, sr.volatileBytesMax[i]); }
        for (let i = 0; i < sr.buckets; i++) {
          const x = xs(sr.start + i * sr.interval);
          const total = sr.readBytes[i] + sr.writeBytes[i];
          if (max > 0 && total > 0) {
            const hw = (sr.writeBytes[i] / max) * (LH - 6), hr = (sr.readBytes[i] / max) * (LH - 6);
            if (hw > 0) s('rect', { x, y: y + LH - hw, width: Math.max(0.8, bw - 0.3), height: hw, class: 'bar-w' }, g);
            if (hr > 0) s('rect', { x, y: y + LH - hw - hr, width: Math.max(0.8, bw - 0.3), height: hr, class: 'bar-r' }, g);
          }
        }
        if (vmax > 0) {
          let dpath = '';
          for (let i = 0; i < sr.buckets; i++) {
            const x = xs(sr.start + i * sr.interval), yv = y + LH - 2 - (sr.volatileBytesMax[i] / vmax) * (LH - 8);
            dpath += (i ? 'L' : 'M') + x.toFixed(1) + ' ' + yv.toFixed(1) + 'H' + (x + bw).toFixed(1);
          }
          const p = s('path', { d: dpath, class: 'vol-line' }, g);
          tip(p, 'not yet durable, max ' + bytes(vmax));
        }
        for (let i = 0; i < sr.buckets; i++) {
          const x = xs(sr.start + (i + 0.5) * sr.interval);
          if (sr.flushes[i] > 0) {
            const t = s('line', { x1: x, x2: x, y1: y, y2: y + LH, class: 'flush-tick' }, g);
            tip(t, sr.flushes[i] + ' flush(es) completed near ' + secs(sr.start + i * sr.interval) + ' s');
          }
          if (sr.flushErrors[i] > 0) {
            const t = stext(g, x, y + 12, '✗', { class: 'flush-err', 'text-anchor': 'middle' });
            tip(t, sr.flushErrors[i] + ' flush(es) failed');
          }
        }
        if (sr.flushes.every((v: number) => v === 0) && sr.flushErrors.every((v: number) => v === 0)) {
          stext(g, 8, y + LH - 1, 'no flush in this trace', { class: 'lane-warn' });
        }
      }
      for (const f of data.findings) {
        if (f.layer !== l.name || (f.device && d.device && f.device !== d.device) || (f.device && !d.device && devs.length)) continue;
        let end = f.time;
        for (const e of f.evidence) if (e.layer === l.name) end = Math.max(end, e.time);
        const xa = xs(f.time), xb = Math.max(xs(end), xa + 4);
        const band = s('rect', { x: xa, y, width: xb - xa, height: LH, class: 'band sev-' + f.severity + ' marker', 'data-finding': f.id }, g);
        tip(band, f.rule + ': ' + f.message);
        const m = s('path', { d: 'M' + (xa - 6) + ' ' + (y - 1) + 'L' + (xa + 6) + ' ' + (y - 1) + 'L' + xa + ' ' + (y + 9) + 'Z', class: 'tri sev-' + f.severity + ' marker', 'data-finding': f.id }, g);
        tip(m, f.rule + ' at ' + secs(f.time) + ' s');
        for (const node of [band, m]) node.addEventListener('click', () => select(f.id));
      }
    });
    const ya = TOP + lanes.length * (LH + GAP) + 2;
    const step = niceStep(t1 - t0, 8);
    s('line', { x1: X0, x2: X1, y1: ya, y2: ya, class: 'axis' }, svg);
    for (let t = Math.ceil(t0 / step) * step; t <= t1 + step * 1e-9; t += step) {
      const x = xs(t);
      s('line', { x1: x, x2: x, y1: ya, y2: ya + 4, class: 'axis' }, svg);
      stext(svg, x, ya + 16, axisLabel(t, step), { class: 'tick', 'text-anchor': x > W - 40 ? 'end' : 'middle' });
    }
    stext(svg, 8, ya + 16, 'time (s)', { class: 'tick' });
    add(timeline, svg);
  }

  // ---- findings ----
  const fsec = section('findings', 'Findings (' + data.findings.length + ')');
  if (data.findings.length === 0) add(fsec, h('p', 'ok-text', 'No broken promise was found in these traces.'));
  for (const f of data.findings) {
    const det = h('details', 'finding sev-' + f.severity);
    det.id = 'finding-' + f.id;
    const sum = h('summary');
    add(sum, h('span', 'badge sev-' + f.severity, f.severity), ' ', h('span', 'rule', f.rule), ' ',
      h('span', 'where', [f.layer || '(trace)', f.deviceLabel].filter(Boolean).join(' ') + ' · at ' + secs(f.time) + ' s'));
    add(sum, h('div', 'message', f.message));
    add(det, sum);
    if (f.details.length) {
      const dl = h('dl', 'details');
      for (const [k, v] of f.details) add(dl, h('dt', '', k), h('dd', '', v));
      add(det, dl);
    }
    add(det, drill(f));
    add(det, evidenceTable(f.evidence));
    add(fsec, det);
  }
  if (data.findings.length) doc.getElementById('finding-0').open = true;

  function evidenceTable(ev: any[]): any {
    const t = h('table', 'evidence');
    add(t, add(h('tr'), h('th', '', 'layer'), h('th', '', 'where'), h('th', '', 'time (s)'), h('th', '', 'device'), h('th', '', 'event'), h('th', '', 'what it proves')));
    for (const e of ev) add(t, add(h('tr'), h('td', '', e.layer || '(trace)'), h('td', 'mono', e.where), h('td', 'mono nowrap', secs(e.time)), h('td', 'mono nowrap', e.device), h('td', 'mono nowrap', e.event), h('td', '', e.note)));
    return t;
  }

  /** The request's life at each layer: the finding's evidence, one lane per layer in stack order, each in its own clock. */
  function drill(f: any): any {
    const box = h('div', 'drill');
    add(box, h('div', 'drill-title', 'Request life per layer (each lane in its own clock; times relative to the lane’s first event)'));
    const layers: string[] = [];
    for (const e of f.evidence) if (!layers.includes(e.layer)) layers.push(e.layer);
    const order = (n: string) => { const i = data.layers.findIndex((l: any) => l.name === n); return i < 0 ? 1e9 : i; };
    layers.sort((a, b) => order(a) - order(b));
    if (layers.length === 0) { add(box, h('p', 'note', 'No evidence events recorded for this finding.')); return box; }
    const LH = 38, Wd = 1000, L0 = 120, L1 = 920;
    const svg = s('svg', { viewBox: '0 0 ' + Wd + ' ' + (layers.length * (LH + 14) + 4), class: 'drill-svg', role: 'img' });
    tip(svg, 'Evidence events per layer');
    layers.forEach((ln, k) => {
      const evs = f.evidence.filter((e: any) => e.layer === ln).sort((a: any, b: any) => a.time - b.time);
      const a = evs[0].time, b = evs[evs.length - 1].time;
      const span = b > a ? b - a : 1e-6;
      const y = 4 + k * (LH + 14);
      s('rect', { x: L0, y, width: L1 - L0, height: LH, class: 'lane-bg' }, svg);
      stext(svg, 8, y + 24, ln || '(trace)', { class: 'lane-label' });
      if (k > 0) stext(svg, 60, y - 2, '▲', { class: 'lane-sub', 'text-anchor': 'middle' });
      s('line', { x1: L0 + 10, x2: L1 - 10, y1: y + LH / 2, y2: y + LH / 2, class: 'life' }, svg);
      let lastTop = -1e9, lastBottom = -1e9;
      evs.forEach((e: any) => {
        const x = L0 + 10 + ((e.time - a) / span) * (L1 - L0 - 20);
        const cls = /^C/.test(e.event) ? 'ev-c' : /FN|FF|^. F/.test(e.event) ? 'ev-f' : 'ev';
        const dot = s('circle', { cx: x, cy: y + LH / 2, r: 6, class: cls }, svg);
        tip(dot, e.where + '  ' + secs(e.time) + ' s  ' + e.event + (e.note ? '  — ' + e.note : ''));
        // label above or below the line, wherever the previous label leaves room
        const label = e.event.split(' ').slice(0, 2).join(' ');
        if (x - lastTop >= 48) { stext(svg, x, y + 11, label, { class: 'ev-label', 'text-anchor': 'middle' }); lastTop = x; }
        else if (x - lastBottom >= 48) { stext(svg, x, y + LH - 2, label, { class: 'ev-label', 'text-anchor': 'middle' }); lastBottom = x; }
      });
      stext(svg, L1 + 6, y + 24, evs.length > 1 ? 'span ' + dur(b - a) : '1 event', { class: 'lane-sub' });
    });
    add(box, svg);
    return box;
  }

  // ---- charts per device ----
  const csec = section('charts', 'Charts', 'Per interval of the layer clock. Hover a chart for the values of one interval. Green ticks under a chart: flushes completed; red ▼: findings.');
  const tipBox = put(doc.body, h('div', 'tooltip'));
  tipBox.hidden = true;
  const withSeries = data.devices.filter((d: any) => d.series);
  if (withSeries.length === 0) add(csec, h('p', 'note', 'No time series in this report.'));
  for (const d of withSeries) {
    const sr = d.series;
    add(csec, h('h3', '', (d.layer || '(trace)') + ' · ' + d.label + (d.cache ? ' · cache ' + d.cache : '')));
    const grid = put(csec, h('div', 'chart-grid'));
    const marks = { flushes: sr.flushes, errors: sr.flushErrors, findings: data.findings.filter((f: any) => f.layer === d.layer && (!f.device || f.device === d.device)) };
    add(grid, chart('Q2C latency (queue → final completion)', sr, [
      { label: 'p50', values: sr.q2cP50, cls: 's-blue' }, { label: 'p99', values: sr.q2cP99, cls: 's-red' }], dur, null));
    add(grid, chart('Requests in flight at the driver', sr, [
      { label: 'max', values: sr.inFlightMax, cls: 's-teal' }, { label: 'mean', values: sr.inFlightAvg, cls: 's-gray' }], count, null));
    add(grid, chart('Acknowledged, not yet durable' + (/^writethrough/.test(d.cache) ? ' (write-through: not at risk)' : ''), sr, [
      { label: 'max bytes', values: sr.volatileBytesMax, cls: 's-orange', area: true }], bytes, marks));
    const anyFlush = sr.flushes.some((v: number) => v > 0) || sr.flushErrors.some((v: number) => v > 0);
    add(grid, chart(anyFlush ? 'Flush request latency (issue → completion)' : 'Flush latency — no flush request completed on this device', sr, [
      { label: 'max', values: sr.flushLatencyMax, cls: 's-green', dots: true }, { label: 'mean', values: sr.flushLatencyMean, cls: 's-gray', dots: true }], dur, marks));
  }

  function chart(title: string, sr: any, series: any[], fmt: (x: number) => string, marks: any): any {
    const CW = 520, CH = 210, PX0 = 70, PX1 = 510, PY0 = 14, PY1 = 168;
    const wrapEl = h('figure', 'chart');
    add(wrapEl, h('figcaption', '', title));
    const svg = s('svg', { viewBox: '0 0 ' + CW + ' ' + CH, role: 'img' });
    tip(svg, title);
    const n = sr.buckets;
    let max = 0;
    for (const se of series) for (const v of se.values) if (typeof v === 'number' && v > max) max = v;
    const empty = max <= 0;
    if (empty) max = 1;
    if (fmt === count && !empty) max = 4 * Math.max(1, Math.ceil(max / 4)); // whole-number ticks for counts
    const yv = (v: number) => PY1 - (v / max) * (PY1 - PY0);
    const xb = (i: number) => PX0 + (i / n) * (PX1 - PX0);
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4, y = yv(v);
      s('line', { x1: PX0, x2: PX1, y1: y, y2: y, class: k ? 'grid' : 'axis' }, svg);
      stext(svg, PX0 - 6, y + 4, fmt(v), { class: 'tick', 'text-anchor': 'end' });
    }
    const t0 = sr.start, t1 = sr.start + n * sr.interval;
    stext(svg, PX0, PY1 + 34, secs(t0) + ' s', { class: 'tick' });
    stext(svg, PX1, PY1 + 34, secs(t1) + ' s', { class: 'tick', 'text-anchor': 'end' });
    for (const se of series) {
      let d = '', open = false, base = '';
      for (let i = 0; i < n; i++) {
        const v = se.values[i];
        if (typeof v !== 'number') { open = false; continue; }
        const x = xb(i), x2 = xb(i + 1), y = yv(v);
        if (se.dots) { const c = s('circle', { cx: (x + x2) / 2, cy: y, r: 2.2, class: 'dot ' + se.cls }, svg); void c; continue; }
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
        const x = PX0 + ((f.time - t0) / (t1 - t0)) * (PX1 - PX0);
        if (!(x >= PX0 - 1 && x <= PX1 + 1)) continue;
        const m = s('path', { d: 'M' + (x - 5) + ' ' + (PY0 - 10) + 'L' + (x + 5) + ' ' + (PY0 - 10) + 'L' + x + ' ' + (PY0 - 1) + 'Z', class: 'tri sev-' + f.severity + ' marker', 'data-finding': f.id }, svg);
        tip(m, f.rule + ' at ' + secs(f.time) + ' s');
        m.addEventListener('click', () => select(f.id));
      }
    }
    if (empty) stext(svg, (PX0 + PX1) / 2, (PY0 + PY1) / 2, 'nothing to draw: all zero or no sample', { class: 'lane-warn', 'text-anchor': 'middle' });
    const legend = h('div', 'legend');
    for (const se of series) add(legend, h('span', 'key ' + se.cls, se.label));
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
  if (data.devices.length) {
    const t = put(dsec, h('table', 'evidence summary'));
    const hr = put(t, h('tr'));
    add(hr, h('th', '', 'device'));
    for (const hd of data.summary.heads) add(hr, h('th', '', hd));
    data.devices.forEach((d: any, i: number) => {
      const tr = put(t, h('tr'));
      add(tr, h('td', '', (d.layer || '(trace)') + ' · ' + d.label));
      for (const cell of data.summary.rows[i]) add(tr, h('td', 'mono nowrap', cell));
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
    const t = put(ssec, h('table', 'evidence'));
    add(t, add(h('tr'), h('th', '', 'count'), h('th', '', 'reason'), h('th', '', 'severity'), h('th', '', 'first example')));
    for (const x of data.diagnostics) add(t, add(h('tr'), h('td', 'mono', x.count), h('td', '', x.reason), h('td', '', x.severity), h('td', 'mono', x.example)));
  }
  void window;
}
