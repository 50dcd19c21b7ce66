// Abuse limits (issue 8 part 8, issue 17): how many tasks one user may create per minute, and how
// failed logins are slowed (per username and address, per address, per username). Refusals are the
// catalog's TooManyRequests (CF: 429 CF-RateLimitExceeded, code 10013, "Rate Limit Exceeded"),
// each dialect rendering it in its own envelope, with CF's rate limit headers.
//
// The counts live in memory, per taskd node, as Cloud Controller's own rate limiter keeps them
// per instance: a limit is a brake on abuse, not an accounting, and counting in the shared
// database would add a write (and, on PostgreSQL, a contended row) to every create and every
// login. With N API nodes behind a balancer a user gets at most N times the limit; operators who
// run several nodes set the limits accordingly (README, configuration).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../core/errors.js';

/** What a limit says about one more attempt. Times are epoch milliseconds. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** When the count is back to its full allowance. */
  resetAt: number;
  /** When, refused, an attempt may succeed again. */
  retryAt: number;
}

/** A refusal by a rate limit; its headers go out with the dialect's 429. */
export class RateLimitExceeded extends ApiError {
  constructor(
    readonly state: RateLimitState,
    readonly now: number,
  ) {
    super('TooManyRequests');
  }
}

/**
 * CF's headers (cloud_controller_ng middleware/rate_limiter.rb): X-RateLimit-Limit, -Remaining
 * and -Reset in epoch seconds. On a refusal CF also sends Retry-After, set to the same epoch
 * seconds; taskd sends it as RFC 9110 delta-seconds instead, because every generic HTTP client
 * (curl --retry, retry libraries, proxies) reads it so and would wait for decades otherwise.
 */
export function rateLimitHeaders(state: RateLimitState, refusedAt?: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(Math.max(0, state.remaining)),
    'x-ratelimit-reset': String(Math.ceil(state.resetAt / 1000)),
  };
  if (refusedAt !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil((state.retryAt - refusedAt) / 1000)));
  return headers;
}

/** A per-minute limit's bucket holds this many seconds' worth (PerUserRateLimiter)... */
const BURST_SECONDS = 10;
/** ...but never fewer than this many (a limit of 30 a minute still lets 10 go at once). */
const MIN_BURST = 10;

/** Keys (users, usernames, addresses) kept at most; beyond it the longest idle are forgotten. */
const MAX_KEYS = 100_000;

/**
 * Something each user may do so many times a minute (task creates, droplet uploads; keyed on the
 * user's guid, whichever dialect or token type): a token bucket refilled at perMinute per minute,
 * holding ten seconds' worth (BURST_SECONDS; at least MIN_BURST, at most perMinute), so a script
 * may burst that much and then go on at the steady rate. A whole minute's worth at once (600
 * creates) took the node from every other tenant for seconds (issue 17).
 */
export class PerUserRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** The most taken at once, from a full bucket. */
  readonly burst: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number,
  ) {
    this.burst = Math.min(perMinute, Math.max(MIN_BURST, Math.ceil((perMinute * BURST_SECONDS) / 60)));
  }

  /** Takes one create from the user's bucket; throws RateLimitExceeded when it is empty. */
  take(userGuid: string): RateLimitState | undefined {
    if (this.perMinute <= 0) return undefined;
    const now = this.clock();
    const refillPerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(userGuid) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) * refillPerMs);
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.buckets.delete(userGuid);
    this.buckets.set(userGuid, { tokens: left, at: now });
    forgetOldest(this.buckets);
    const state: RateLimitState = {
      limit: this.perMinute,
      remaining: Math.floor(left),
      resetAt: now + Math.ceil((this.burst - left) / refillPerMs),
      retryAt: now + (allowed ? 0 : Math.ceil((1 - left) / refillPerMs)),
    };
    if (!allowed) throw new RateLimitExceeded(state, now);
    return state;
  }
}

/** How long the failures of one username from one address are remembered after the last. */
const PAIR_MEMORY_MS = 60 * 60 * 1000;
/** How long an address a user logged in from stays exempt from their username-wide delay. */
const KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000;

