// The `taskd` helper on every task's PATH (src/runner/task-helper/taskd): a task reports its
// progress and messages with `taskd progress 40 "..."` and `taskd message "..."`, as the README
// says, in the sandbox and outside it, through curl or, where there is none, node. Run as real
// tasks; the sandboxed half is skipped, with the reason printed, where bubblewrap cannot run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore, type Harness } from '../support/harness.js';
import { probeBwrap } from '../../src/runner/sandbox/detect.js';
import { listenForTasks, TASK_TOKEN_CONFIG } from '../support/task-token.js';
import { createTask, outputOf, runnableApp, waitForTask } from './helpers.js';

const probe = probeBwrap();
const noSandbox = probe.usable ? false : `bubblewrap is unusable here: ${probe.reason}`;

/** Runs a task to its end: its state, output lines, and the task as the API shows it. */
async function run(h: Harness, command: string): Promise<{ state: string; lines: string[]; task: any; messages: string[] }> {
  const { app } = await runnableApp(h);
  const created = await createTask(h, app.guid, command);
  const done = await waitForTask(h, created.guid);
  const [task, messages] = await Promise.all([h.get(`/v3/tasks/${created.guid}`), h.get(`/v3/tasks/${created.guid}/messages`)]);
  return {
    state: done.state,
    lines: (await outputOf(h, done.id)).map((l) => l.text),
    task: task.body,
    messages: (messages.body.resources ?? []).map((m: { text: string }) => m.text),
  };
}

/** A folder of links to the tools the helper uses, node among them but not curl, to put alone on PATH. */
const WITHOUT_CURL =
  'tools="$HOME/no-curl"; mkdir -p "$tools"; for t in sh tr sed head node; do ln -s "$(command -v $t)" "$tools/$t"; done; ' +
  'helper="$(dirname "$(command -v taskd)")"';

function helperTests(h: Harness, skip: string | false, where: string) {
  test(`taskd progress and taskd message report from the task with its own token (${where})`, { skip }, async () => {
    const res = await run(h, `taskd progress 40 'half "way" \\ there'; taskd message 'line one'; echo done`);
    assert.equal(res.state, 'SUCCEEDED', res.lines.join('\n'));
    assert.deepEqual(res.lines, ['done'], 'nothing said on success');
    assert.equal(res.task.progress.percent, 40);
    assert.equal(res.task.progress.message, 'half "way" \\ there');
    assert.ok(res.messages.includes('line one'), res.messages.join('\n'));
  });

  test(`without curl, the helper reaches taskd through node (${where})`, { skip }, async () => {
    const res = await run(h, `${WITHOUT_CURL}; PATH="$helper:$tools" taskd progress 70 'by node' && echo reported`);
    assert.deepEqual(res.lines, ['reported']);
    assert.equal(res.task.progress.percent, 70);
    assert.equal(res.task.progress.message, 'by node');
  });

  test(`a refusal is the API's reason on one line; a mistake is the usage (${where})`, { skip }, async () => {
    const res = await run(
      h,
      'taskd progress 101; echo "status $?"; taskd frobnicate 2>&1; echo "status $?"; TASKD_TASK_TOKEN=forged taskd message hi; echo "status $?"',
    );
    assert.deepEqual(res.lines, [
      "taskd: '101' is not a whole number from 0 to 100",
      'status 2',
      'usage: taskd progress PERCENT [MESSAGE]   report how far the task is: a whole number from 0 to 100',
      "       taskd message TEXT                 add a line to the task's messages (GET /v3/tasks/GUID/messages)",
      'status 2',
      'taskd: Invalid Auth Token',
      'status 1',
    ]);
  });

  // Outside the sandbox only a task user other than taskd's own (taskd runs as root) cannot write it.
  const ownHelper = where === 'unsandboxed' && process.getuid?.() !== 0 && "tasks run as taskd's own user, the helper's owner";
  test(`the helper is read-only to the task (${where})`, { skip: skip || ownHelper }, async () => {
    const res = await run(
      h,
      'f="$(command -v taskd)"; echo "$f"; { echo "exit 0" > "$f"; } 2>/dev/null && echo written; ' +
        'chmod u+w "$f" 2>/dev/null && echo chmodded; rm -f "$f" 2>/dev/null && echo removed; test -x "$f" && echo still',
    );
    assert.deepEqual(res.lines.slice(1), ['still'], res.lines.join('\n'));
    if (where === 'sandboxed') assert.equal(res.lines[0], '/opt/taskd/bin/taskd');
  });
}

describeEachStore(
  'the taskd helper in sandboxed tasks',
  (h) => {
    listenForTasks(h);
    helperTests(h, noSandbox, 'sandboxed');
  },
  { ...TASK_TOKEN_CONFIG, sandbox: 'auto' },
);

describeEachStore(
  'the taskd helper in tasks without a sandbox',
  (h) => {
    listenForTasks(h);
    helperTests(h, false, 'unsandboxed');
  },
  { ...TASK_TOKEN_CONFIG, sandbox: 'none' },
);
