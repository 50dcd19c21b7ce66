#!/usr/bin/env node
// The `taskd` command. Runs the CLI bundled by npm install (dist/taskd-cli.mjs, see
// scripts/build-cli.mjs) while no source it was built from has changed since; else the sources
// through tsx, slower but current: a clone being edited, or pulled without an install, never runs
// old code.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function bundleIsCurrent() {
  try {
    const built = statSync(new URL('dist/taskd-cli.mjs', root)).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL('dist/taskd-cli.inputs.json', root), 'utf8'));
    return inputs.every((file) => statSync(new URL(file, root)).mtimeMs <= built);
  } catch {
    return false;
  }
}

if (bundleIsCurrent()) {
  await import('../dist/taskd-cli.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
