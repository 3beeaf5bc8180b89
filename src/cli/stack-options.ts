/**
 * The stack options shared by `check` and `report`: layer names from
 * "layer=path" inputs or a --stack file, --cache split between device
 * declarations (for the single-layer checker) and layer cache modes (for the
 * cross-layer correlation), --map and --device. Cross-layer correlation runs
 * only when the user described a stack: two layers or more, a QEMU layer, a
 * --stack file, or a --map/--device.
 */
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { parseCacheDeclaration } from '../check/cache.js';
import type { CacheDeclaration } from '../check/types.js';
import type { CorrelateOptions } from '../correlate/correlator.js';
import { parseInputArg } from '../io/open.js';
import { UsageError } from './options.js';

export interface StackCliOptions {
  cache?: string[];
  map?: string[];
  device?: string[];
  stack?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

export function addStackOptions(cmd: Command): Command {
  cmd.addOption(new Option('--cache <DEV=MODE>', 'a device\'s write cache (writeback|writethrough; DEV = maj,min or a name such as sda, loop1), or a layer\'s cache mode LAYER=writeback|none|writethrough|directsync|unsafe; repeatable').argParser(collect));
  cmd.addOption(new Option('--map <LAYER=SPEC>', 'sector map from LAYER to the layer below: +N, -N, identity, or a filefrag -v / CSV (upper_sector,lower_sector,sectors) / qemu-img map JSON file; repeatable').argParser(collect));
  cmd.addOption(new Option('--device <LAYER=DEV>', 'the device to correlate at LAYER (default: the one with most writes); repeatable').argParser(collect));
  cmd.addOption(new Option('--stack <file>', 'JSON stack description {"layers":[{"name","device","cache","map","inputs"}…]}, top to bottom'));
  return cmd;
}

export interface StackSetup {
  inputs: string[];
  deviceCache: CacheDeclaration[];
  correlate?: CorrelateOptions;
}

export async function stackSetup(args: string[], o: StackCliOptions): Promise<StackSetup> {
  // the stack code is loaded only for a stack (start-up of single-layer runs)
  const needStack = o.stack !== undefined || (o.map?.length ?? 0) > 0 || (o.device?.length ?? 0) > 0 || args.some((a) => parseInputArg(a).layer !== '');
  const { correlateOptions, readStackFile, StackError, stackInputs } = needStack
    ? await import('../correlate/stack.js')
    : ({} as Partial<typeof import('../correlate/stack.js')>);
  try {
    let inputs = args;
    const stack = o.stack ? await readStackFile!(o.stack) : undefined;
    if (stack && o.stack) inputs = [...stackInputs!(stack, o.stack), ...args];
    const layerNames = [...new Set([...inputs.map((i) => parseInputArg(i).layer).filter((l) => l !== ''), ...(stack?.layers.map((l) => l.name) ?? [])])];
    const deviceCache: CacheDeclaration[] = [];
    for (const c of o.cache ?? []) {
      if (layerNames.includes(c.slice(0, c.indexOf('=')))) continue; // a layer's cache mode
      deviceCache.push(parseCacheDeclaration(c));
    }
    const wantCorrelate = layerNames.length >= 1 || stack !== undefined || (o.map?.length ?? 0) > 0 || (o.device?.length ?? 0) > 0;
    const setup: StackSetup = { inputs, deviceCache };
    if (wantCorrelate) {
      setup.correlate = await correlateOptions!(
        { stack, stackDir: o.stack ? dirname(o.stack) : undefined, map: o.map ?? [], cache: o.cache ?? [], device: o.device ?? [] },
        layerNames,
      );
    }
    return setup;
  } catch (err) {
    if ((StackError && err instanceof StackError) || (err as Error)?.name === 'CacheDeclarationError') throw new UsageError((err as Error).message);
    if (err instanceof UsageError) throw err;
    if ((err as Error)?.message && /--cache|--map|--device|--stack/.test((err as Error).message)) throw new UsageError((err as Error).message);
    throw err;
  }
}
