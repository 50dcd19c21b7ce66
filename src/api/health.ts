// Probes for whoever runs taskd (a load balancer, Kubernetes): /healthz answers while the process
// serves; /readyz says whether this node can do its work — the database answers, every migration
// of this build is applied, and its runner (when it runs one) keeps its heartbeat fresh. Public:
// probes carry no token. Failure reasons say what failed without echoing database errors to
// anonymous callers; the errors themselves go to the log.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { pendingMigrations } from '../store/migrate.js';
import { runsTasks } from '../config.js';

/** A probe must answer even when the database hangs: each check gives up after this. */
const CHECK_TIMEOUT_MS = 2000;

type CheckResult = { status: 'ok' } | { status: 'failed'; reason: string };

class CheckFailed extends Error {}

async function withinTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`no answer from the database within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function databaseAnswers(ctx: AppContext): Promise<void> {
  await sql`select 1`.execute(ctx.store.db);
}

async function migrationsApplied(ctx: AppContext): Promise<void> {
  const pending = await pendingMigrations(ctx.store);
  if (pending.length) throw new CheckFailed(`not applied: ${pending.join(', ')}`);
}

async function runnerAlive(ctx: AppContext): Promise<void> {
  const { runner } = ctx;
  if (!runner) throw new CheckFailed('the runner has not started');
  const row = await ctx.store.db.selectFrom('runners').select('heartbeat_at').where('id', '=', runner.id).executeTakeFirst();
  if (!row) throw new CheckFailed(`runner ${runner.id} has no heartbeat row`);
  const ageSeconds = (Date.now() - Date.parse(row.heartbeat_at)) / 1000;
  const lease = ctx.config.runnerLeaseSeconds;
  if (!(ageSeconds < lease))
    throw new CheckFailed(`runner ${runner.id} last beat ${Math.round(ageSeconds)} s ago, beyond its ${lease} s lease`);
}

async function runCheck(ctx: AppContext, name: string, check: (ctx: AppContext) => Promise<void>): Promise<CheckResult> {
  try {
    await withinTimeout(check(ctx));
    return { status: 'ok' };
  } catch (err) {
    if (err instanceof CheckFailed) return { status: 'failed', reason: err.message };
    ctx.log.warn({ err, check: name }, 'readiness check failed');
    return { status: 'failed', reason: 'the database query failed (see the log)' };
  }
}

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Operators' endpoints, not part of any task API: kept out of the OpenAPI document.
  const probe = { config: { public: true }, schema: { hide: true } };

  app.get('/healthz', probe, async () => ({ status: 'ok' }));

  app.get('/readyz', probe, async (_request, reply) => {
    const checks: Record<string, (ctx: AppContext) => Promise<void>> = { database: databaseAnswers, migrations: migrationsApplied };
    // A node with no slots runs no runner: there is no heartbeat of its own to check.
    if (runsTasks(ctx.config)) checks.runner = runnerAlive;
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => runCheck(ctx, name, checks[name]!)));
    const ready = results.every((r) => r.status === 'ok');
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(names.map((n, i) => [n, results[i]])) });
  });
}
