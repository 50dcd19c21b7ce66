// What every layer above the store shares for the life of a taskd process.
import type { Config } from './config.js';
import type { Store } from './store/database.js';
import type { TokenService } from './auth/tokens.js';
import type { TaskSignals } from './runner/signals.js';

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
}
