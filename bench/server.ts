// The taskd under test, in its own process: the real createTaskd over the bench's copy of the
// seeded store, configured from TASKD_* like `taskd serve`, but without per-request logging so
// that the comparison with the bare route is about the work of serving tasks.
// Usage: node --import tsx bench/server.ts <dataDir>   (prints `LISTENING <port>` when ready)
import { loadConfig } from '../src/config.js';
import { createTaskd } from '../src/taskd.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: server.ts <dataDir>');
const config = { ...loadConfig({ env: process.env }), dataDir, host: '127.0.0.1', port: 0 };
const taskd = await createTaskd(config, { logRequests: false });
await taskd.app.listen({ host: '127.0.0.1', port: 0 });
const address = taskd.app.server.address();
console.log(`LISTENING ${typeof address === 'object' && address ? address.port : 0}`);

const stop = async () => {
  await taskd.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
