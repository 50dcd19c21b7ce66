// Assembles a taskd process: store (migrated and seeded), token service, admin user, HTTP server,
// and the runner that executes tasks.
import type { FastifyInstance } from 'fastify';
import { runsTasks, servesApi, type Config } from './config.js';
import type { AppContext, Logger } from './context.js';
import { openStore, type StoreOptions } from './store/database.js';
import { seed } from './store/seed.js';
import { TokenService } from './auth/tokens.js';
import { SigningKeys } from './auth/signing-keys.js';
import { ensurePrivateDirectory, refuseWiderThanOwnerOnly } from './store/file-modes.js';
import { adminPasswordFile } from './actions/users.js';
import { generatedPasswordInForce, settleAdminUser, type AdminAtStart } from './actions/admin-at-start.js';
import { buildMetricsServer, buildServer } from './api/server.js';
import { Maintenance } from './maintenance.js';
import { TaskSignals } from './signals/task-signals.js';
import { Runner, type TaskIdentity } from './runner/runner.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { PgSignalRelay } from './signals/pg-relay.js';
import path from 'node:path';

export interface Taskd {
  ctx: AppContext;
  app: FastifyInstance;
  /** The separate /metrics listener of TASKD_METRICS_ADDRESS, not yet listening; undefined without one. */
  metricsApp?: FastifyInstance;
  /**
   * Makes the admin user, or resets its password, as start-up asks (createTaskd does it at once
   * unless told `adminOnServe`: serve does it once it listens, so a start that cannot listen
   * leaves no admin made with a password nobody was told about).
   */
  settleAdmin(options: { reset: boolean }): Promise<AdminAtStart>;
  /** The file of the password generated at first start, if it still logs in as admin. */
  generatedAdminPasswordInForce(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface TaskdOptions {
  log?: Logger;
  logRequests?: boolean;
  store?: Partial<StoreOptions>;
  /** Leave the admin user to settleAdmin (serve calls it once it listens). */
  adminOnServe?: boolean;
}

const quietLog: Logger = { info() {}, warn() {}, error: (obj, msg) => console.error(msg ?? '', obj) };

export async function createTaskd(config: Config, options: TaskdOptions = {}): Promise<Taskd> {
  // On PostgreSQL too: the data directory holds the secret key file, droplets and task directories.
  ensurePrivateDirectory(config.dataDir);
  // The generated admin password, if it is still there, is a secret like the database.
  refuseWiderThanOwnerOnly(adminPasswordFile(config.dataDir));
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, ...options.store });
  try {
    await seed(store.db);
    const settleAdmin = ({ reset }: { reset: boolean }) =>
      settleAdminUser(store.db, { password: config.adminPassword, reset, dataDir: config.dataDir, policy: config });
    if (!options.adminOnServe) await settleAdmin({ reset: false });
    const keys = await SigningKeys.open(store.db, signingKeyOptions(config));
    const tokens = await TokenService.open(store.db, keys, config.accessTokenSeconds, config.refreshTokenSeconds, {
      externalUrl: config.externalUrl,
      clients: config.uaaClients,
    });
    const ctx: AppContext = { config, store, tokens, log: options.log ?? quietLog, signals: new TaskSignals(), metrics: new NodeMetrics() };
    ctx.signals.onTaskRecorded((end) => ctx.metrics.taskEnded(end));
    ctx.signals.onOutputTruncated((reason) => ctx.metrics.outputTruncated(reason));
    const app = await buildServer(ctx, { logRequests: options.logRequests });
    const metricsApp = config.metricsAddress === undefined ? undefined : await buildMetricsServer(ctx);
    // On PostgreSQL, signals reach the other nodes too (new tasks, cancels, log lines).
    const relay =
      store.dialect === 'postgres'
        ? await PgSignalRelay.start(config.databaseUrl!, options.store?.pgSchema, ctx.signals, ctx.log)
        : undefined;
    // A node that runs no tasks serves the API only; it does not count as a runner.
    const identity: TaskIdentity = {
      token: (task) =>
        tokens.taskToken({ guid: task.guid, appGuid: task.appGuid, createdBy: task.created_by, timeoutSeconds: task.timeout_seconds }),
      // A runner-only node serves no API: its tasks reach the API nodes at the external URL.
      apiUrl: () => config.externalUrl ?? (servesApi(config) ? listeningUrl(app, config.tlsCertFile !== undefined) : undefined),
    };
    const runner = runsTasks(config) ? new Runner(store, config, ctx.signals, ctx.log, identity) : undefined;
    try {
      await runner?.start();
      ctx.runner = runner;
    } catch (err) {
      await runner?.stop();
      await app.close();
      await metricsApp?.close();
      await relay?.close();
      throw err;
    }
    const maintenance = new Maintenance(ctx);
    maintenance.start();
    let closing: Promise<void> | undefined;
    return {
      ctx,
      app,
      metricsApp,
      settleAdmin,
      generatedAdminPasswordInForce: () => generatedPasswordInForce(store.db, config.dataDir),
      // Idempotent: a signal handler and a caller's cleanup may both close.
      close() {
        closing ??= (async () => {
          // The API first, so no new task arrives; then the runner records how its tasks ended.
          maintenance.stop();
          await app.close();
          await metricsApp?.close();
          await runner?.stop();
          await relay?.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

function signingKeyOptions(config: Config) {
  return {
    secretKeyFile: config.secretKeyFile ?? path.join(config.dataDir, 'secret.key'),
    rotationDays: config.signingKeyRotationDays,
    // A replaced key verifies as long as any token it signed may live: a refresh token, or a
    // task's own token (its timeout, a day without one).
    longestTokenSeconds: Math.max(config.accessTokenSeconds, config.refreshTokenSeconds, 24 * 3600, config.maximumTaskTimeoutSeconds ?? 0),
  };
}

/**
 * This node's own address as its tasks reach it: tasks run on this host, so a wildcard is loopback.
 * Over HTTPS when taskd serves it (a certificate names no loopback address as a rule: with TLS,
 * TASKD_EXTERNAL_URL, the certificate's name, is what tasks are given instead).
 */
function listeningUrl(app: FastifyInstance, https: boolean): string | undefined {
  const address = app.server.address();
  if (!address || typeof address === 'string') return undefined;
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
