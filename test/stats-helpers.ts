/**
 * Shared by the stats/track tests: run the real pipeline (analyze → stats
 * stage) over a fixture or corpus capture, read btt's report next to it, and
 * list the captures of the corpus when it is present.
 */
import { CORPUS_DIR } from './helpers/cli.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/index.js';
import { statsOf, type DeviceStatsWithCheck } from '../src/stats/stage.js';
import { parseBttAvg, type BttRow } from '../src/stats/crosscheck.js';
import type { Report } from '../src/model/report.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/stats/', import.meta.url));
export const CORPUS = CORPUS_DIR;

export interface Capture {
  /** DEV.blkparse.txt */
  blkparse: string;
  /** DEV.btt.txt next to it. */
  btt: string;
}

export function fixture(dir: string): Capture {
  const d = join(FIXTURES, dir);
  const b = readdirSync(d).find((f) => f.endsWith('.blkparse.txt'))!;
  return { blkparse: join(d, b), btt: join(d, b.replace(/\.blkparse\.txt$/, '.btt.txt')) };
}

export const FIXTURE_DIRS = readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory()).sort();

/** Every DEV.blkparse.txt with a DEV.btt.txt beside it, under root (sorted). */
export function captures(root: string): Capture[] {
  const out: Capture[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.blkparse.txt')) {
        const btt = p.replace(/\.blkparse\.txt$/, '.btt.txt');
        if (existsSync(btt)) out.push({ blkparse: p, btt });
      }
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

export async function runStats(paths: string[]): Promise<{ report: Report; devices: DeviceStatsWithCheck[] }> {
  const report = await analyze(paths, { stages: ['stats'] });
  return { report, devices: statsOf(report).map((d) => d.stats) };
}

export function btt(c: Capture): Record<string, BttRow> {
  return parseBttAvg(readFileSync(c.btt, 'utf8'));
}
