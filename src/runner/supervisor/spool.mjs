// A task's spool: `<runDir>/tasks/<guid>.spool`, the supervisor's record of the task kept where a
// restarted taskd (or a restarted supervisor) finds it — what it runs in, its process, every
// output line with its number, and how it ended. JSON, one record per line:
//   { "task": { cwd, cgroup } }            first
//   { "started": { pid, startTime } }      the group leader, and its start time in /proc (so a
//                                          pid reused after a reboot is never mistaken for it)
//   { "n": seq, "t": time, "s": "o"|"e", "x": text }   an output line
//   { "exit": { code, signal, exceeded?, droppedBytes } }   last
// Appends are ordered by one promise chain per spool; a reader waits for it to see every line
// written so far. Plain JavaScript, Node's modules only.
import { createReadStream } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const SPOOL_SUFFIX = '.spool';

export function spoolFile(dir, id) {
  return path.join(dir, `${id}${SPOOL_SUFFIX}`);
}

export class Spool {
  constructor(file) {
    this.file = file;
    this.handle = undefined;
    this.chain = Promise.resolve();
    this.failed = undefined;
  }

  /** Appends records in order; a failed write (disk full) is reported once and the rest skipped. */
  append(records) {
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        this.handle ??= await open(this.file, 'a', 0o600);
        await this.handle.write(text);
      } catch (err) {
        this.failed = err;
        process.stderr.write(`taskd supervisor: writing ${this.file} failed: ${err.message}\n`);
      }
    });
    return this.chain;
  }

  /** Resolves once everything appended so far is in the file. */
  settled() {
    return this.chain;
  }

  async close() {
    await this.chain;
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  async remove() {
    await this.close();
    await rm(this.file, { force: true });
  }
}

/** The records of a spool in order; a torn last record (the writer died mid-line) is left out. */
export async function* readSpool(file) {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    try {
      yield JSON.parse(line);
    } catch {
      // Torn or garbled: nothing after it can be trusted to be in order either.
      return;
    }
  }
}

/** The task ids that have a spool in `dir`. */
export async function spooledIds(dir) {
  const names = await readdir(dir).catch(() => []);
  return names.filter((n) => n.endsWith(SPOOL_SUFFIX)).map((n) => n.slice(0, -SPOOL_SUFFIX.length));
}

/** An output line as the spool keeps it, and back. */
export const spoolLine = (line) => ({ n: line.seq, t: line.time, s: line.stream === 'stdout' ? 'o' : 'e', x: line.text });
export const lineOfSpool = (r) => ({ seq: r.n, time: r.t, stream: r.s === 'o' ? 'stdout' : 'stderr', text: r.x });
