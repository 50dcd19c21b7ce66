// `taskd logs APP TASK [-f]`: a task's output, every line so far, or live until it ends.
// All lines go to stdout in the order the task wrote them (its stderr included), like cf logs.
import { Command } from 'commander';
import { followTaskLog, readTaskLog, writeLine, type LogLine } from '../client/task-log.js';
import { openClient, verbAction, withExamples } from '../client/verb.js';
import { resolveTask } from './tasks.js';

export function logsVerb(): Command {
  const command = new Command('logs')
    .description("show a task's output")
    .argument('<app>', 'app name')
    .argument('<task>', 'task id (sequence id), guid or name')
    .option('-f, --follow', 'follow the output live until the task ends')
    .action(
      verbAction(async (appName: string, ref: string, opts: { follow?: boolean }) => {
        const client = openClient();
        const { task } = await resolveTask(client, appName, ref);
        const show = (line: LogLine) => writeLine(process.stdout, line.text);
        if (opts.follow) await followTaskLog(client, task.guid, show);
        else await readTaskLog(client, task.guid, show);
      }),
    );
  return withExamples(command, 'taskd logs hello 3', 'taskd logs hello 3 -f');
}
