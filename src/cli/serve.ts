// `taskd serve`: the API server (and, with later issues, the runner) on embedded SQLite by
// default. A bad setting ends start-up with one line naming it and exit status 2.
import { Command, Option } from 'commander';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, runsTasks, type Config } from '../config.js';
import { sandboxInForce, taskNetworkInForce } from '../runner/sandbox/detect.js';
import type { AdminAtStart } from '../actions/admin-at-start.js';
import { FAILURE } from '../core/task-states.js';
import type { Taskd } from '../taskd.js';
import { DATA_DIRECTORY_BUSY } from '../runner/supervisor-client.js';
import { forgetServing, otherServing, recordServing, type ServingRecord } from './serving-record.js';
import { adminAtStartLines, logInLine } from './admin-at-start-lines.js';

export function serveCommand(): Command {
  return (
    new Command('serve')
      .description('serve the taskd API')
      .option('--host <host>', 'address to listen on (TASKD_HOST, default 127.0.0.1)')
      .option('--port <port>', 'port to listen on (TASKD_PORT, default 8080)')
      .option('--data-dir <dir>', 'data directory (TASKD_DATA_DIR, default ./.taskd)')
      .option('--database-url <url>', 'postgres:// URL; unset means SQLite in the data directory (TASKD_DATABASE_URL)')
      .option('--admin-password-file <file>', 'file holding the password of the admin user made on first start (TASKD_ADMIN_PASSWORD_FILE)')
      // Refused, not unknown: a password on the command line is readable by every local user (ps).
      .addOption(new Option('--admin-password <password>').hideHelp())
      .option(
        '--reset-admin-password',
        "set the password of user 'admin' at this start (its sessions end): to TASKD_ADMIN_PASSWORD or its file if set, else a new one written to <data dir>/admin-password",
      )
      .option('--external-url <url>', 'base URL used in links (TASKD_EXTERNAL_URL)')
      .option('--uaa-clients-file <file>', 'JSON file of OAuth clients for the client_credentials grant (TASKD_UAA_CLIENTS_FILE)')
      .option('--role <role>', 'all (default), api (serves the APIs, runs no tasks) or runner (runs tasks) (TASKD_ROLE)')
      .option('--config <file>', 'JSON config file (TASKD_CONFIG)')
      .addHelpText('after', '\nExample:\n  taskd serve --port 9090 --data-dir /var/lib/taskd\n')
      .action(async (opts) => {
        if (opts.adminPassword !== undefined) {
          console.error(
            'taskd: --admin-password is not taken: every local user could read it (ps). Set TASKD_ADMIN_PASSWORD, or put it in a file readable by taskd alone and give --admin-password-file FILE (TASKD_ADMIN_PASSWORD_FILE)',
          );
          process.exit(2);
        }
        let config: Config;
        try {
          config = loadConfig({
            file: opts.config,
            flags: {
              host: opts.host,
              port: opts.port,
              dataDir: opts.dataDir,
              databaseUrl: opts.databaseUrl,
              adminPasswordFile: opts.adminPasswordFile,
              externalUrl: opts.externalUrl,
              uaaClientsFile: opts.uaaClientsFile,
              role: opts.role,
            },
          });
        } catch (err) {
          if (err instanceof ConfigError) {
            console.error(`taskd: ${err.message}`);
            process.exit(2);
          }
          throw err;
        }
        await serve(config, { resetAdminPassword: opts.resetAdminPassword === true });
      })
  );
}

