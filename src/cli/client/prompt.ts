// Asks for what `taskd login` was not given. Prompts go to stderr. From a terminal a password is
// read without echo; from a pipe, answers are read one line each (so scripts can feed them).
import { createInterface, type Interface } from 'node:readline';
import { CliError } from './errors.js';

export class Prompter {
  private rl?: Interface;
  private lines?: AsyncIterator<string>;

  async ask(question: string): Promise<string> {
    process.stderr.write(question);
    if (!this.lines) {
      this.rl = createInterface({ input: process.stdin, terminal: false });
      this.lines = this.rl[Symbol.asyncIterator]();
    }
    const next = await this.lines.next();
    if (next.done) throw new CliError(`no answer to '${question.trim()}' (standard input ended)`);
    return next.value.trim();
  }

  async askSecret(question: string): Promise<string> {
    if (!process.stdin.isTTY) return this.ask(question);
    // The line reader would echo; a terminal in raw mode shows nothing of what is typed.
    this.close();
    return readWithoutEcho(question);
  }

  close(): void {
    this.rl?.close();
    this.rl = undefined;
    this.lines = undefined;
  }
}

function readWithoutEcho(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CliError('interrupted'));
        if (char === '\u0004') return finish();
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
