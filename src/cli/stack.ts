/**
 * `blkaudit stack <layer=path…>`: the stack as understood — layers and their
 * devices, the links between them and how each was established (remap events,
 * QEMU links, a given or inferred map with its fit), the clock alignment of
 * each link, and what the traces cannot show — so a user can see why a verdict
 * could or could not be given. Exit 0, or 2 for unusable input.
 */
import type { Command } from 'commander';
import { correlateFiles } from '../correlate-files.js';
import { describeStack, renderStack } from '../correlate/describe.js';
import { addStackOptions, stackSetup, type StackCliOptions } from './stack-options.js';
import { addInputOptions, addOptions, analyzeOptionsFrom, EXIT, NO_COLOR_OPTION, UsageError, type InputOptionValues } from './options.js';
import { Output, safeText } from './output.js';

export interface StackCommandOptions extends StackCliOptions, InputOptionValues {
  json?: boolean;
}

export function registerStack(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('stack')
    .description('show the stack as understood: layers, devices, links and how each was established, clock alignment')
    .argument('[input...]', '"layer=path" inputs, top layer first (a layer may hold several devices and files)')
    .option('--json', 'print the description as JSON');
  addStackOptions(cmd);
  addInputOptions(cmd);
  addOptions(cmd, [NO_COLOR_OPTION]);
  cmd.addHelpText('after', `
A link's map is how a device's sectors were followed to the device below:
remap (the trace's own A events), linked (QEMU's request → job links),
given (--map, checked against the data), inferred (identity or an offset that
explains the writes), none (nothing fits: sector-level verdicts undecided).

Examples:
  blkaudit stack dm=dm-0.blkparse.txt md=md0.blkparse.txt virtio=vda.blkparse.txt virtio=vdb.blkparse.txt qemu=qemu-trace.log host=loop1.blkparse.txt host=loop2.blkparse.txt`);
  cmd.action((inputs: string[], opts: StackCommandOptions) => run(() => runStack(inputs, opts)));
}

export async function runStack(inputs: string[], opts: StackCommandOptions, out: Output = new Output()): Promise<number> {
  const setup = await stackSetup(inputs, opts, 'stack');
  if (setup.inputs.length === 0) throw new UsageError('stack needs "layer=path" inputs (or --stack with inputs)');
  // a long stack in segments, as check correlates it: what is described is their sum (memory bounded)
  const { result } = await correlateFiles(setup.inputs, { ...(setup.correlate ?? {}), whole: false }, analyzeOptionsFrom(opts));
  const d = describeStack(result);
  if (opts.json) out.write(JSON.stringify({ schemaVersion: 1, ...d }, null, 2) + '\n');
  else out.write(renderStack(d).split('\n').map(safeText).join('\n'));
  await out.end();
  return EXIT.clean;
}
