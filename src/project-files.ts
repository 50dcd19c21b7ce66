// Files taskd reads or runs from its own installation (the dashboard, package.json, the task
// supervisor's script), found from the project root: the same code runs from src/ through tsx and
// bundled in dist/taskd.mjs, and both are one level below the root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function projectFile(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}

/** taskd's version, as package.json names it. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
