/**
 * Errors that make an input unusable (the CLI exits 2 with the message).
 * Kept apart from open.ts so format readers can throw it without importing
 * the format registry (which imports them: an import cycle).
 */
export class InputError extends Error {
  constructor(message: string, readonly source: string) {
    super(message);
    this.name = 'InputError';
  }
}
