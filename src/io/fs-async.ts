/**
 * The few file-system calls the readers make on their way to the first byte,
 * as promises over Node's callback API rather than `node:fs/promises`:
 * loading that module pulls in file handles, directory streams, watchers and
 * readline (lib/internal/fs/promises.js, Node 20), about 1–2 ms of every
 * command's start-up for three calls that the callback API answers alike
 * (same Stats, same errors with the same codes). Commands that need more
 * (check --each, the fleet) keep using `fs.promises`.
 */
import { open, readdir, stat, type Dirent, type Stats } from 'node:fs';

export function statAsync(path: string): Promise<Stats> {
  return new Promise((resolve, reject) => stat(path, (err, st) => (err ? reject(err) : resolve(st))));
}

/** Opens `path` read-only; resolves to the file descriptor. */
export function openReadAsync(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function readdirNamesAsync(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => readdir(dir, (err, names) => (err ? reject(err) : resolve(names))));
}

export function readdirEntriesAsync(dir: string): Promise<Dirent[]> {
  return new Promise((resolve, reject) => readdir(dir, { withFileTypes: true }, (err, entries) => (err ? reject(err) : resolve(entries))));
}
