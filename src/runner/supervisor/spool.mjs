// A task's spool: `<runDir>/tasks/<guid>.spool`, the supervisor's record of the task kept where a
// restarted taskd (or a restarted supervisor) finds it — what it runs in, its process, every
// output line with its number, and how it ended. JSON, one record per line:
//   { "task": { cwd, cgroup } }            first
//   { "spawning": true }                   its directory is ready and its process is being started
//   { "started": { pid, startTime } }      the group leader, and its start time in /proc (so a
//                                          pid reused after a reboot is never mistaken for it);
//                                          { unrecorded: true } when a later supervisor found
//                                          that it had started (or may have) without this record
//   { "n": seq, "t": time, "s": "o"|"e", "x": text }   an output line
//   { "exit": { code, signal, exceeded?, droppedBytes } }   last
// Appends are ordered by one promise chain per spool; a reader waits for it to see every line
// written so far. Plain JavaScript, Node's modules only.
import { createReadStream } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { note } from './note.mjs';

/** @import { FileHandle } from 'node:fs/promises' */
/** @import { OutputLine, TaskEnd } from './protocol.js' */
/**
 * The task's group leader, or that a later supervisor found it started without this record.
 * @typedef {{ pid: number, startTime: string | undefined, unrecorded?: undefined }
 *   | { unrecorded: true, pid?: undefined, startTime?: undefined }} SpooledStart
 */
/** @typedef {{ n: number, t: string, s: 'o' | 'e', x: string }} SpooledLine */
/** @typedef {{ task: { cwd: string } } | { spawning: true } | { started: SpooledStart } | SpooledLine | { exit: TaskEnd }} SpoolRecord */
/**
 * A record read back: one of the above, told apart by which field it has.
 * @typedef {Partial<{ task: { cwd: string }, spawning: true, started: SpooledStart, exit: TaskEnd } & SpooledLine>} ReadRecord
 */

export const SPOOL_SUFFIX = '.spool';

/**
 * @param {string} dir
 * @param {string} id the task's guid
 */
export function spoolFile(dir, id) {
  return path.join(dir, `${id}${SPOOL_SUFFIX}`);
}

export class Spool {
  /** @param {string} file */
  constructor(file) {
    this.file = file;
    /** @type {FileHandle | undefined} */
    this.handle = undefined;
    /** @type {Promise<void>} */
    this.chain = Promise.resolve();
    /**
     * Bytes of whole records in the file: a write cut short (disk full) is cut back to here.
     * @type {number | undefined}
     */
    this.size = undefined;
    /**
     * The error of the last write, while writes fail; reported once, not per write.
     * @type {unknown}
     */
    this.failing = undefined;
    /** Bytes appended and not yet written: what a slow disk makes the supervisor hold. */
    this.pendingBytes = 0;
  }

  /**
   * Appends records in order. A write that fails (disk full) loses its records from the spool
   * only — taskd was told of them live — and is cut back to the last whole record, so the spool
   * stays readable and takes the records that come once space is freed.
   * @param {SpoolRecord[]} records
   */
  append(records) {
    const bytes = Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    this.pendingBytes += bytes.length;
    this.chain = this.chain.then(async () => {
      try {
        this.handle ??= await open(this.file, 'a', 0o600);
        this.size ??= (await this.handle.stat()).size;
        const { bytesWritten } = await this.handle.write(bytes);
        // A short write is the disk filling up mid-record: the next write would say ENOSPC.
        if (bytesWritten < bytes.length) throw Object.assign(new Error('no space left on device (short write)'), { code: 'ENOSPC' });
        this.size += bytes.length;
        if (this.failing) note(`writing ${this.file} works again`);
        this.failing = undefined;
      } catch (err) {
        if (!this.failing) note(`writing ${this.file} failed: ${/** @type {Error} */ (err).message}`);
        this.failing = err;
        if (this.size !== undefined) await this.handle?.truncate(this.size).catch(() => {});
      }
      this.pendingBytes -= bytes.length;
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

/**
 * The records of a spool in order; a torn last record (the writer died mid-line) is left out.
 * @param {string} file
 * @returns {AsyncGenerator<ReadRecord>}
 */
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

/**
 * The task ids that have a spool in `dir`.
 * @param {string} dir
 */
export async function spooledIds(dir) {
  const names = await readdir(dir).catch(() => /** @type {string[]} */ ([]));
  return names.filter((n) => n.endsWith(SPOOL_SUFFIX)).map((n) => n.slice(0, -SPOOL_SUFFIX.length));
}

/**
 * An output line as the spool keeps it, and back.
 * @type {(line: OutputLine) => SpooledLine}
 */
export const spoolLine = (line) => ({ n: line.seq, t: line.time, s: line.stream === 'stdout' ? 'o' : 'e', x: line.text });
/** @type {(record: SpooledLine) => OutputLine} */
export const lineOfSpool = (r) => ({ seq: r.n, time: r.t, stream: r.s === 'o' ? 'stdout' : 'stderr', text: r.x });
