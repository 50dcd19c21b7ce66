// GET /metrics: this node's metrics in Prometheus's text format, for a scrape with a credential on
// the main listener (see metrics-access), or for anyone on the separate metrics listener
// (TASKD_METRICS_ADDRESS), which an operator puts where tasks cannot reach. Task counts come from
// the trigger-kept task_counts table — a few rows however many tasks there are — and are the same
// on every node; durations, dropped log bytes and HTTP timings are this process's own.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { TASK_STATES } from '../core/task-states.js';
import { EXPOSITION_CONTENT_TYPE, renderGauge } from '../metrics/exposition.js';
import { UNMATCHED_ROUTE, type NodeMetrics } from '../metrics/node-metrics.js';
import { EventLoopDelay } from '../metrics/event-loop-delay.js';
import { ProcessMemory } from '../metrics/process-memory.js';
import { requireScrapeCredential } from './metrics-access.js';

/** Who may read: scrapes with a credential (the main listener), or anyone (the metrics listener). */
export type MetricsAccess = 'credential' | 'open';

/**
 * Times every request by its route's pattern. Added before any plugin is registered, so that
 * every dialect's routes and not-found answers inherit it.
 */
export function observeHttpRequests(app: FastifyInstance, metrics: NodeMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
  });
}

/** Tasks by state over all apps; states without tasks count 0 rather than vanish. */
async function tasksByState(ctx: AppContext): Promise<Map<string, number>> {
  const rows = await ctx.store.db
    .selectFrom('task_counts')
    .select(['state', sql<number | string>`sum(count)`.as('tasks')])
    .groupBy('state')
    .execute();
  const counts = new Map<string, number>(TASK_STATES.map((state) => [state, 0]));
  // PostgreSQL sums bigints as numeric, which arrives as a string.
  for (const row of rows) counts.set(row.state, Number(row.tasks));
  return counts;
}

export function metricsRoutes(app: FastifyInstance, ctx: AppContext, access: MetricsAccess): void {
  // Sampled while the server is open: several servers in one process (tests) each stop theirs.
  const eventLoopDelay = new EventLoopDelay();
  const memory = new ProcessMemory();
  app.addHook('onClose', async () => {
    eventLoopDelay.stop();
    memory.stop();
  });
  // Operators' endpoints, not part of any task API: kept out of the OpenAPI document.
  const options = access === 'open' ? { config: { public: true } } : { onRequest: requireScrapeCredential(ctx) };
  app.get('/metrics', { ...options, schema: { hide: true } }, async (_request, reply) => {
    let counts: Map<string, number>;
    try {
      counts = await tasksByState(ctx);
    } catch (err) {
      // A failed scrape, not half the figures: Prometheus marks the target down. The error stays
      // in the log rather than going to the scraper.
      ctx.log.warn({ err }, 'reading task counts for /metrics failed');
      return reply.status(503).type('text/plain; charset=utf-8').send('task counts could not be read from the store\n');
    }
    const lines = [
      ...renderGauge(
        'taskd_tasks',
        'Tasks by state, over all apps and nodes.',
        [...counts].map(([state, value]) => ({ labels: { state }, value })),
      ),
      ...renderGauge('taskd_task_queue_depth', 'Tasks waiting for a runner (PENDING), over all nodes.', [
        { value: counts.get('PENDING') ?? 0 },
      ]),
      ...renderGauge('taskd_runner_slots_free', "Slots of this node's runner not holding a task; 0 when this node runs no runner.", [
        { value: ctx.runner?.freeSlots ?? 0 },
      ]),
      ...ctx.metrics.render(),
      ...eventLoopDelay.render(),
      ...memory.render(),
    ];
    return reply.type(EXPOSITION_CONTENT_TYPE).send(`${lines.join('\n')}\n`);
  });
}
