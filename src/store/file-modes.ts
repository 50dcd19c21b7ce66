// The data directory and the files in it that hold secrets (the database, its WAL and shared
// memory, the secret key file) are taskd's user's alone: the directory 0700, the files 0600.
// A wider mode found at start is refused, not silently kept or changed: it may have been chosen on
// purpose, and whoever could read the files so far may already hold a copy, which the operator
// should know about. Files are created with their mode from the start (no window in which a
// freshly created file is readable by others).
import { mkdirSync, openSync, closeSync, statSync } from 'node:fs';

/** A path whose mode lets others in: start-up stops with this one-line message. */
export class UnsafeFileMode extends Error {}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

/** Makes the directory (0700) if it is missing; refuses it when group or others have any access. */
export function ensurePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { mode } = statSync(dir);
  if (mode & 0o077) {
    throw new UnsafeFileMode(
      `data directory ${dir} has mode ${octal(mode)}, open to group or others; it holds the database and keys: chmod 700 ${dir}`,
    );
  }
}

/** Refuses a file (when it exists) whose mode is wider than 0600. */
export function refuseWiderThanOwnerOnly(file: string): void {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (mode & 0o777 & ~0o600) {
    throw new UnsafeFileMode(`${file} has mode ${octal(mode)}, wider than 0600; it holds secrets: chmod 600 ${file}`);
  }
}

/** Creates the file 0600 if it is missing (the umask can only narrow that); leaves an existing one as it is. */
export function createOwnerOnlyFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
}
