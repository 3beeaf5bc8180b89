/**
 * Errors that make an input unusable (the CLI exits 2 with the message).
 * In the model, the bottom of the import graph, so format readers and the
 * input layer (src/io, which sits above the formats) throw the same error.
 */
export class InputError extends Error {
  constructor(message: string, readonly source: string) {
    super(message);
    this.name = 'InputError';
  }
}
