// No tenant can deny service to another (issue 17, finding 1): each client address, and each user,
// holds a bounded share of this node's connections, requests in progress and live log streams,
// and the health probes keep a reserve of connections that no tenant can take.
//
// - Connections per address: counted when accepted (an IPv6 client by its /64, as one host has
//   a whole /64 to pick from). Beyond TASKD_MAX_CONNECTIONS_PER_ADDRESS a connection is still
//   accepted, so that its first request learns why in its dialect's envelope (429, Retry-After)
//   and not from a reset; the connection closes after that answer. Only a few such refusals are
//   kept per address (REFUSED_PER_ADDRESS): connections beyond those are closed at once, so a
//   flood from one address holds at most cap + REFUSED_PER_ADDRESS sockets however fast it opens.
//   A trusted proxy carries many clients on its connections: they are not counted against the
//   proxy's address; the requests it forwards are counted per forwarded client address instead.
// - Requests in progress: an authenticated request counts against its user (whatever the
//   dialect: CF, Dbvisit and vSphere name the caller before the body is read), one not (yet)
//   authenticated against its address when it came through a trusted proxy (a direct client is
//   bounded by its connections already: one request at a time each).
// - Live streams per user (task-log-stream.ts): a stream is counted as a stream, not as a request.
// - Capacity: Node closes sockets beyond maxConnections + PROBE_RESERVE at once; the connections
//   beyond maxConnections (the reserve) answer the probes only, everything else 429.
// /healthz and /readyz are exempt from every cap. Every count is released when the response
// closes, which Node signals for an ended answer and for a client gone mid-way alike.
//
// The counts are this node's, in memory, like the rate limits (rate-limits.ts): behind a balancer
// with N nodes a tenant can hold N times as much.
import { BlockList, isIPv6, type Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { RateLimitExceeded } from './rate-limits.js';
import { RequestTurns, type EndTurn } from './request-turns.js';

/** Connections above maxConnections that only the probes may use. */
export const PROBE_RESERVE = 32;
/** Connections per address beyond its cap that are kept just long enough to answer 429. */
export const REFUSED_PER_ADDRESS = 8;
/** What Retry-After suggests: a request in progress ends soon; a stream may last long. */
const RETRY_REQUEST_MS = 1000;
const RETRY_STREAM_MS = 10_000;
/** How long a request over its user's cap waits for its refusal (see admitCaller). */
export const REFUSAL_DELAY_MS = 1000;

const PROBES = new Set(['/healthz', '/readyz']);

type LimitSettings = Pick<
  Config,
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
  | 'maxConcurrentRequestsPerUser'
  | 'activeRequestsPerUser'
  | 'requestsPerSecondPerUser'
  | 'maxStreamsPerUser'
  | 'trustedProxies'
>;

/** How many of something each key holds. Keys at zero are forgotten, so the map stays small. */
class Holdings {
  private readonly counts = new Map<string, number>();

  /** Counts one more for the key; false (and nothing counted) when it holds `limit` already. */
  take(key: string, limit: number): boolean {
    const held = this.counts.get(key) ?? 0;
    if (held >= limit) return false;
    this.counts.set(key, held + 1);
    return true;
  }

  /** Counts one more whatever the limit; answers the new count. */
  add(key: string): number {
    const held = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, held);
    return held;
  }

  release(key: string): void {
    const held = (this.counts.get(key) ?? 0) - 1;
    if (held > 0) this.counts.set(key, held);
    else this.counts.delete(key);
  }

  held(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** A count held until released; releasing twice releases once. */
class Hold {
  private released = false;

  constructor(
    private readonly holdings: Holdings,
    private readonly key: string,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.holdings.release(this.key);
  }
}

/** Why a connection may not be used for anything but the probes. */
type Standing = 'over-address-cap' | 'over-capacity';

/**
 * A client's address as the limits count it: IPv4 as is (also when Node shows it IPv4-mapped),
 * IPv6 by its /64.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [left, right] = ip.split('%')[0]!.split('::') as [string, string | undefined];
  // An embedded IPv4 tail (::ffff:1.2.3.4 aside) stands for two groups.
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const head = groups(left);
  const tail = groups(right);
  const full = right === undefined ? head : [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return `${full
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The trusted proxies as a membership test of socket addresses. */
export function trustedProxyList(proxies: readonly string[]): (address: string | undefined) => boolean {
  if (!proxies.length) return () => false;
  const list = new BlockList();
  for (const entry of proxies) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? list.check(mapped[1]!, 'ipv4') : list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  };
}

const socketId = (socket: Socket) => `${socket.remoteAddress}|${socket.remotePort}`;

/** This node's counts of connections, requests in progress and live streams. */
export class TenantLimits {
  private readonly connectionsPerAddress = new Holdings();
  private readonly requests = new Holdings();
  private readonly streams = new Holdings();
  /** Connections that may serve the probes only, by remote address and port (plain or TLS alike). */
  private readonly standings = new Map<string, Standing>();
  private readonly requestHolds = new WeakMap<IncomingMessage, Hold>();
  private readonly turns: RequestTurns;
  private readonly turnsHeld = new WeakMap<IncomingMessage, EndTurn>();
  /** Requests a dialect admitted as their caller's as soon as the caller was known (admitCaller). */
  private readonly admittedEarly = new WeakSet<IncomingMessage>();
  private openConnections = 0;
  readonly isTrustedProxy: (address: string | undefined) => boolean;

  constructor(private readonly config: LimitSettings) {
    this.isTrustedProxy = trustedProxyList(config.trustedProxies);
    this.turns = new RequestTurns(config.activeRequestsPerUser, config.requestsPerSecondPerUser);
  }

  /** Counts a new connection, and closes it at once when its address has had its refusals. */
  accept(socket: Socket): void {
    const id = socketId(socket);
    this.openConnections += 1;
    let standing: Standing | undefined = this.openConnections > this.config.maxConnections ? 'over-capacity' : undefined;
    const address = this.isTrustedProxy(socket.remoteAddress) ? undefined : addressKey(socket.remoteAddress);
    if (address !== undefined) {
      const held = this.connectionsPerAddress.add(address);
      if (held > this.config.maxConnectionsPerAddress) standing = 'over-address-cap';
      if (held > this.config.maxConnectionsPerAddress + REFUSED_PER_ADDRESS) socket.destroy();
    }
    if (standing) this.standings.set(id, standing);
    socket.once('close', () => {
      this.openConnections -= 1;
      if (address !== undefined) this.connectionsPerAddress.release(address);
      this.standings.delete(id);
    });
  }

  /**
   * At a request's start: refused when its connection is over a cap; counted against its address
   * when it came through a trusted proxy. Throws RateLimitExceeded.
   */
  admit(request: FastifyRequest, response: ServerResponse): void {
    const now = Date.now();
    const socket = request.raw.socket as Socket | undefined;
    const standing = socket && this.standings.get(socketId(socket));
    if (standing) {
      const limit = standing === 'over-capacity' ? this.config.maxConnections : this.config.maxConnectionsPerAddress;
      throw refusal(limit, now, RETRY_REQUEST_MS);
    }
    if (!socket || !this.isTrustedProxy(socket.remoteAddress)) return;
    const address = `address:${addressKey(request.ip)}`;
    if (!this.requests.take(address, this.config.maxConnectionsPerAddress))
      throw refusal(this.config.maxConnectionsPerAddress, now, RETRY_REQUEST_MS);
    this.hold(request, response, new Hold(this.requests, address));
  }

  /** Once the caller is known: the request counts against its user instead. Throws RateLimitExceeded. */
  admitUser(request: FastifyRequest, response: ServerResponse, userGuid: string): void {
    this.requestHolds.get(request.raw)?.release();
    const user = `user:${userGuid}`;
    if (!this.requests.take(user, this.config.maxConcurrentRequestsPerUser))
      throw refusal(this.config.maxConcurrentRequestsPerUser, Date.now(), RETRY_REQUEST_MS);
    this.hold(request, response, new Hold(this.requests, user));
  }

  /**
   * Once admitted: waits for one of the user's turns (and the user's pace, unless `unpaced`),
   * which ends with the response (or a stream's start).
   */
  async takeTurn(request: FastifyRequest, response: ServerResponse, userGuid: string, unpaced = false): Promise<void> {
    const end = await this.turns.take(`user:${userGuid}`, unpaced);
    this.turnsHeld.set(request.raw, end);
    if (response.closed || response.destroyed) end();
    else response.once('close', end);
  }

  /**
   * A dialect that knows the caller before doing anything for the request (a verified token
   * names it without the store) admits it here, so that nothing else is done for a request over
   * its user's cap (a live stream's also over its cap on streams) or ahead of its turn. A refusal
   * is answered only after REFUSAL_DELAY_MS: a client in a loop that ignores Retry-After would
   * else come back at once, thousands of times a second, and its refusals alone would take the
   * event loop from everyone (the wait holds a socket, which the cap per address bounds, and no
   * CPU). Throws RateLimitExceeded.
   */
  async admitCaller(
    request: FastifyRequest,
    response: ServerResponse,
    caller: { userGuid: string; unpaced: boolean; opensStream?: boolean },
  ): Promise<void> {
    try {
      // A stream over the user's cap is refused before its task is looked up: a client retrying
      // one in a loop would else cost the store a user, a task and its app, space and org each time.
      if (caller.opensStream && this.streams.held(`user:${caller.userGuid}`) >= this.config.maxStreamsPerUser)
        throw refusal(this.config.maxStreamsPerUser, Date.now(), RETRY_STREAM_MS);
      this.admitUser(request, response, caller.userGuid);
    } catch (err) {
      await new Promise((resolve) => setTimeout(resolve, REFUSAL_DELAY_MS));
      throw err;
    }
    this.admittedEarly.add(request.raw);
    await this.takeTurn(request, response, caller.userGuid, caller.unpaced);
  }

  /** Whether a dialect admitted the request as its caller's already. */
  wasAdmitted(request: FastifyRequest): boolean {
    return this.admittedEarly.has(request.raw);
  }

  /**
   * A live stream for the user, held until the returned release is called or the response
   * closes; the request it came in stops counting as one. Throws RateLimitExceeded.
   */
  holdStream(reply: FastifyReply, userGuid: string): () => void {
    const user = `user:${userGuid}`;
    if (!this.streams.take(user, this.config.maxStreamsPerUser)) throw refusal(this.config.maxStreamsPerUser, Date.now(), RETRY_STREAM_MS);
    const stream = new Hold(this.streams, user);
    if (reply.raw.closed || reply.raw.destroyed) stream.release();
    else reply.raw.once('close', () => stream.release());
    this.requestHolds.get(reply.request.raw)?.release();
    // A stream waits on its task, not the CPU: the user's other requests need not wait for it.
    this.turnsHeld.get(reply.request.raw)?.();
    return () => stream.release();
  }

  /** For tests: how many of the user's requests wait for a turn. */
  waitingOf(userGuid: string): number {
    return this.turns.waitingOf(`user:${userGuid}`);
  }

  /** For tests: how many of the user's turns are taken. */
  workingOf(userGuid: string): number {
    return this.turns.workingOf(`user:${userGuid}`);
  }

  /** For tests and metrics: how many live streams the user holds. */
  streamsOf(userGuid: string): number {
    return this.streams.held(`user:${userGuid}`);
  }

  private hold(request: FastifyRequest, response: ServerResponse, hold: Hold): void {
    this.requestHolds.set(request.raw, hold);
    // The response's 'close' comes once the answer is sent or the client has gone, whichever is
    // first (the request's own 'close' comes as soon as its body is read: too early).
    if (response.closed || response.destroyed) hold.release();
    else response.once('close', () => hold.release());
  }
}

function refusal(limit: number, now: number, retryMs: number): RateLimitExceeded {
  return new RateLimitExceeded({ limit, remaining: 0, resetAt: now + retryMs, retryAt: now + retryMs }, now);
}

const limitsOfContext = new WeakMap<AppContext, TenantLimits>();

/** The limits of one taskd (one AppContext), made on first use. */
export function tenantLimitsOf(ctx: AppContext): TenantLimits {
  let limits = limitsOfContext.get(ctx);
  if (!limits) limitsOfContext.set(ctx, (limits = new TenantLimits(ctx.config)));
  return limits;
}

/** The user a dialect's authentication named, if any (Astra names its caller in each handler). */
function authenticatedCaller(request: FastifyRequest): { userGuid: string; unpaced: boolean } | undefined {
  const actor = request.actor ?? request.dbvisitActor ?? request.vsphere?.actor;
  const userGuid = actor?.userGuid ?? request.vsphere?.session.userGuid;
  // Operators are not paced: they run the service, and a dashboard of theirs reads a lot at once.
  return userGuid ? { userGuid, unpaced: actor?.isAdmin ?? false } : undefined;
}

const isProbe = (request: FastifyRequest) => PROBES.has(request.routeOptions.url ?? '');

/**
 * Installs the limits on the API server. Before every dialect, so that each request is admitted
 * before anything else is done for it, and its refusal is rendered in its dialect's envelope.
 */
export function limitTenants(app: FastifyInstance, ctx: AppContext): void {
  const limits = tenantLimitsOf(ctx);
  app.server.maxConnections = ctx.config.maxConnections + PROBE_RESERVE;
  app.server.on('connection', (socket: Socket) => limits.accept(socket));
  app.addHook('onRequest', async (request, reply) => {
    if (isProbe(request)) return;
    try {
      limits.admit(request, reply.raw);
    } catch (err) {
      // Answered, the connection closes: the client is over a cap and must come back later.
      reply.raw.shouldKeepAlive = false;
      throw err;
    }
  });
  // After every dialect's authentication (onRequest), before the body is read.
  app.addHook('preParsing', async (request, reply, payload) => {
    const caller = isProbe(request) || limits.wasAdmitted(request) ? undefined : authenticatedCaller(request);
    if (caller) {
      limits.admitUser(request, reply.raw, caller.userGuid);
      await limits.takeTurn(request, reply.raw, caller.userGuid, caller.unpaced);
    }
    return payload;
  });
}
