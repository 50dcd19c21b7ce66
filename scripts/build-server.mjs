// Bundles the server into dist/taskd.mjs (run by `npm start`, and by npm's `prepare` after
// install). The same code as src/, only in one file: through tsx, Node's module loader spends
// about a second and a half resolving taskd's and its dependencies' ~1,300 files at every start,
// which a restart after a crash must not. Dependencies stay in node_modules (native modules
// among them); files taskd reads at run time are found from the project root (src/project-files.ts).
// The task supervisor is not bundled: taskd starts src/runner/supervisor/supervisor.mjs as it is
// (plain JavaScript, type-checked by `npm run typecheck`); the limits and sandbox modules it shares
// with taskd are bundled here for taskd's own side.
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleCli, NODE_BUNDLE } from './build-cli.mjs';

/**
 * Bundles taskd from the sources under `root` into `outfile` (the tests bundle their own copy).
 * Each file is replaced by a rename, and only when it changed: `npm start` while a taskd started
 * from this bundle still runs (a second start on the same data directory, which taskd then
 * refuses) must leave that taskd's bundle as it is, and a process starting meanwhile must never
 * load half a file.
 * @param {string} root
 * @param {string} outfile
 */
export async function bundleTaskd(root, outfile) {
  const result = await build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile,
    ...NODE_BUNDLE,
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(path.dirname(outfile), { recursive: true });
  // The map first: a bundle is never newer than the map it names.
  const files = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const file of files) replaceIfChanged(file.path, file.contents);
  return result;
}

/**
 * @param {string} file
 * @param {Uint8Array} contents
 */
function replaceIfChanged(file, contents) {
  if (existsSync(file) && Buffer.compare(readFileSync(file), contents) === 0) return;
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

// Run as a script (not imported by run-tests.mjs); realpath, as import.meta.url has symlinks resolved.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  await bundleTaskd(root, path.join(root, 'dist', 'taskd.mjs'));
  // The `taskd` command too (bin/taskd.js), on the same occasions: `npm start` and npm's `prepare`.
  await bundleCli(root, path.join(root, 'dist'));
}
