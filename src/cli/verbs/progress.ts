// `taskd progress PERCENT [MESSAGE]`, for use inside a task: reports its progress with the task's
// own token, which taskd puts in the task's environment with the API's address and the task's guid.
import { Command } from 'commander';
import { failureOf, reach } from '../client/api-client.js';
import { UsageError } from '../client/errors.js';
import { parsePercent } from '../client/task-options.js';
import { verbAction, withExamples } from '../client/verb.js';

const ENVIRONMENT = ['TASKD_API', 'TASKD_TASK_GUID', 'TASKD_TASK_TOKEN'] as const;

export function progressVerb(): Command {
  const command = new Command('progress')
    .description("report a running task's progress (inside a task)")
    .argument('<percent>', '0 to 100', parsePercent)
    .argument('[message]', 'what the task is doing')
    .action(
      verbAction(async (percent: number, message: string | undefined) => {
        const missing = ENVIRONMENT.filter((name) => !process.env[name]);
        if (missing.length)
          throw new UsageError(`${missing.join(', ')} not set: taskd progress reports from inside a running task, which has them`);
        const api = process.env.TASKD_API!.replace(/\/+$/, '');
        const res = await reach(api, `${api}/v3/tasks/${encodeURIComponent(process.env.TASKD_TASK_GUID!)}/progress`, {
          method: 'POST',
          headers: {
            authorization: `bearer ${process.env.TASKD_TASK_TOKEN}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify({ percent, ...(message !== undefined ? { message } : {}) }),
        });
        if (!res.ok) throw await failureOf(res);
      }),
    );
  return withExamples(command, 'taskd progress 40 "imported 4000 of 10000 rows"');
}
