// What every layer above the store shares for the life of a taskd process.
import type { Config } from './config.js';
import type { Store } from './store/database.js';
import type { TokenService } from './auth/tokens.js';
import type { TaskSignals } from './signals/task-signals.js';
import type { NodeMetrics } from './metrics/node-metrics.js';

export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface AppContext {
  config: Config;
  store: Store;
  tokens: TokenService;
  log: Logger;
  /** Tells this node's runner about committed task changes. */
  signals: TaskSignals;
  /** What this process measures as it goes, for GET /metrics. */
  metrics: NodeMetrics;
  /** This node's runner, once started; none on a node that serves the API only. */
  runner?: RunnerStatus;
}

/** This node's runner as health checks, metrics and the droplet uploads see it. */
export interface RunnerStatus {
  /** Its row in `runners`, whose heartbeat says it is alive. */
  readonly id: string;
  readonly freeSlots: number;
  /** Tasks it holds now (running, paused or being cancelled): those that closing taskd stops. */
  readonly tasksHeld: number;
  /** A droplet was staged on this node: whatever its tasks start from can be made now. */
  dropletStaged(dropletGuid: string): void;
}
