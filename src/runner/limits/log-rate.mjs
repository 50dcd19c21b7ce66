// The log rate limit of one task (CF's log_rate_limit_in_bytes_per_second): a token bucket over
// the bytes of its output, applied in the task supervisor before it makes lines of them, so
// output over the limit is dropped where it is read and never costs the server anything. Plain
// JavaScript without imports: the supervisor loads it as is.

/**
 * Half a second of burst: a task may print a short burst (a stack trace) at once, and a task
 * writing as fast as it can still stays within 5% of the limit over ten seconds.
 */
const BURST_SECONDS = 0.5;

export class LogRateLimit {
  /** @param {number} bytesPerSecond the limit; callers make none for -1 (unlimited). */
  constructor(bytesPerSecond, now = () => performance.now()) {
    this.rate = bytesPerSecond;
    this.capacity = Math.max(1, bytesPerSecond * BURST_SECONDS);
    this.tokens = this.capacity;
    this.now = now;
    this.last = now();
    /** Bytes dropped over the task's life. */
    this.dropped = 0;
    /** Bytes dropped since the last notice. */
    this.unreported = 0;
  }

  /**
   * How many of `bytes` more bytes may pass now; the rest count as dropped.
   * @param {number} bytes
   */
  take(bytes) {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    const allowed = Math.min(bytes, Math.floor(this.tokens));
    this.tokens -= allowed;
    this.dropped += bytes - allowed;
    this.unreported += bytes - allowed;
    return allowed;
  }

  /** The notice for what was dropped since the last one, or undefined when nothing was. */
  notice() {
    if (!this.unreported) return undefined;
    const text = `taskd: output over the log rate limit of ${this.rate} bytes/s; ${this.unreported} bytes dropped`;
    this.unreported = 0;
    return text;
  }
}
