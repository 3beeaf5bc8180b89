/**
 * The stack as blkaudit understood it, for `blkaudit stack` and reports: the
 * layers top to bottom with their devices and cache modes (declared, inferred
 * with how, or unknown), each link between a device and the one below it with
 * how it was established (remap events, QEMU's own links, a given map, a map
 * inferred and checked against the data, or none) and how well it fits, the
 * clock alignment of each link, and what the traces could not show. Plain
 * data: the CLI renders it, `--json` prints it.
 */
import type { CorrelationResult, LevelSummary } from './correlator.js';
import type { DriftInfo } from './align.js';

export interface StackLink {
  upper: string;
  lower: string;
  /** remap | linked | given | inferred | none (graph.ts). */
  how: string;
  map: string;
  /** Upper writes the map explains (inferred or given maps). */
  fit?: { matched: number; writes: number };
  clock: { method: string; offsetSeconds?: number; widthSeconds?: number; supportingPairs: number; note: string; drift?: DriftInfo };
  /** Promises checked across this link, and their outcome. */
  promises: number;
  honored: number;
  violated: number;
  undecided: number;
  notFollowed: number;
}

export interface StackDescription {
  layers: Array<{ name: string; levels: LevelSummary[] }>;
  links: StackLink[];
  statements: string[];
  limitations: string[];
}

export function describeStack(r: CorrelationResult): StackDescription {
  const layers: StackDescription['layers'] = [];
  for (const lv of r.levels) {
    let l = layers.find((x) => x.name === lv.layer);
    if (!l) layers.push((l = { name: lv.layer, levels: [] }));
    l.levels.push(lv);
  }
  const links = r.alignment.map((a): StackLink => {
    // the pair of the same two levels (a stack correlated in segments lists each once, in the order first seen)
    const p = r.pairs.find((x) => x.upper === a.upper && x.lower === a.lower);
    const link: StackLink = {
      upper: a.upper, lower: a.lower, how: a.mapSource, map: a.map,
      clock: { method: a.method, supportingPairs: a.supportingPairs, note: a.note },
      promises: p ? p.promises.flush + p.promises.fua + p.promises.writeThrough : 0,
      // (flushLevel counts the honored promises decided at the flush level: they are in `honored` already)
      honored: p?.honored ?? 0,
      violated: p?.violated ?? 0,
      undecided: p ? p.undecided + p.notFollowedPromises : 0,
      notFollowed: p?.notFollowed ?? 0,
    };
    if (a.mapFit) link.fit = a.mapFit;
    if (a.offsetSeconds !== undefined) link.clock.offsetSeconds = a.offsetSeconds;
    if (a.widthSeconds !== undefined) link.clock.widthSeconds = a.widthSeconds;
    if (a.drift) link.clock.drift = a.drift;
    return link;
  });
  return { layers, links, statements: r.statements, limitations: r.limitations };
}

const HOW: Record<string, string> = {
  remap: 'remap events in the trace (exact)',
  linked: "QEMU's own request → job links (exact, one clock)",
  given: 'the map given (--map), checked against the data',
  inferred: 'inferred from the data and checked',
  none: 'no map fits: sector-level verdicts undecided',
};

/** Plain-text rendering (the CLI's default output). */
export function renderStack(d: StackDescription): string {
  const out: string[] = [];
  out.push('LAYERS (top to bottom)');
  for (const l of d.layers) {
    out.push(`  ${l.name}`);
    for (const v of l.levels) {
      const cache = v.cache.source === 'unknown' ? 'cache unknown' : `cache ${v.cache.mode} (${v.cache.source}${v.cache.how ? `: ${v.cache.how}` : ''})`;
      out.push(`    ${v.name === l.name ? v.device : v.name.replace(`${l.name} `, '')} [${v.role}, clock ${v.clock}] ${v.writes} writes, ${v.flushes} flushes, ${v.fua} FUA — ${cache}`);
    }
  }
  out.push('', 'LINKS (device → device below)');
  for (const k of d.links) {
    out.push(`  ${k.upper} → ${k.lower}`);
    out.push(`    map: ${k.map} — ${HOW[k.how] ?? k.how}${k.fit ? `; explains ${k.fit.matched} of ${k.fit.writes} writes` : ''}`);
    const c = k.clock;
    const clock = c.method === 'causal-offset' && c.offsetSeconds !== undefined
      ? `offset ${c.offsetSeconds.toFixed(6)} s ± ${((c.widthSeconds ?? 0) / 2 * 1e6).toFixed(1)} µs from ${c.supportingPairs} causally contained pairs` +
        (c.drift ? ` at ${c.drift.t0Seconds.toFixed(6)} s, drifting ${c.drift.ppm >= 0 ? '+' : ''}${c.drift.ppm.toFixed(1)} ppm (${c.drift.windows} windows over ${c.drift.spanSeconds.toFixed(0)} s)` : '')
      : c.method === 'identity' ? 'one clock' : `${c.method}: ${c.note}`;
    out.push(`    clock: ${clock}`);
    if (k.promises > 0) out.push(`    promises: ${k.promises} — ${k.honored} kept, ${k.violated} broken, ${k.undecided} undecided`);
  }
  if (d.statements.length > 0) out.push('', 'COUNTS', ...d.statements.map((s) => `  ${s}`));
  if (d.limitations.length > 0) out.push('', 'WHAT THE TRACES CANNOT SHOW', ...d.limitations.map((s) => `  - ${s}`));
  return out.join('\n') + '\n';
}
