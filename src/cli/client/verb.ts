// What every client verb shares: how it ends (exit status 0, 1 for a failure, 2 for a usage
// error, always one line on stderr), its help example, and its session.
import type { Command } from 'commander';
import { CfClient } from './api-client.js';
import { SessionStore } from './config-store.js';
import { CliError, UsageError } from './errors.js';
import { note, parseOutputFormat, type OutputFormat } from './output.js';

/**
 * Wraps a verb's action: the process ends when the verb has, with its status. Ending explicitly
 * matters: fetch keeps idle connections open for a while, which would hold the process up.
 */
export function verbAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let status: number;
    try {
      status = (await fn(...args)) ?? 0;
    } catch (err) {
      status = reportFailure(err);
    }
    // process.exit drops what a pipe has not yet taken: a reader slower than the task's output
    // would otherwise miss its last lines.
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(status);
  };
}

/** Resolves once everything written so far to the stream has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

export function reportFailure(err: unknown): number {
  if (err instanceof UsageError) {
    note(`taskd: ${err.message}`);
    return 2;
  }
  if (err instanceof CliError) {
    note(`taskd: ${err.message}`);
    return err.exitStatus;
  }
  // A bug still ends in one line; TASKD_DEBUG shows where it happened.
  note(`taskd: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.TASKD_DEBUG && err instanceof Error) note(err.stack ?? '');
  return 1;
}

/** `--help` ends with examples, as cf's help does. */
export function withExamples(command: Command, ...examples: string[]): Command {
  return command.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
}

/** `-o, --output table|json` (only where -o does not already mean the org, as in cf). */
export function withOutputOption(command: Command, flags = '-o, --output <format>'): Command {
  return command.option(flags, "'table' or 'json' (the API's own objects; a list is an array)", parseOutputFormat, 'table' as OutputFormat);
}

export const sessionStore = () => new SessionStore();

export const openClient = () => CfClient.open(sessionStore());
