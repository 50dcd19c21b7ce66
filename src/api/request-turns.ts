// Each user's requests are worked on a few at a time and started at a steady pace; the others
// wait their turn, in order.
//
// The caps on requests in progress bound how much one user may ask at once, not how much of the
// node's one event loop those requests take: a tenant with 100 requests in progress beside a quiet
// tenant with one had 100 shares of the CPU to its one, and the quiet tenant's answers waited
// seconds behind them. With turns, a user's requests beyond the first few wait without costing
// anything, and every user's next request starts as soon as one of its own ends, so a loaded node
// divides its time by users, not by requests.
//
// Turns alone still let one user keep its few turns busy without a pause, hundreds of requests a
// second: the pace bounds how many of a user's requests start each second (a token bucket holding
// two seconds' worth, so a burst goes through at once). A request beyond the pace waits for it
// rather than being refused, as nginx's limit_req delays a burst: a client polling too fast is
// slowed, not broken, and a client in a loop sends its next request only once answered. Waiting
// costs nothing but a place in the queue, which the cap on requests in progress bounds.

/** Ends a turn; ending it again does nothing. */
export type EndTurn = () => void;

/** One user's turns: how many are worked on, who waits, and the pace's bucket. */
interface UserTurns {
  working: number;
  waiting: { start: () => void; unpaced: boolean }[];
  tokens: number;
  /** When `tokens` was counted (performance.now()). */
  at: number;
  /** Set while the next waiter waits for the pace. */
  timer?: NodeJS.Timeout;
}

export class RequestTurns {
  private readonly users = new Map<string, UserTurns>();
  private readonly burst: number;

  /**
   * @param perUser requests of one user worked on at once
   * @param perSecond requests of one user started per second at most (0: no pace)
   */
  constructor(
    private readonly perUser: number,
    private readonly perSecond = 0,
  ) {
    this.burst = 2 * perSecond;
  }

  /**
   * Resolves once one of the user's turns is free (and the pace allows, unless `unpaced`); the
   * turn is the caller's until it ends it.
   */
  async take(user: string, unpaced = false): Promise<EndTurn> {
    const turns = this.turnsOf(user);
    if (!turns.waiting.length && turns.working < this.perUser && (unpaced || this.spend(turns))) turns.working += 1;
    else {
      const started = new Promise<void>((start) => turns.waiting.push({ start, unpaced }));
      // Free turns but no pace left: the next start is a timer's.
      this.next(user, turns);
      await started;
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      turns.working -= 1;
      this.next(user, turns);
    };
  }

  /** For tests and metrics: how many of the user's requests wait for a turn. */
  waitingOf(user: string): number {
    return this.users.get(user)?.waiting.length ?? 0;
  }

  /** For tests and metrics: how many of the user's turns are taken. */
  workingOf(user: string): number {
    return this.users.get(user)?.working ?? 0;
  }

  private turnsOf(user: string): UserTurns {
    let turns = this.users.get(user);
    if (!turns) this.users.set(user, (turns = { working: 0, waiting: [], tokens: this.burst, at: performance.now() }));
    return turns;
  }

  /** Takes one start from the user's bucket, if it holds one. */
  private spend(turns: UserTurns): boolean {
    if (!this.perSecond) return true;
    const now = performance.now();
    turns.tokens = Math.min(this.burst, turns.tokens + ((now - turns.at) * this.perSecond) / 1000);
    turns.at = now;
    if (turns.tokens < 1) return false;
    turns.tokens -= 1;
    return true;
  }

  /** Starts the user's next waiting requests while turns and the pace allow; forgets an idle user. */
  private next(user: string, turns: UserTurns): void {
    while (turns.waiting.length && turns.working < this.perUser) {
      if (!turns.waiting[0]!.unpaced && !this.spend(turns)) {
        turns.timer ??= setTimeout(
          () => {
            turns.timer = undefined;
            this.next(user, turns);
          },
          Math.ceil(((1 - turns.tokens) * 1000) / this.perSecond),
        );
        return;
      }
      turns.working += 1;
      // Started from the event loop, not from the end of the request before it: an answer's end
      // comes before the loop polls again, so a user's queue started from there ran whole, each
      // request's end starting the next, and no one else's request was read meanwhile (a noisy
      // tenant's 600 queued creates held every other request and probe for 0.7 s).
      setImmediate(turns.waiting.shift()!.start);
    }
    // A user with nothing working or waiting is forgotten once its bucket would be full again, so
    // forgetting it gives no extra burst; until then it is kept (one small entry per recent user).
    if (!turns.working && !turns.waiting.length && this.refilled(turns)) this.users.delete(user);
  }

  private refilled(turns: UserTurns): boolean {
    return !this.perSecond || turns.tokens + ((performance.now() - turns.at) * this.perSecond) / 1000 >= this.burst;
  }
}
