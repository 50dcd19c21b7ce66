// `taskd progress PERCENT [MESSAGE]` and `taskd message TEXT`, for use inside a task: report with
// the task's own token, which taskd puts in the task's environment with the API's address and the
// task's guid. Every task also finds a `taskd` of its own on its PATH that does the same
// (src/runner/task-helper/taskd); these verbs are that, for a shell that has this CLI.
import { Command } from 'commander';
import { failureOf, reach } from '../client/api-client.js';
import { UsageError } from '../client/errors.js';
import { parsePercent } from '../client/task-options.js';
import { verbAction, withExamples } from '../client/verb.js';

const ENVIRONMENT = ['TASKD_API', 'TASKD_TASK_GUID', 'TASKD_TASK_TOKEN'] as const;

export function progressVerbs(): Command[] {
  const progress = new Command('progress')
    .description("report a running task's progress (inside a task)")
    .argument('<percent>', '0 to 100', parsePercent)
    .argument('[message]', 'what the task is doing')
    .action(
      verbAction(async (percent: number, message: string | undefined) => {
        await reportFromTask('progress', { percent, ...(message !== undefined ? { message } : {}) });
      }),
    );
  const message = new Command('message')
    .description("add a line to a running task's messages (inside a task)")
    .argument('<text>', 'the message')
    .action(
      verbAction(async (text: string) => {
        await reportFromTask('messages', { text });
      }),
    );
  return [
    withExamples(progress, 'taskd progress 40 "imported 4000 of 10000 rows"'),
    withExamples(message, 'taskd message "skipped 3 rows without a date"'),
  ];
}

/** POSTs to the task's own `resource` with its token. */
async function reportFromTask(resource: 'progress' | 'messages', body: unknown): Promise<void> {
  const missing = ENVIRONMENT.filter((name) => !process.env[name]);
  if (missing.length) throw new UsageError(`${missing.join(', ')} not set: taskd reports from inside a running task, which has them`);
  const api = process.env.TASKD_API!.replace(/\/+$/, '');
  const res = await reach(api, `${api}/v3/tasks/${encodeURIComponent(process.env.TASKD_TASK_GUID!)}/${resource}`, {
    method: 'POST',
    headers: {
      authorization: `bearer ${process.env.TASKD_TASK_TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failureOf(res);
}
