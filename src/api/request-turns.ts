// Each user's requests are worked on a few at a time; the others wait their turn, in order.
//
// The caps on requests in progress bound how much one user may ask at once, not how much of the
// node's one event loop those requests take: a tenant with 100 requests in progress beside a quiet
// tenant with one had 100 shares of the CPU to its one, and the quiet tenant's answers waited
// seconds behind them. With turns, a user's requests beyond the first few wait without costing
// anything, and every user's next request starts as soon as one of its own ends, so a loaded node
// divides its time by users, not by requests.

/** Ends a turn; ending it again does nothing. */
export type EndTurn = () => void;

export class RequestTurns {
  private readonly working = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly perUser: number) {}

  /** Resolves once one of the user's turns is free; the turn is the caller's until it ends it. */
  async take(user: string): Promise<EndTurn> {
    const working = this.working.get(user) ?? 0;
    if (working < this.perUser) this.working.set(user, working + 1);
    else await new Promise<void>((resolve) => this.queueOf(user).push(resolve));
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.pass(user);
    };
  }

  /** For tests and metrics: how many of the user's requests wait for a turn. */
  waitingOf(user: string): number {
    return this.waiting.get(user)?.length ?? 0;
  }

  private queueOf(user: string): (() => void)[] {
    let queue = this.waiting.get(user);
    if (!queue) this.waiting.set(user, (queue = []));
    return queue;
  }

  /** A turn ended: the user's next waiting request takes it, else it is free. */
  private pass(user: string): void {
    const queue = this.waiting.get(user);
    const next = queue?.shift();
    if (queue && !queue.length) this.waiting.delete(user);
    if (next) return next();
    const working = (this.working.get(user) ?? 1) - 1;
    if (working > 0) this.working.set(user, working);
    else this.working.delete(user);
  }
}
