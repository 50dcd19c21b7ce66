// A spinner and a progress bar on stderr, drawn only when stderr is a terminal: in a pipe or a
// log file they would be noise.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const interactive = () => process.stderr.isTTY === true;

export class Spinner {
  private timer?: NodeJS.Timeout;
  private frame = 0;

  /** What the spinner says; may change while it spins (a count that grows). */
  constructor(public label: string) {}

  start(): this {
    if (!interactive()) return this;
    // Drawn at once: what takes less than a frame is still seen to happen.
    const draw = () => process.stderr.write(`\r${FRAMES[this.frame++ % FRAMES.length]} ${this.label}`);
    draw();
    this.timer = setInterval(draw, 100);
    return this;
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    process.stderr.write('\r\x1b[K');
  }
}

export class ProgressBar {
  private lastDrawn = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    if (!interactive() || this.total <= 0) return;
    const now = Date.now();
    // A redraw per chunk would cost more than the upload on a fast link.
    if (now - this.lastDrawn < 100 && done < this.total) return;
    this.lastDrawn = now;
    const ratio = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(ratio * width);
    process.stderr.write(
      `\r${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(ratio * 100)}% of ${formatBytes(this.total)}`,
    );
  }

  finish(): void {
    if (interactive() && this.total > 0) process.stderr.write('\r\x1b[K');
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
