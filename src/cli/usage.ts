// How the command line itself is refused: one line on stderr, prefixed like every other failure
// ("taskd: ..."), then the verb's usage and where its help is, as cf's "Incorrect Usage" shows
// the usage with the mistake. main.ts ends such a refusal with exit status 2.
import { Command } from 'commander';
import { packageVersion } from '../project-files.js';

/** Applies to `command` and its verbs, at any depth; `path` is how the user typed it. */
export function withUsageErrors(command: Command, path = command.name()): Command {
  command.configureOutput({ outputError: (message, write) => write(message.replace(/^error: /, 'taskd: ')) });
  command.showHelpAfterError(`Usage: ${path} ${command.usage()}\nSee '${path} --help'.`);
  for (const verb of command.commands) withUsageErrors(verb, `${path} ${verb.name()}`);
  return command;
}

/** `taskd --version`, `-v` and `taskd version`, worded as cf's. */
export function withVersion(program: Command): Command {
  const line = `taskd version ${packageVersion()}`;
  program.version(line, '-v, --version', "show taskd's version");
  program.addCommand(
    new Command('version').description("show taskd's version").action(() => {
      process.stdout.write(`${line}\n`);
    }),
  );
  return program;
}
