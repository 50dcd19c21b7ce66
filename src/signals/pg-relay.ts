// TaskSignals across nodes on PostgreSQL: every node LISTENs on one channel of its schema and
// NOTIFYs there what its actions and runner signal, so a task created on an api node wakes the
// runners at once, a cancel reaches the node that runs the task, and a live log stream on any node
// hears of new lines. One dedicated connection per node does both. Polling stays underneath: a
// notification lost while the connection is down costs latency, never correctness.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../context.js';
import { isRelayedSignal, type RelayedSignal, type TaskSignals } from './task-signals.js';

/** How long to wait before reconnecting a lost listening connection. */
const RECONNECT_MS = 1000;

export class PgSignalRelay {
  private readonly node = randomUUID();
  private client?: pg.Client;
  private channel?: string;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly pending = new Set<string>();
  private sending = false;

  private constructor(
    private readonly url: string,
    private readonly pgSchema: string | undefined,
    private readonly signals: TaskSignals,
    private readonly log: Logger,
  ) {}

  /** Starts listening; resolves once the first connection listens (or failed: it retries). */
  static async start(url: string, pgSchema: string | undefined, signals: TaskSignals, log: Logger): Promise<PgSignalRelay> {
    const relay = new PgSignalRelay(url, pgSchema, signals, log);
    signals.relay = (signal) => relay.notify(signal);
    await relay.connect();
    return relay;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.signals.relay = undefined;
    await this.client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, options: this.pgSchema ? `-c search_path=${this.pgSchema}` : undefined });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.receive(message.payload));
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
      // One channel per schema: nodes of different taskd installations on one database stay apart.
      const channel = `taskd_signals_${(rows[0]?.schema ?? 'public').replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
      await client.query(`listen "${channel}"`);
      this.client = client;
      this.channel = channel;
    } catch (err) {
      this.log.warn({ err }, 'listening for task signals failed; polling meanwhile');
      await client.end().catch(() => {});
      this.lost(client);
    }
  }

  private lost(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && !this.client) void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  /**
   * Signals wait while a NOTIFY is on its way, then go together in one statement, the same signal
   * once (a chatty task's log-line signals collapse): one query at a time on the connection.
   */
  private notify(signal: RelayedSignal): void {
    if (!this.client || !this.channel) return;
    this.pending.add(JSON.stringify({ node: this.node, ...signal }));
    if (!this.sending) void this.send();
  }

  private async send(): Promise<void> {
    this.sending = true;
    while (this.pending.size && this.client && this.channel) {
      const payloads = [...this.pending];
      this.pending.clear();
      await this.client.query('select pg_notify($1, p) from unnest($2::text[]) as p', [this.channel, payloads]).catch(() => {});
    }
    this.pending.clear();
    this.sending = false;
  }

  private receive(payload: string | undefined): void {
    let message: unknown;
    try {
      message = JSON.parse(payload ?? '');
    } catch {
      return;
    }
    const { node, ...signal } = message as { node?: unknown };
    // This node acted on its own signals when it sent them.
    if (node === this.node || !isRelayedSignal(signal)) return;
    this.signals.deliver(signal);
  }
}
