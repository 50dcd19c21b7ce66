// Bundles the `taskd` command into dist/taskd-cli.mjs, which bin/taskd.js runs while it is as new
// as its sources (their list: dist/taskd-cli.inputs.json). Through tsx each call of the CLI cost
// 0.7-5 s of loading TypeScript; bundled, a verb starts in a fraction of that. Split at the
// dynamic import of the server (serve.ts): the client verbs never load Fastify and the stores,
// which a single-file ESM bundle would load at the top. Every file lands beside dist/taskd.mjs,
// one level below the root, where src/project-files.ts finds the project from.
import { readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** How taskd's code is bundled for Node, server and CLI alike: ESM, dependencies left in node_modules. */
export const NODE_BUNDLE = /** @type {const} */ ({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
});

const OWN_FILES = /^taskd-cli(-[A-Z0-9]+)?\.mjs(\.map)?$|^taskd-cli\.inputs\.json$/;

/**
 * @param {string} root the project
 * @param {string} outdir where the bundle goes (the project's dist/)
 */
export async function bundleCli(root, outdir) {
  mkdirSync(outdir, { recursive: true });
  // The chunks of an earlier build are named by their hashes: gone with it, not left to pile up.
  for (const name of readdirSync(outdir)) if (OWN_FILES.test(name)) rmSync(path.join(outdir, name));
  const result = await build({
    absWorkingDir: root,
    entryPoints: { 'taskd-cli': 'src/cli/main.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'taskd-cli-[hash]',
    splitting: true,
    ...NODE_BUNDLE,
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules'));
  writeFileSync(path.join(outdir, 'taskd-cli.inputs.json'), `${JSON.stringify(inputs)}\n`);
}
