// Running and managing tasks: run-task, tasks, task, terminate-task, pause-task, resume-task.
import { Command } from 'commander';
import { query, type CfClient, type Page } from '../client/api-client.js';
import { ApiFailure, CliError, UsageError } from '../client/errors.js';
import { findTask, requireApp, requireTarget } from '../client/lookup.js';
import { note, print, printFields, printJson, printTable, type OutputFormat } from '../client/output.js';
import type { Task } from '../client/resources.js';
import { followTaskLog, writeLine, type LogLine } from '../client/task-log.js';
import { collectLabel, parseCount, parseMegabytes, parseSeconds } from '../client/task-options.js';
import { exitStatusOf, failureLine } from '../client/task-outcome.js';
import { onInterruptSayTaskRuns } from '../client/interrupt.js';
import { openClient, verbAction, withExamples, withOutputOption } from '../client/verb.js';

export function taskVerbs(): Command[] {
  return [
    runTaskVerb(),
    tasksVerb(),
    taskVerb(),
    taskActionVerb('terminate-task', 'cancel', 'stop a task (it ends FAILED, "task was cancelled")', 'Terminating'),
    taskActionVerb('pause-task', 'pause', "freeze a running task's processes (a taskd extension)", 'Pausing'),
    taskActionVerb('resume-task', 'resume', 'thaw a paused task (a taskd extension)', 'Resuming'),
  ];
}

/** The state as taskd keeps it: PAUSED shows, where CF's `state` would say RUNNING. */
const stateOf = (t: Task) => t.taskd_state ?? t.state;

interface RunTaskOptions {
  name?: string;
  memory?: number;
  disk?: number;
  timeout?: number;
  label?: Record<string, string>;
  wait?: boolean;
  output: OutputFormat;
}

function runTaskVerb(): Command {
  const command = withOutputOption(
    new Command('run-task')
      .description("run a command as a one-off task in a fresh copy of the app's current droplet")
      .argument('<app>', 'app name')
      .argument('<command>', 'shell command (quote it)')
      .option('--name <name>', 'task name (default: random)')
      .option('-m, --memory <size>', 'memory limit, e.g. 512M or 1G', parseMegabytes)
      .option('-k, --disk <size>', 'disk limit, e.g. 512M or 1G', parseMegabytes)
      .option('--timeout <seconds>', 'stop the task (FAILED) after this many seconds', parseSeconds)
      .option('-l, --label <key=value>', 'label the task (repeatable)', collectLabel)
      .option('-w, --wait', "stream the task's output, then exit with its exit status"),
  ).action(
    verbAction(async (appName: string, shellCommand: string, opts: RunTaskOptions) => {
      const client = openClient();
      const { org, space } = requireTarget(client);
      const app = await requireApp(client, space, appName);
      note(`Creating task for app ${app.name} in org ${org.name} / space ${space.name} as ${client.current.username}...`);
      const task = await client
        .post<Task>(`/v3/apps/${app.guid}/tasks`, {
          command: shellCommand,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.memory !== undefined ? { memory_in_mb: opts.memory } : {}),
          ...(opts.disk !== undefined ? { disk_in_mb: opts.disk } : {}),
          ...(opts.timeout !== undefined ? { timeout_in_seconds: opts.timeout } : {}),
          ...(opts.label ? { metadata: { labels: opts.label } } : {}),
        })
        .catch((err: unknown) => {
          // CF's reason names droplets, which a user who never pushed has not heard of.
          if (err instanceof ApiFailure && err.status === 422 && /must have a droplet/.test(err.detail))
            throw new CliError(`app ${app.name} has no code yet; upload a folder first: taskd push ${app.name} FOLDER`);
          throw err;
        });
      if (opts.output === 'json') printJson(task);
      // With --wait, stdout is the task's own output; what the CLI says goes to stderr.
      const say = opts.wait || opts.output === 'json' ? note : print;
      say('Task has been submitted successfully for execution.');
      say(`task name:   ${task.name}`);
      say(`task id:     ${task.sequence_id}`);
      say(`task guid:   ${task.guid}`);
      if (!opts.wait) return 0;
      const followed = onInterruptSayTaskRuns(app.name, String(task.sequence_id));
      const end = await followTaskLog(client, task.guid, passThrough).finally(followed);
      const status = exitStatusOf(end);
      if (status !== 0) note(`taskd: ${failureLine(task.name, end)}`);
      return status;
    }),
  );
  return withExamples(
    command,
    'taskd run-task hello "./run.sh" --name greet --wait',
    'taskd run-task reports "python report.py" -m 1G --timeout 600 -l team=data',
  );
}

