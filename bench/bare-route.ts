// The serialization limit: a bare Fastify route, in its own process, that answers GET /v3/tasks
// with a fixed page (read once from a JSON file). Fastify serializes the object on every
// request, as it does taskd's responses; no auth, no database.
// Usage: node --import tsx bench/bare-route.ts <page.json>   (prints `LISTENING <port>`)
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const file = process.argv[2];
if (!file) throw new Error('usage: bare-route.ts <page.json>');
const page: unknown = JSON.parse(readFileSync(file, 'utf8'));
const app = Fastify({ logger: false });
app.get('/v3/tasks', async () => page);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
console.log(`LISTENING ${typeof address === 'object' && address ? address.port : 0}`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
