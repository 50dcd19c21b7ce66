// Files taskd reads or runs from its own installation (the dashboard, package.json, the task
// supervisor's script), found from the project root: the same code runs from src/ through tsx and
// bundled in dist/taskd.mjs, and both are one level below the root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function projectFile(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}