/** The task's lines, each to the stream it was written to. */
function passThrough(line: LogLine): void | Promise<void> {
  return writeLine(line.stream === 'stderr' ? process.stderr : process.stdout, line.text);
}

function tasksVerb(): Command {
  const command = withOutputOption(
    new Command('tasks')
      .description("list an app's tasks, newest first")
      .argument('<app>', 'app name')
      .option('-n, --limit <count>', 'how many of the newest tasks to show', parseCount, 50),
  ).action(
    verbAction(async (appName: string, opts: { limit: number; output: OutputFormat }) => {
      const client = openClient();
      const { org, space } = requireTarget(client);
      const app = await requireApp(client, space, appName);
      const page = await client.get<Page<Task>>(`/v3/apps/${app.guid}/tasks${query({ order_by: '-created_at', per_page: opts.limit })}`);
      // Tasks created within one second tie on created_at; the sequence id orders them.
      const tasks = page.resources.sort((a, b) => b.sequence_id - a.sequence_id);
      if (opts.output === 'json') return printJson(tasks);
      note(`Getting tasks for app ${app.name} in org ${org.name} / space ${space.name} as ${client.current.username}...`);
      printTable(
        ['id', 'name', 'state', 'start time', 'command'],
        tasks.map((t) => [String(t.sequence_id), t.name, stateOf(t), t.created_at, t.command ?? '[hidden]']),
      );
      if (page.pagination.total_results > tasks.length)
        note(`(the newest ${tasks.length} of ${page.pagination.total_results}; --limit shows more)`);
    }),
  );
  return withExamples(command, 'taskd tasks hello', 'taskd tasks hello -o json');
}

function taskVerb(): Command {
  const command = withOutputOption(
    new Command('task')
      .description('show one task')
      .argument('<app>', 'app name')
      .argument('<task>', 'task id (sequence id), guid or name'),
  ).action(
    verbAction(async (appName: string, ref: string, opts: { output: OutputFormat }) => {
      const { task } = await resolveTask(openClient(), appName, ref);
      if (opts.output === 'json') return printJson(task);
      printFields([
        ['name', task.name],
        ['id', task.sequence_id],
        ['guid', task.guid],
        ['state', stateOf(task)],
        ['command', task.command ?? '[hidden]'],
        ['memory', `${task.memory_in_mb}M`],
        ['disk', `${task.disk_in_mb}M`],
        ['timeout', task.timeout_in_seconds ? `${task.timeout_in_seconds}s` : 'none'],
        ['progress', task.progress ? `${task.progress.percent}%${task.progress.message ? ` ${task.progress.message}` : ''}` : ''],
        ['latest message', task.latest_message?.text ?? ''],
        ['failure reason', task.result.failure_reason ?? ''],
        ['created', task.created_at],
        ['updated', task.updated_at],
      ]);
    }),
  );
  return withExamples(command, 'taskd task hello 3', 'taskd task hello 3 -o json');
}

function taskActionVerb(name: string, action: string, description: string, doing: string): Command {
  const command = withOutputOption(
    new Command(name).description(description).argument('<app>', 'app name').argument('<task>', 'task id (sequence id), guid or name'),
  ).action(
    verbAction(async (appName: string, ref: string, opts: { output: OutputFormat }) => {
      const client = openClient();
      const { task, app } = await resolveTask(client, appName, ref);
      note(`${doing} task ${task.sequence_id} of app ${app} as ${client.current.username}...`);
      const changed = await client.post<Task>(`/v3/tasks/${task.guid}/actions/${action}`);
      if (opts.output === 'json') printJson(changed);
      note('OK');
    }),
  );
  return withExamples(command, `taskd ${name} hello 3`);
}

export async function resolveTask(client: CfClient, appName: string, ref: string): Promise<{ task: Task; app: string }> {
  if (!ref) throw new UsageError('name the task by its sequence id or guid');
  const { space } = requireTarget(client);
  const app = await requireApp(client, space, appName);
  return { task: await findTask(client, app, ref), app: app.name };
}