export interface LoginLimits {
  /** Wrong passwords for one (username, address) before each further one waits. */
  freeFailures: number;
  /** Failed logins of one username from all addresses within the window before it is slowed. */
  perUser: number;
  /** Failed logins from one address (any usernames) within the window before it is refused. */
  perAddress: number;
  windowMs: number;
  maxDelayMs: number;
}

/**
 * Failed logins, throttled so that nobody can lock a user out: there is no lock on a username.
 *
 * - (username, address): after `freeFailures` wrong passwords each further attempt from that
 *   address waits 1 s, then 2 s, 4 s, … up to `maxDelayMs`. Only that address waits: the user at
 *   theirs logs in as ever. A success clears it; otherwise it is forgotten an hour after the last.
 * - address (any usernames): `perAddress` failures within the window refuse that address until
 *   the oldest leaves the window (password spraying). Addresses shared by many (NAT, a proxy not
 *   in TASKD_TRUSTED_PROXIES) share this count, hence it is higher than a user needs.
 * - username (all addresses): beyond `perUser` failures within the window (a guess spread over
 *   many addresses) attempts wait one second more for each further failure, up to `maxDelayMs`,
 *   except from an address the user has logged in from in the last 30 days (on this node).
 *
 * Refused attempts are not counted, so waiting always ends. A nonexistent username is counted
 * as an existing one: the answers must not tell which exist.
 */
export class LoginFailureLimiter {
  private readonly pairs = new Map<string, { failures: number; lastAt: number }>();
  private readonly windows = new Map<string, number[]>();
  private readonly knownAddresses = new Map<string, number>();

  constructor(
    private readonly limits: LoginLimits,
    private readonly clock: () => number,
  ) {}

  /** Throws RateLimitExceeded when this attempt must wait (or, for a spraying address, stop). */
  check(username: string, address: string): void {
    const now = this.clock();
    const { perAddress, perUser, freeFailures, windowMs } = this.limits;
    const fromAddress = this.recent(`ip:${address}`, now);
    if (perAddress > 0 && fromAddress.length >= perAddress) {
      const retryAt = fromAddress[fromAddress.length - perAddress]! + windowMs;
      throw new RateLimitExceeded(
        { limit: perAddress, remaining: 0, resetAt: fromAddress[fromAddress.length - 1]! + windowMs, retryAt },
        now,
      );
    }
    const pair = this.pair(username, address, now);
    if (freeFailures > 0 && pair && pair.failures >= freeFailures) {
      const retryAt = pair.lastAt + this.capped(1000 * 2 ** Math.min(30, pair.failures - freeFailures));
      if (now < retryAt) throw new RateLimitExceeded({ limit: freeFailures, remaining: 0, resetAt: retryAt, retryAt }, now);
    }
    const ofUser = this.recent(`user:${username}`, now);
    if (perUser > 0 && ofUser.length >= perUser && !this.isKnown(username, address, now)) {
      const retryAt = ofUser[ofUser.length - 1]! + this.capped(1000 * (ofUser.length - perUser + 1));
      if (now < retryAt) throw new RateLimitExceeded({ limit: perUser, remaining: 0, resetAt: retryAt, retryAt }, now);
    }
  }

  failed(username: string, address: string): void {
    const now = this.clock();
    const pair = this.pair(username, address, now);
    const pairKey = `${username}\0${address}`;
    this.pairs.delete(pairKey);
    this.pairs.set(pairKey, { failures: (pair?.failures ?? 0) + 1, lastAt: now });
    forgetOldest(this.pairs);
    const { perAddress, perUser, maxDelayMs } = this.limits;
    if (perAddress > 0) this.count(`ip:${address}`, now, perAddress);
    // Beyond its limit a username's wait grows a second a failure up to the cap: no more times are needed.
    if (perUser > 0) this.count(`user:${username}`, now, perUser + Math.ceil(maxDelayMs / 1000));
  }

  /** Adds a failure to a windowed count, keeping its last `keep` times only. */
  private count(key: string, now: number, keep: number): void {
    const times = [...this.recent(key, now), now].slice(-keep);
    this.windows.delete(key);
    this.windows.set(key, times);
    forgetOldest(this.windows);
  }

