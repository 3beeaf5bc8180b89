/**
 * Exit codes and the usage error, in a module of their own: cli/main.ts
 * needs them for every command, `--version` included, and options.ts pulls
 * in the tracker and checker constants its help text prints (CLI start-up,
 * README "Performance").
 */

/** A command-line mistake: exit 2 with the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { clean: 0, findings: 1, usage: 2 } as const;
