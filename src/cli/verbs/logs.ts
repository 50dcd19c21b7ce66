// `taskd logs APP TASK [-f]`: a task's output, every line so far, or live until it ends.
// All lines go to stdout in the order the task wrote them (its stderr included), like cf logs.
import { Command } from 'commander';
import { followTaskLog, readTaskLog, writeLine, type LogLine } from '../client/task-log.js';
import { onInterruptSayTaskRuns } from '../client/interrupt.js';
import { note } from '../client/output.js';
import { exitStatusOf, failureLine } from '../client/task-outcome.js';
import { openClient, verbAction, withExamples } from '../client/verb.js';
import { resolveTask } from './tasks.js';

export function logsVerb(): Command {
  const command = new Command('logs')
    .description("show a task's output")
    .argument('<app>', 'app name')
    .argument('<task>', 'task id (sequence id), guid or name')
    .option('-f, --follow', "follow the output live until the task ends, then exit with the task's exit status")
    .action(
      verbAction(async (appName: string, ref: string, opts: { follow?: boolean }) => {
        const client = openClient();
        const { task, app } = await resolveTask(client, appName, ref);
        const show = (line: LogLine) => writeLine(process.stdout, line.text);
        if (!opts.follow) return readTaskLog(client, task.guid, show);
        const followed = onInterruptSayTaskRuns(app, String(task.sequence_id));
        const end = await followTaskLog(client, task.guid, show).finally(followed);
        // Followed to its end, the task's outcome is the verb's, as with run-task --wait: a
        // cancelled or failed task does not end in silence and status 0.
        const status = exitStatusOf(end);
        if (status !== 0) note(`taskd: ${failureLine(task.name, end)}`);
        return status;
      }),
    );
  return withExamples(command, 'taskd logs hello 3', 'taskd logs hello 3 -f');
}
