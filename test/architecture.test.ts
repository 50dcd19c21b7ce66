// The arrows of DESIGN.md's one rule, checked on every import of src/: the engine (everything
// but the dialects in api/ and the command line in cli/) never reaches into a dialect, core/ is
// pure domain that imports nothing of taskd's, the store and the signal bus sit below the use
// cases and the runner, and no two modules load each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph, valueImportCycles, type SourceImport } from './support/import-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const imports = importGraph(root);

/** `src/actions/tasks.ts` → `actions`; a file directly in src/ → its name (`context.ts`). */
const layerOf = (file: string) => file.split('/')[1]!;

const describe = (edges: SourceImport[]) => edges.map((e) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`);

/** Layers that may not import these, type-only imports included: a type names its layer too. */
const FORBIDDEN: Record<string, readonly string[]> = {
  store: ['auth', 'fetchers', 'actions', 'runner', 'api', 'cli'],
  signals: ['store', 'auth', 'fetchers', 'actions', 'runner', 'api', 'cli'],
  auth: ['fetchers', 'actions', 'runner', 'api', 'cli'],
  fetchers: ['actions', 'runner', 'api', 'cli'],
  actions: ['runner', 'api', 'cli'],
  runner: ['fetchers', 'actions', 'api', 'cli'],
  droplets: ['fetchers', 'actions', 'runner', 'api', 'cli'],
  metrics: ['api', 'cli'],
};

for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
  test(`src/${layer}/ imports nothing from ${forbidden.map((f) => `${f}/`).join(', ')}`, () => {
    const leaks = imports.filter((e) => layerOf(e.from) === layer && forbidden.includes(layerOf(e.to)));
    assert.deepEqual(describe(leaks), []);
  });
}

test('src/core/ imports nothing outside core/: it is the domain every layer shares', () => {
  const leaks = imports.filter((e) => layerOf(e.from) === 'core' && layerOf(e.to) !== 'core');
  assert.deepEqual(describe(leaks), []);
});

test('no cycle of value imports: every module of src/ can be loaded before the modules it is used by', () => {
  assert.deepEqual(valueImportCycles(imports), []);
});

test('the import graph is read: it sees the imports it is meant to judge', () => {
  // Guards the checks above against passing because the graph came out empty or half-resolved.
  assert.ok(imports.length > 500, `only ${imports.length} imports found`);
  assert.ok(imports.some((e) => e.from === 'src/api/cf/plugin.ts' && e.to === 'src/api/cf/routes/tasks.ts' && !e.typeOnly));
  assert.ok(imports.some((e) => e.typeOnly));
});
