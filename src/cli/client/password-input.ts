// Where the CLI takes a password from: never the command line (every local user reads it in `ps`,
// and the shell keeps it in its history). As `docker login` does: standard input with
// --password-stdin, else TASKD_PASSWORD, else the prompt (without echo on a terminal).
import { text } from 'node:stream/consumers';
import { CliError, UsageError } from './errors.js';
import type { Prompter } from './prompt.js';

export const PASSWORD_FLAG_REFUSED =
  'a password is not taken on the command line (every local user can read it with ps, and the shell keeps it): type it at the prompt, pipe it with --password-stdin, or set TASKD_PASSWORD';

/** Refuses a password given as a flag, whatever the verb. */
export function refusePasswordFlag(given: unknown): void {
  if (given !== undefined) throw new UsageError(PASSWORD_FLAG_REFUSED);
}

/** The whole of standard input, less its final line break (as `echo pw |` and a file end). */
export async function passwordFromStdin(): Promise<string> {
  const password = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (password === '') throw new CliError('--password-stdin: standard input held no password');
  return password;
}

/** The password of `taskd login`: --password-stdin, TASKD_PASSWORD, or the prompt. */
export async function loginPassword(fromStdin: boolean | undefined, prompter: Prompter): Promise<string> {
  if (fromStdin) return passwordFromStdin();
  const fromEnv = process.env.TASKD_PASSWORD;
  if (fromEnv) return fromEnv;
  return prompter.askSecret('Password: ');
}

/** A new password, typed twice at the prompt (once from --password-stdin). */
export async function newPassword(fromStdin: boolean | undefined, prompter: Prompter, question = 'New password: '): Promise<string> {
  if (fromStdin) return passwordFromStdin();
  const first = await prompter.askSecret(question);
  const again = await prompter.askSecret('Verify password: ');
  if (first !== again) throw new CliError('the passwords typed differ; nothing was changed');
  return first;
}
