// The `taskd` command: `serve`, and client verbs a cf user knows (login, target, push, run-task,
// tasks, logs, ...). Usage errors exit with status 2, failures with 1, each as one line on stderr.
import { Command, CommanderError } from 'commander';
import { serveCommand } from './serve.js';
import { sessionVerbs } from './verbs/session.js';
import { adminVerbs } from './verbs/admin.js';
import { adminCredentialVerbs, credentialVerbs } from './verbs/credentials.js';
import { listVerbs } from './verbs/lists.js';
import { pushVerb } from './verbs/push.js';
import { deleteVerb } from './verbs/delete.js';
import { taskVerbs } from './verbs/tasks.js';
import { logsVerb } from './verbs/logs.js';
import { progressVerbs } from './verbs/progress.js';
import { operatorVerbs } from './verbs/operator.js';
import { withUsageErrors, withVersion } from './usage.js';

// `taskd logs ... | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('taskd').description('A self-hosted task service speaking the Cloud Foundry v3 Tasks API');
const verbs = [
  serveCommand(),
  ...sessionVerbs(),
  ...credentialVerbs(),
  ...adminVerbs(),
  ...listVerbs(),
  pushVerb(),
  deleteVerb(),
  ...taskVerbs(),
  logsVerb(),
  ...progressVerbs(),
  withSubcommands(operatorVerbs(), adminCredentialVerbs()),
];
/** `taskd admin`'s verbs from more than one file (signing keys, credentials). */
function withSubcommands(group: Command, more: Command[]): Command {
  for (const verb of more) group.addCommand(verb.exitOverride());
  return group;
}

for (const verb of verbs) program.addCommand(verb);
withVersion(program);
withUsageErrors(program);
for (const command of program.commands) command.exitOverride();
program.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // Commander has printed its message; help and --version are not errors.
  process.exit(err.exitCode === 0 ? 0 : 2);
}
