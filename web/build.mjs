// `npm run build:web`, and npm's `prepare` after install: builds the dashboard into web/dist.
// An install without devDependencies has no Vite; taskd then serves the API alone and says so,
// rather than failing the install.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
try {
  require.resolve('vite/package.json');
} catch {
  console.warn('taskd: vite is not installed (devDependencies omitted): the dashboard is not built');
  process.exit(0);
}
const { build } = await import('vite');
await build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)) });
console.log('taskd: dashboard built into web/dist');