async function serve(config: Config, options: { resetAdminPassword: boolean }): Promise<void> {
  // Before opening anything: the taskd already running this directory's tasks is named at once.
  const other = otherServing(config.dataDir);
  if (other?.runsTasks && runsTasks(config)) {
    for (const line of dataDirectoryBusyLines(config, other)) console.error(line);
    process.exit(1);
  }
  // Loaded here, not at the top: every other verb of the CLI would otherwise pay for loading the
  // whole server (Fastify, the stores, the runner) on each start.
  const { createTaskd } = await import('../taskd.js');
  let taskd;
  try {
    taskd = await createTaskd(config, { logRequests: config.requestLog === 'on', adminOnServe: true });
  } catch (err) {
    if ((err as Error).name === DATA_DIRECTORY_BUSY) {
      for (const line of dataDirectoryBusyLines(config, otherServing(config.dataDir))) console.error(line);
    } else console.error(`taskd: cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    // A deeper accept queue than Node's 511 (the kernel caps it at somaxconn): when a burst of
    // connections arrives while the event loop is busy, the ones over the queue are dropped and
    // their clients retry only after 1, 3, 7 s, which normal clients see as multi-second stalls.
    await taskd.app.listen({ host: config.host, port: config.port, backlog: 4096 });
  } catch (err) {
    console.error(`taskd: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      console.error(`Another program listens there (another taskd?): choose another port with TASKD_PORT or --port.`);
    await taskd.close();
    process.exit(1);
  }
  const metricsAddress = config.metricsAddress;
  if (taskd.metricsApp && metricsAddress) {
    try {
      await taskd.metricsApp.listen({ host: metricsAddress.host, port: metricsAddress.port });
    } catch (err) {
      console.error(`taskd: cannot listen for /metrics on ${metricsAddress.host}:${metricsAddress.port}: ${(err as Error).message}`);
      await taskd.close();
      process.exit(1);
    }
  }
  stopOnSignals(taskd, config);
  // Only now that it serves: a start that cannot listen must not make an admin whose password
  // it never got to name.
  let admin: AdminAtStart;
  try {
    admin = await taskd.settleAdmin({ reset: options.resetAdminPassword });
  } catch (err) {
    console.error(`taskd: cannot set up user 'admin': ${(err as Error).message}`);
    await taskd.close();
    process.exit(1);
  }
  const address = taskd.app.server.address();
  const scheme = config.tlsCertFile === undefined ? 'http' : 'https';
  const url = config.externalUrl ?? `${scheme}://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`;
  const store = config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  console.log(`taskd is serving ${url} (store: ${store})`);
  recordServing(config.dataDir, { pid: process.pid, url, runsTasks: runsTasks(config) });
  if (taskd.metricsApp) console.log(`Metrics (no credential): ${listenerUrl(taskd.metricsApp)}/metrics`);
  if (config.runnerSlots > 0) console.log(`Task sandbox: ${sandboxLine(config)}`);
  const source =
    config.adminPasswordFile !== undefined
      ? 'TASKD_ADMIN_PASSWORD_FILE'
      : config.adminPassword !== undefined
        ? 'TASKD_ADMIN_PASSWORD'
        : undefined;
  const lines = adminAtStartLines(admin, source);
  for (const line of lines.info) console.log(line);
  for (const line of lines.warnings) console.error(line);
  // After the lines above: checking the generated password is a hash, not to delay "serving".
  const passwordFile =
    admin.outcome === 'kept'
      ? source
        ? undefined
        : await taskd.generatedAdminPasswordInForce().catch(() => undefined)
      : admin.passwordFile;
  console.log(logInLine(url, passwordFile));
}

/** Which taskd holds the data directory (when it says), and the two ways on. */
function dataDirectoryBusyLines(config: Config, other: ServingRecord | undefined): string[] {
  const who = other ? `another taskd (pid ${other.pid}, serving ${other.url})` : 'another taskd';
  const secondDir = `${config.dataDir.replace(/\/+$/, '')}-2`;
  const secondPort = config.port === 0 ? 0 : config.port + 1;
  return [
    `taskd: ${who} already runs the tasks of this data directory (${config.dataDir}).`,
    `Stop it first (Ctrl-C where it runs${other ? `, or kill ${other.pid}` : ''}), or give a second taskd a data directory and a port of its own:`,
    `  TASKD_DATA_DIR=${secondDir} TASKD_PORT=${secondPort} npm start   (or: taskd serve --data-dir ${secondDir} --port ${secondPort})`,
  ];
}

/**
 * Ctrl-C and SIGTERM close taskd: the API first, then the tasks running here are stopped, each
 * recorded FAILED "Stopped: taskd was shut down" (SIGTERM, then SIGKILL after the grace). Said as
 * it happens, since stopping stubborn tasks takes the grace. A kill -9 of taskd leaves them
 * running under their supervisor instead, for the next start to take back.
 */
function stopOnSignals(taskd: Taskd, config: Config): void {
  const stop = (signal: NodeJS.Signals) => {
    const running = taskd.ctx.runner?.tasksHeld ?? 0;
    const tasks = running === 1 ? '1 task' : `${running} tasks`;
    console.log(
      running
        ? `taskd: ${signal}: shutting down; stopping the ${tasks} running here (SIGTERM, SIGKILL after ${config.cancelGraceSeconds} s): ${running === 1 ? 'it ends' : 'they end'} FAILED "${FAILURE.shutDown}"`
        : `taskd: ${signal}: shutting down; no task runs here`,
    );
    forgetServing(config.dataDir);
    // A close that fails is said, and the exit status says so too (not an unhandled rejection).
    void taskd.close().then(
      () => {
        console.log('taskd stopped');
        process.exit(0);
      },
      (err: unknown) => {
        console.error('taskd did not close cleanly:', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Which sandbox tasks run in, and why: running unsandboxed is said, not hidden. */
function sandboxLine(config: Config): string {
  const sandbox = sandboxInForce(config.sandbox);
  const network = taskNetworkInForce(config, sandbox);
  return `${sandbox.kind} (${sandbox.reason}); task network ${network}${config.taskNetwork === 'off' && network === 'on' ? ' (TASKD_TASK_NETWORK=off needs the sandbox)' : ''}`;
}

function listenerUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') return String(address);
  return `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
}
