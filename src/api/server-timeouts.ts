// How long the HTTP server waits for a client, so that slow or stalled clients (slowloris, bodies
// trickled a byte at a time, readers that never read) cannot pin connections and memory forever.
//
// - headers: a request's headers must all arrive within headersTimeoutSeconds (slowloris);
// - request: the whole request, body included, within requestTimeoutSeconds (slow bodies; long
//   enough for a large bundle upload). Node applies it only while the request is being received,
//   so a long response such as a live log stream (SSE) is not cut by it;
// - idle socket: no byte either way for idleSocketTimeoutSeconds closes the socket (a reader that
//   stopped reading: nothing drains). The live log stream's heartbeat stays below it;
// - keep-alive: an idle kept-alive connection is closed after keepAliveTimeoutSeconds;
// - connections: beyond maxConnections, new sockets are closed at once rather than exhaust the
//   process's file descriptors (the API server keeps a reserve beyond it for the health probes,
//   and caps each address and user: connection-limits.ts).
import type { ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

type TimeoutSettings = Pick<
  Config,
  'requestTimeoutSeconds' | 'headersTimeoutSeconds' | 'idleSocketTimeoutSeconds' | 'keepAliveTimeoutSeconds'
>;

export interface ServerTimeouts {
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionTimeout: number;
  http: ServerOptions;
}

export function serverTimeouts(config: TimeoutSettings): ServerTimeouts {
  const requestTimeout = config.requestTimeoutSeconds * 1000;
  // Node refuses a headers timeout longer than the request timeout; the shorter one rules anyway.
  const headersTimeout = Math.min(config.headersTimeoutSeconds * 1000, requestTimeout);
  return {
    requestTimeout,
    keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
    connectionTimeout: config.idleSocketTimeoutSeconds * 1000,
    // Node looks for expired headers and requests only every connectionsCheckingInterval (30 s by
    // default), which would let a slowloris connection live up to 30 s past its timeout.
    http: { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, Math.max(100, headersTimeout / 4)) },
  };
}

export function limitConnections(app: FastifyInstance, config: Pick<Config, 'maxConnections'>): void {
  app.server.maxConnections = config.maxConnections;
}
