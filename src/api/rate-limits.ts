// Abuse limits (issue 8 part 8): how many tasks one user may create per minute, and how many
// failed logins a username, and a client address, may make within a window. Refusals are the
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

/** Keys (users, usernames, addresses) kept at most; beyond it the longest idle are forgotten. */
const MAX_KEYS = 100_000;

/**
 * Task creation per user (keyed on the user's guid, whichever dialect or token type): a token
 * bucket holding `perMinute` creates, refilled at perMinute per minute, so a script may burst a
 * minute's worth and then go on at the steady rate.
 */
export class TaskCreateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number,
  ) {}

  /** Takes one create from the user's bucket; throws RateLimitExceeded when it is empty. */
  take(userGuid: string): RateLimitState | undefined {
    if (this.perMinute <= 0) return undefined;
    const now = this.clock();
    const refillPerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(userGuid) ?? { tokens: this.perMinute, at: now };
    const tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * refillPerMs);
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.buckets.delete(userGuid);
    this.buckets.set(userGuid, { tokens: left, at: now });
    forgetOldest(this.buckets);
    const state: RateLimitState = {
      limit: this.perMinute,
      remaining: Math.floor(left),
      resetAt: now + Math.ceil((this.perMinute - left) / refillPerMs),
      retryAt: now + (allowed ? 0 : Math.ceil((1 - left) / refillPerMs)),
    };
    if (!allowed) throw new RateLimitExceeded(state, now);
    return state;
  }
}

/**
 * Failed logins, counted per username (existing or not: the answer must not tell which) and per
 * client address. Once either has used up its failures within the window, further attempts are
 * refused before the password is looked at. Refused attempts are not counted, so the window
 * always expires: an attacker can delay the real user by one window at a time, never lock them
 * out for good. A success clears the username's failures. An address gets more failures than a
 * username: many people may share one (an office behind NAT, or a proxy in front of taskd).
 */
export class LoginFailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: { perUser: number; perAddress: number },
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Throws RateLimitExceeded when the username or the address has used up its failures. */
  check(username: string, address: string): void {
    const now = this.clock();
    for (const [key, limit] of this.keys(username, address)) {
      const times = this.recent(key, now);
      if (limit <= 0 || times.length < limit) continue;
      // Allowed again when the oldest failure that keeps the count at the limit leaves the window.
      const retryAt = times[times.length - limit]! + this.windowMs;
      throw new RateLimitExceeded({ limit, remaining: 0, resetAt: times[times.length - 1]! + this.windowMs, retryAt }, now);
    }
  }

  failed(username: string, address: string): void {
    const now = this.clock();
    for (const [key, limit] of this.keys(username, address)) {
      if (limit <= 0) continue;
      // Only the last `limit` failures matter, so a key holds at most that many times.
      const times = [...this.recent(key, now), now].slice(-limit);
      this.failures.delete(key);
      this.failures.set(key, times);
    }
    forgetOldest(this.failures);
  }

  succeeded(username: string): void {
    this.failures.delete(`user:${username}`);
  }

  private keys(username: string, address: string): [string, number][] {
    return [
      [`user:${username}`, this.limits.perUser],
      [`ip:${address}`, this.limits.perAddress],
    ];
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.windowMs);
  }
}

/** Maps keep insertion order and every use re-inserts: the first keys are the longest idle. */
function forgetOldest(map: Map<string, unknown>): void {
  while (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
}

/** This node's limits. */
export class RateLimits {
  readonly taskCreates: TaskCreateLimiter;
  readonly logins: LoginFailureLimiter;

  /** `clock` is Date.now but for tests, which move time on instead of waiting. */
  constructor(
    config: Pick<Config, 'taskCreateRateLimit' | 'loginFailureLimit' | 'loginFailureLimitPerAddress' | 'loginFailureWindowSeconds'>,
    clock: () => number = Date.now,
  ) {
    this.taskCreates = new TaskCreateLimiter(config.taskCreateRateLimit, clock);
    const limits = { perUser: config.loginFailureLimit, perAddress: config.loginFailureLimitPerAddress };
    this.logins = new LoginFailureLimiter(limits, config.loginFailureWindowSeconds * 1000, clock);
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
 * A password login under the failed-login limit: refused (RateLimitExceeded) before the password
 * is checked when the username or the client address is over it. `attempt` answers undefined for
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
  else logins.succeeded(username);
  return result;
}
