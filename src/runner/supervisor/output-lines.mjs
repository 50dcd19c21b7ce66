// A task's output as numbered lines: split per stream at newlines, numbered from 1 in the order
// they complete, and timestamped then. Numbered here, where the output is read, so that the
// numbers survive a restart of taskd: the spool holds them, and taskd stores each line once by
// its number however often it is told of it. Plain JavaScript, Node's modules only.
import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this are stored in pieces, so one runaway line cannot grow without bound. */
export const MAX_LINE_CHARS = 64 * 1024;

/** @import { OutputLine, OutputStream } from './protocol.js' */

export class OutputLines {
  /** @param {(line: OutputLine) => void} emit */
  constructor(emit) {
    this.emit = emit;
    this.seq = 0;
    /** @type {Record<OutputStream, string>} */
    this.partial = { stdout: '', stderr: '' };
    /** @type {Record<OutputStream, StringDecoder | undefined>} */
    this.decoders = { stdout: undefined, stderr: undefined };
  }

  /**
   * Bytes read from a stream; `cut`: what follows them was dropped (a character cut there is not joined to the next).
   * @param {OutputStream} stream
   * @param {Buffer} bytes
   */
  write(stream, bytes, cut = false) {
    this.decoders[stream] ??= new StringDecoder('utf8');
    this.text(stream, this.decoders[stream].write(bytes));
    if (cut) this.decoders[stream] = undefined;
  }

  /**
   * A line of taskd's own (a limit notice) on stderr, kept apart from the task's unfinished line.
   * @param {string} text
   */
  notice(text) {
    this.add('stderr', text);
  }

  /**
   * The stream ended: its unterminated last line is a line too.
   * @param {OutputStream} stream
   */
  end(stream) {
    const rest = this.decoders[stream]?.end() ?? '';
    this.decoders[stream] = undefined;
    this.text(stream, rest);
    if (this.partial[stream] !== '') this.add(stream, this.partial[stream]);
    this.partial[stream] = '';
  }

  /**
   * @param {OutputStream} stream
   * @param {string} text
   */
  text(stream, text) {
    if (!text) return;
    const pieces = (this.partial[stream] + text).split('\n');
    // split() gives one piece at least: the text after the last newline.
    this.partial[stream] = /** @type {string} */ (pieces.pop());
    for (const line of pieces) this.add(stream, line);
    while (this.partial[stream].length > MAX_LINE_CHARS) {
      this.add(stream, this.partial[stream].slice(0, MAX_LINE_CHARS));
      this.partial[stream] = this.partial[stream].slice(MAX_LINE_CHARS);
    }
  }

  /**
   * @param {OutputStream} stream
   * @param {string} text
   */
  add(stream, text) {
    const time = new Date().toISOString();
    for (let i = 0; i < text.length || i === 0; i += MAX_LINE_CHARS) {
      this.emit({ seq: ++this.seq, time, stream, text: text.slice(i, i + MAX_LINE_CHARS) });
      if (text.length === 0) break;
    }
  }
}
