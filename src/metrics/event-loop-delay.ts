// How late this process's event loop runs: a timer due every SAMPLE_MS notes how late it fired.
// Every request, task output line and database answer waits in that loop, so this delay is added
// to everything taskd does; a histogram (rather than a last value) lets a scraper read any
// window's percentiles as the difference of two scrapes.
import { Histogram } from './exposition.js';

const SAMPLE_MS = 20;
/** From a millisecond (a healthy loop) to seconds (a loop blocked by long synchronous work). */
const DELAY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class EventLoopDelay {
  private readonly delay = new Histogram(
    'taskd_event_loop_delay_seconds',
    "How late this process's event loop ran a timer due every 20 ms, sampled as it runs.",
    [],
    DELAY_BUCKETS,
  );
  private readonly timer: NodeJS.Timeout;
  private due = performance.now() + SAMPLE_MS;

  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      this.delay.observe(Math.max(0, now - this.due) / 1000, {});
      this.due = now + SAMPLE_MS;
    }, SAMPLE_MS);
    // A process with nothing else to do may exit: the sampler keeps nothing alive.
    this.timer.unref();
  }

  render(): string[] {
    return this.delay.render();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
