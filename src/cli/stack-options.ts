/**
 * The stack options shared by `check` and `report`: layer names from
 * "layer=path" inputs or a --stack file, --cache split between device
 * declarations (for the single-layer checker) and layer cache modes (for the
 * cross-layer correlation), --map and --device. Cross-layer correlation runs
 * only when the user described a stack: two layers or more, a QEMU layer, a
 * --stack file, or a --map/--device.
 */
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { parseCacheDeclaration } from '../check/cache.js';
import type { CacheDeclaration } from '../check/types.js';
import type { CorrelateOptions } from '../correlate/correlator.js';
import type { StackSpec } from '../correlate/stack.js';
import { parseInputArg } from '../io/open.js';
import { addOptions, collect, UsageError, type OptionSpec } from './options.js';

export interface StackCliOptions {
  cache?: string[];
  map?: string[];
  device?: string[];
  stack?: string;
}

const CACHE: OptionSpec = {
  flags: '--cache <DEV=MODE>',
  description: 'a device\'s write cache (writeback|writethrough; DEV = maj,min or a name such as sda, loop1, matched against the names the input gives: blkparse summary, per-CPU file names, "Input file" notes, file stem), or a layer\'s cache mode LAYER=writeback|none|writethrough|directsync|unsafe; repeatable',
  parse: collect,
};
const MAP: OptionSpec = {
  flags: '--map <LAYER=SPEC>',
  description: 'sector map from LAYER to the layer below: +N, -N, identity, or a filefrag -v / CSV (upper_sector,lower_sector,sectors) / qemu-img map JSON file; repeatable',
  parse: collect,
};
const DEVICE: OptionSpec = {
  flags: '--device <LAYER=DEV>',
  description: 'only this device of LAYER takes part in the correlation (default: every device of the layer, each linked to the devices below it); repeatable',
  parse: collect,
};
export const STACK_FILE_OPTION: OptionSpec = {
  flags: '--stack <file>',
  description: 'JSON stack description {"layers":[{"name","device","cache","map","inputs"}…]}, top to bottom; its inputs are read before those on the command line, relative paths are relative to the file',
};

/** The stack options of check and report (follow declares its own --device: a device at its start layer). */
export const STACK_OPTIONS: readonly OptionSpec[] = [CACHE, MAP, DEVICE, STACK_FILE_OPTION];
export const FOLLOW_STACK_OPTIONS: readonly OptionSpec[] = [CACHE, MAP, STACK_FILE_OPTION];

export function addStackOptions(cmd: Command, specs: readonly OptionSpec[] = STACK_OPTIONS): Command {
  return addOptions(cmd, specs);
}

/** Inputs given by --stack (as layer=path) followed by those on the command line; a usage error when there are none. */
export async function inputsWithStack(args: string[], stackFile: string | undefined, command: string): Promise<{ inputs: string[]; stack?: StackSpec }> {
  let stack: StackSpec | undefined;
  let inputs = args;
  if (stackFile) {
    // the stack code is loaded only for a stack (start-up of single-layer runs)
    const { readStackFile, stackInputs, StackError } = await import('../correlate/stack.js');
    try {
      stack = await readStackFile(stackFile);
    } catch (err) {
      if (err instanceof StackError) throw new UsageError(err.message);
      throw err;
    }
    inputs = [...stackInputs(stack, stackFile), ...args];
  }
  if (inputs.length === 0) {
    throw new UsageError(`${command}: no input given (a trace file, "-" for stdin, layer=path${stackFile ? `, or inputs in ${stackFile}` : ', or --stack FILE'})`);
  }
  return stack ? { inputs, stack } : { inputs };
}

export interface StackSetup {
  inputs: string[];
  deviceCache: CacheDeclaration[];
  correlate?: CorrelateOptions;
}

export async function stackSetup(args: string[], o: StackCliOptions, command = 'check'): Promise<StackSetup> {
  try {
    const { inputs, stack } = await inputsWithStack(args, o.stack, command);
    const layerNames = [...new Set([...inputs.map((i) => parseInputArg(i).layer).filter((l) => l !== ''), ...(stack?.layers.map((l) => l.name) ?? [])])];
    const deviceCache: CacheDeclaration[] = [];
    for (const c of o.cache ?? []) {
      if (layerNames.includes(c.slice(0, c.indexOf('=')))) continue; // a layer's cache mode
      deviceCache.push(parseCacheDeclaration(c));
    }
    const wantCorrelate = layerNames.length >= 1 || stack !== undefined || (o.map?.length ?? 0) > 0 || (o.device?.length ?? 0) > 0;
    const setup: StackSetup = { inputs, deviceCache };
    if (wantCorrelate) {
      const { correlateOptions } = await import('../correlate/stack.js');
      setup.correlate = await correlateOptions(
        { stack, stackDir: o.stack ? dirname(o.stack) : undefined, map: o.map ?? [], cache: o.cache ?? [], device: o.device ?? [] },
        layerNames,
      );
      // a --cache DEV=MODE holds across layers too: the correlation's level for that device takes it
      if (deviceCache.length > 0) setup.correlate.deviceCache = deviceCache;
    }
    return setup;
  } catch (err) {
    if ((err as Error)?.name === 'StackError' || (err as Error)?.name === 'CacheDeclarationError') throw new UsageError((err as Error).message);
    if (err instanceof UsageError) throw err;
    if ((err as Error)?.message && /--cache|--map|--device|--stack/.test((err as Error).message)) throw new UsageError((err as Error).message);
    throw err;
  }
}
