// A task's output as numbered lines: split per stream at newlines, numbered from 1 in the order
// they complete, and timestamped as read. Numbered here, where the output is read, so that the
// numbers survive a restart of taskd: the spool holds them, and taskd stores each line once by
// its number however often it is told of it. Plain JavaScript, Node's modules only.
//
// What is read is split a slice at a time (`work`): the supervisor has one thread for every task,
// and a task printing short lines (`yes`) gives it tens of thousands of lines per read. Split at
// once, those held it for most of a second, and with it every other task's start and output.
import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this are stored in pieces, so one runaway line cannot grow without bound. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Lines split off per slice of work: a few milliseconds' worth. */
export const LINES_PER_SLICE = 1000;

/** @import { OutputLine, OutputStream } from './protocol.js' */

/**
 * Output read and not yet split into lines: text of a stream (from `at` on), a notice of taskd's
 * own, or a stream's end; `time` is when it was read, the time of the lines it completes.
 * @typedef {{ stream: OutputStream, time: string } & ({ text: string, at: number } | { notice: string } | { end: true })} Unsplit
 */

export class OutputLines {
  /** @param {(line: OutputLine) => void} emit */
  constructor(emit) {
    this.emit = emit;
    this.seq = 0;
    /** @type {Record<OutputStream, string>} */
    this.partial = { stdout: '', stderr: '' };
    /** @type {Record<OutputStream, StringDecoder | undefined>} */
    this.decoders = { stdout: undefined, stderr: undefined };
    /** @type {Unsplit[]} */
    this.backlog = [];
  }

  /**
   * Bytes read from a stream; `cut`: what follows them was dropped (a character cut there is not
   * joined to the next). Split by `work`.
   * @param {OutputStream} stream
   * @param {Buffer} bytes
   * @param {boolean} [cut]
   */
  write(stream, bytes, cut = false) {
    this.decoders[stream] ??= new StringDecoder('utf8');
    const text = this.decoders[stream].write(bytes);
    if (cut) this.decoders[stream] = undefined;
    if (text) this.backlog.push({ stream, time: new Date().toISOString(), text, at: 0 });
  }

  /**
   * A line of taskd's own (a limit notice) on stderr, kept apart from the task's unfinished line;
   * numbered after what was read before it. Split by `work`.
   * @param {string} text
   */
  notice(text) {
    this.backlog.push({ stream: 'stderr', time: new Date().toISOString(), notice: text });
  }

  /**
   * The stream ended: its unterminated last line is a line too. Everything read is split now.
   * @param {OutputStream} stream
   */
  end(stream) {
    const rest = this.decoders[stream]?.end() ?? '';
    this.decoders[stream] = undefined;
    const time = new Date().toISOString();
    if (rest) this.backlog.push({ stream, time, text: rest, at: 0 });
    this.backlog.push({ stream, time, end: true });
    this.work(Infinity);
  }

  /** Forgets what was read and not split yet: the task's output is being thrown away. */
  drop() {
    this.backlog = [];
  }

  /**
   * Splits up to `slice` lines off what was read, in the order it was read; true while some is left.
   * @param {number} [slice]
   */
  work(slice = LINES_PER_SLICE) {
    let lines = 0;
    while (lines < slice && this.backlog.length) {
      const next = /** @type {Unsplit} */ (this.backlog[0]);
      const { stream, time } = next;
      if ('notice' in next) {
        this.add(stream, next.notice, time);
        lines++;
      } else if ('end' in next) {
        if (this.partial[stream] !== '') this.add(stream, this.partial[stream], time);
        this.partial[stream] = '';
      } else {
        lines += this.split(next, slice - lines);
        if (next.at < next.text.length) return true;
      }
      this.backlog.shift();
    }
    return this.backlog.length > 0;
  }

  /**
   * Splits up to `most` lines off `unsplit`'s text, moving its `at` past them (to its end once no
   * newline is left: the rest is the stream's unfinished line). Returns the lines split.
   * @param {{ stream: OutputStream, time: string, text: string, at: number }} unsplit
   * @param {number} most
   */
  split(unsplit, most) {
    const { stream, time, text } = unsplit;
    let lines = 0;
    while (lines < most) {
      const newline = text.indexOf('\n', unsplit.at);
      if (newline === -1) break;
      this.add(stream, this.partial[stream] + text.slice(unsplit.at, newline), time);
      this.partial[stream] = '';
      unsplit.at = newline + 1;
      lines++;
    }
    if (lines === most) return lines;
    this.partial[stream] += text.slice(unsplit.at);
    unsplit.at = text.length;
    while (this.partial[stream].length > MAX_LINE_CHARS) {
      this.add(stream, this.partial[stream].slice(0, MAX_LINE_CHARS), time);
      this.partial[stream] = this.partial[stream].slice(MAX_LINE_CHARS);
      lines++;
    }
    return lines;
  }

  /**
   * @param {OutputStream} stream
   * @param {string} text
   * @param {string} time
   */
  add(stream, text, time) {
    for (let i = 0; i < text.length || i === 0; i += MAX_LINE_CHARS) {
      this.emit({ seq: ++this.seq, time, stream, text: text.slice(i, i + MAX_LINE_CHARS) });
      if (text.length === 0) break;
    }
  }
}