  succeeded(username: string, address: string): void {
    const key = `${username}\0${address}`;
    this.pairs.delete(key);
    this.knownAddresses.delete(key);
    this.knownAddresses.set(key, this.clock());
    forgetOldest(this.knownAddresses);
  }

  private pair(username: string, address: string, now: number): { failures: number; lastAt: number } | undefined {
    const pair = this.pairs.get(`${username}\0${address}`);
    return pair && now - pair.lastAt <= PAIR_MEMORY_MS ? pair : undefined;
  }

  private isKnown(username: string, address: string, now: number): boolean {
    const at = this.knownAddresses.get(`${username}\0${address}`);
    return at !== undefined && now - at <= KNOWN_ADDRESS_MS;
  }

  private capped(delayMs: number): number {
    return Math.min(delayMs, this.limits.maxDelayMs);
  }

  private recent(key: string, now: number): number[] {
    return (this.windows.get(key) ?? []).filter((at) => at > now - this.limits.windowMs);
  }
}

/** Maps keep insertion order and every use re-inserts: the first keys are the longest idle. */
function forgetOldest(map: Map<string, unknown>): void {
  while (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
}

/** This node's limits. */
export class RateLimits {
  readonly taskCreates: PerUserRateLimiter;
  readonly dropletUploads: PerUserRateLimiter;
  readonly logins: LoginFailureLimiter;

  /** `clock` is Date.now but for tests, which move time on instead of waiting. */
  constructor(
    config: Pick<
      Config,
      | 'taskCreateRateLimit'
      | 'dropletUploadRateLimit'
      | 'loginFailureLimit'
      | 'loginFailureLimitPerAddress'
      | 'loginFailureWindowSeconds'
      | 'loginFreeFailures'
      | 'loginMaxDelaySeconds'
    >,
    clock: () => number = Date.now,
  ) {
    this.taskCreates = new PerUserRateLimiter(config.taskCreateRateLimit, clock);
    this.dropletUploads = new PerUserRateLimiter(config.dropletUploadRateLimit, clock);
    const limits: LoginLimits = {
      freeFailures: config.loginFreeFailures,
      perUser: config.loginFailureLimit,
      perAddress: config.loginFailureLimitPerAddress,
      windowMs: config.loginFailureWindowSeconds * 1000,
      maxDelayMs: config.loginMaxDelaySeconds * 1000,
    };
    this.logins = new LoginFailureLimiter(limits, clock);
  }
}

const limitsOfContext = new WeakMap<AppContext, RateLimits>();

/** The limits of one taskd (one AppContext), made on first use. */
export function rateLimitsOf(ctx: AppContext): RateLimits {
  let limits = limitsOfContext.get(ctx);
  if (!limits) limitsOfContext.set(ctx, (limits = new RateLimits(ctx.config)));
  return limits;
}

/** For tests: this taskd's limits on a clock they control. */
export function useRateLimitClock(ctx: AppContext, clock: () => number): void {
  limitsOfContext.set(ctx, new RateLimits(ctx.config, clock));
}

/**
 * Sends a refusal's headers whichever dialect's error handler renders it. An onError hook runs
 * before the handler, and headers set on the reply there are kept by it.
 */
export function sendRateLimitHeaders(app: FastifyInstance): void {
  app.addHook('onError', async (_request, reply, error) => {
    if (error instanceof RateLimitExceeded) reply.headers(rateLimitHeaders(error.state, error.now));
  });
}

/**
 * A password login under the failed-login throttle: refused (RateLimitExceeded) before the
 * password is checked while this (username, address) must wait, the address is over its limit,
 * or the username is slowed from an address it has not logged in from. `attempt` answers undefined for
 * wrong credentials, which then count as a failure.
 */
export async function limitedLogin<T>(
  ctx: AppContext,
  address: string,
  username: string,
  attempt: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const { logins } = rateLimitsOf(ctx);
  logins.check(username, address);
  const result = await attempt();
  if (result === undefined) logins.failed(username, address);
  else logins.succeeded(username, address);
  return result;
}
