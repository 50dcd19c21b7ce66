// The three kinds of slow client, each on its own raw TCP connection to taskd:
// - slowloris: request headers sent a byte every few seconds, never finished;
// - slow-body: headers complete with a large Content-Length, then the body trickled a byte at a time;
// - slow-read: a complete request for a large list, then never a byte read of the answer.
// Each records when it opened and when the server let go of it (seen by the client, or in the
// kernel's socket table for a client that reads nothing).
import net from 'node:net';

export type SlowKind = 'slowloris' | 'slow-body' | 'slow-read';
export const SLOW_KINDS: readonly SlowKind[] = ['slowloris', 'slow-body', 'slow-read'];

export interface SlowTarget {
  port: number;
  /** The slow client's own credential, and the loopback address it connects from. */
  token: string;
  localAddress: string;
  /** A request path whose answer is large (a long task list). */
  largeListPath: string;
  /** Between two trickled bytes. */
  dripMs: number;
}

export class SlowConnection {
  readonly openedAt = performance.now();
  connectedAt?: number;
  /** When the server was seen to close it (undefined: still open, as far as anyone saw). */
  closedAt?: number;
  /** The status line the server answered with, if it answered (a 408, say). */
  answer = '';
  /** Set when the connection could not even be made. */
  error?: string;
  clientPort?: number;
  private readonly socket: net.Socket;
  private drip?: NodeJS.Timeout;

  constructor(
    readonly kind: SlowKind,
    target: SlowTarget,
  ) {
    this.socket = net.connect({ port: target.port, host: '127.0.0.1', localAddress: target.localAddress });
    this.socket.on('error', (err) => {
      if (this.connectedAt === undefined) this.error = err.message;
    });
    this.socket.on('close', () => this.sawClosed());
    this.socket.once('connect', () => {
      this.connectedAt = performance.now();
      this.clientPort = this.socket.localPort;
      this.begin(target);
    });
  }

  private begin(target: SlowTarget): void {
    const auth = `Authorization: bearer ${target.token}\r\n`;
    switch (this.kind) {
      case 'slowloris': {
        this.socket.write(`GET /v3/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}X-Slow: `);
        this.trickle(target.dripMs);
        break;
      }
      case 'slow-body': {
        // Within the body limit, so only the timeout can end it; the body would be an org.
        this.socket.write(
          `POST /v3/organizations HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 500000\r\n\r\n{"name":"`,
        );
        this.trickle(target.dripMs);
        break;
      }
      case 'slow-read': {
        this.socket.write(`GET ${target.largeListPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`);
        // Never read: the kernel's receive window fills and closes, and taskd's writes stall.
        this.socket.pause();
        break;
      }
    }
    if (this.kind !== 'slow-read') this.socket.on('data', (d) => (this.answer ||= d.toString('latin1').split('\r\n')[0]!));
  }

  private trickle(everyMs: number): void {
    this.drip = setInterval(() => {
      if (this.socket.writable) this.socket.write('a');
    }, everyMs);
  }

  /** The server closed it, as seen now (from the client, or from the socket table). */
  sawClosed(at = performance.now()): void {
    this.closedAt ??= at;
    clearInterval(this.drip);
  }

  get open(): boolean {
    return this.closedAt === undefined && this.error === undefined;
  }

  /** How long the server held it, in ms. */
  get heldMs(): number | undefined {
    return this.closedAt === undefined || this.connectedAt === undefined ? undefined : this.closedAt - this.connectedAt;
  }

  destroy(): void {
    clearInterval(this.drip);
    this.socket.destroy();
  }
}
