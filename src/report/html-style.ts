/** The stylesheet of the HTML report (inlined; no web fonts, no external resources). */
export const HTML_STYLE = `
:root { --fg:#1d2330; --muted:#5d6678; --line:#d9dde5; --bg:#f6f7f9; --card:#fff;
  --red:#c62828; --red-bg:#fdecea; --amber:#b26a00; --amber-bg:#fff4e0; --blue:#1f5fbf; --green:#2e7d32; --orange:#e07b00; --teal:#00897b; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif; color:var(--fg); background:var(--bg); }
#app { max-width:1200px; margin:0 auto; padding:0 20px 40px; }
header.top { padding:18px 0 6px; border-bottom:1px solid var(--line); margin-bottom:10px; }
h1 { font-size:22px; margin:0 0 4px; }
h2 { font-size:17px; margin:0 0 8px; }
h3 { font-size:14px; margin:16px 0 6px; }
.sub, .note { color:var(--muted); margin:2px 0 8px; }
nav a { margin-right:14px; color:var(--blue); text-decoration:none; }
.verdict { font-size:13px; padding:2px 10px; border-radius:12px; vertical-align:middle; margin-left:6px; }
.verdict.bad { background:var(--red); color:#fff; } .verdict.warn { background:var(--amber); color:#fff; } .verdict.ok { background:var(--green); color:#fff; }
section.block { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin:14px 0; }
.stack { display:flex; flex-direction:column; align-items:stretch; max-width:820px; }
.layer { border:2px solid #8fa3c7; border-radius:8px; padding:8px 12px; background:#f3f6fc; }
.layer.bad { border-color:var(--red); background:var(--red-bg); } .layer.warn { border-color:var(--amber); background:var(--amber-bg); }
.layer-head { display:flex; gap:8px; align-items:center; margin-bottom:4px; }
.layer-name { font-weight:700; font-size:15px; }
.input, .limit { font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:12px; color:var(--muted); overflow-wrap:anywhere; }
.arrow { text-align:center; color:#8fa3c7; line-height:1.2; }
.align-note { color:var(--muted); font-size:12px; margin-left:10px; }
ul.limits { margin:4px 0; padding-left:20px; color:var(--muted); font-size:12px; }
.chip { display:inline-block; border:1px solid var(--line); background:#fff; border-radius:10px; padding:0 8px; font-size:12px; margin:2px 4px 2px 0; }
.chip.sev-error { border-color:var(--red); color:var(--red); } .chip.sev-warning { border-color:var(--amber); color:var(--amber); }
.devs { margin-top:4px; }
ul.align { margin:4px 0; padding-left:20px; font-family:ui-monospace,monospace; font-size:12px; }
svg { display:block; width:100%; height:auto; }
svg text { font:12px system-ui,sans-serif; fill:var(--fg); }
.lane-bg { fill:#f1f3f6; stroke:var(--line); }
.lane-label { font-weight:600; } svg .lane-sub { fill:var(--muted); font-size:11px; } svg .lane-warn { fill:var(--amber); font-size:11px; font-weight:600; }
.bar-w { fill:#7f9cc9; } .bar-r { fill:#c3ccd9; }
.vol-line { fill:none; stroke:var(--orange); stroke-width:1.6; }
.flush-tick { stroke:var(--green); stroke-width:1.4; }
svg .flush-err { fill:var(--red); font-weight:700; }
.band.sev-error { fill:var(--red); fill-opacity:.16; stroke:var(--red); stroke-opacity:.5; }
.band.sev-warning { fill:var(--amber); fill-opacity:.14; stroke:var(--amber); stroke-opacity:.5; }
.band.sev-info { fill:var(--blue); fill-opacity:.08; }
.tri.sev-error { fill:var(--red); } .tri.sev-warning { fill:var(--amber); } .tri.sev-info { fill:var(--blue); }
.marker { cursor:pointer; } .marker.selected { stroke:#000; stroke-width:1.5; }
.axis { stroke:#8a93a3; } .grid { stroke:#e7eaef; } svg .tick { fill:var(--muted); font-size:11px; }
details.finding { border:1px solid var(--line); border-left:5px solid var(--blue); border-radius:6px; margin:8px 0; padding:6px 10px; }
details.finding.sev-error { border-left-color:var(--red); } details.finding.sev-warning { border-left-color:var(--amber); }
details.finding.selected { box-shadow:0 0 0 2px var(--blue); }
summary { cursor:pointer; }
.badge { display:inline-block; min-width:58px; text-align:center; border-radius:4px; color:#fff; font-size:12px; padding:0 6px; text-transform:uppercase; }
.badge.sev-error { background:var(--red); } .badge.sev-warning { background:var(--amber); } .badge.sev-info { background:var(--blue); }
.rule { font-weight:700; } .where { color:var(--muted); }
.message { margin:4px 0 2px 2px; }
dl.details { display:grid; grid-template-columns:max-content 1fr; gap:0 14px; margin:6px 0; font-size:12px; }
dl.details dt { color:var(--muted); } dl.details dd { margin:0; font-family:ui-monospace,monospace; }
table { border-collapse:collapse; margin:6px 0; font-size:12px; }
th, td { border-bottom:1px solid var(--line); padding:3px 8px; text-align:left; vertical-align:top; }
th { background:#f1f3f6; }
.mono { font-family:ui-monospace,"DejaVu Sans Mono",monospace; overflow-wrap:anywhere; }
.drill { margin:8px 0; }
.drill-title { font-size:12px; color:var(--muted); margin-bottom:2px; }
.life { stroke:#9aa4b5; stroke-dasharray:3 3; }
.ev { fill:var(--blue); } .ev-c { fill:var(--red); } .ev-f { fill:var(--green); }
svg .ev-label { font-size:10px; fill:var(--muted); }
.chart-grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(440px,1fr)); gap:10px; }
figure.chart { margin:0; border:1px solid var(--line); border-radius:6px; padding:6px 8px; background:#fff; }
figcaption { font-weight:600; font-size:13px; }
path.line { fill:none; stroke-width:1.6; }
path.area { stroke:none; fill-opacity:.18; }
.s-red { stroke:var(--red); fill:var(--red); color:var(--red); } .s-blue { stroke:var(--blue); fill:var(--blue); color:var(--blue); }
.s-teal { stroke:var(--teal); fill:var(--teal); color:var(--teal); } .s-gray { stroke:#8a93a3; fill:#8a93a3; color:#6b7383; }
.s-orange { stroke:var(--orange); fill:var(--orange); color:var(--orange); } .s-green { stroke:var(--green); fill:var(--green); color:var(--green); }
.legend { font-size:12px; } .legend .key { margin-right:12px; }
.hit { fill:transparent; } .cross { stroke:#444; stroke-dasharray:2 2; }
.tooltip { position:absolute; pointer-events:none; background:#1d2330; color:#fff; font:12px ui-monospace,monospace; white-space:pre; padding:6px 8px; border-radius:4px; z-index:10; }
.device-card { margin:8px 0; } .device-card > summary { font-weight:600; }
.kv-row { display:flex; flex-wrap:wrap; gap:0 24px; align-items:flex-start; }
.nowrap { white-space:nowrap; overflow-wrap:normal; }
table.summary td:first-child { font-weight:600; } table.kv td:first-child { color:var(--muted); }
.ok-text { color:var(--green); }
.verdict-line { font-size:20px; font-weight:600; } .verdict-line .verdict { font-size:16px; padding:2px 10px; margin-left:0; }
.scroll { overflow-x:auto; max-width:100%; }
.layer .fact { font-size:13px; margin:1px 0; }
.incident { border:1px solid var(--line); border-left:6px solid var(--blue); border-radius:6px; margin:10px 0; padding:8px 12px; }
.incident.sev-error { border-left-color:var(--red); } .incident.sev-warning { border-left-color:var(--amber); }
.incident-head { margin-bottom:4px; } .summary-text { font-size:15px; margin:4px 0 8px; }
details.members > summary { color:var(--blue); margin:6px 0; }
svg .group-label { font-weight:700; font-size:12px; }
.bar-q { fill:#9b8ac4; } .unc { fill:#5d6678; fill-opacity:.22; }
path.line.dash { stroke-dasharray:5 3; }
circle.dot.open { fill:#fff; stroke-width:1.4; }
.legend .key.dash::before { content:"┄┄ "; } .legend .key:not(.dash):not(.dots)::before { content:"━━ "; }
.legend .key.dots::before { content:"● "; } .legend .key.dots.open::before { content:"○ "; }
@media print { nav, .tooltip { display:none; } section.block { break-inside:avoid; } }
`;
