// One task: its details, messages, subtasks and live log, with the controls its viewer may use.
// The log comes live from the task's stream; the task itself (state, progress) is one row read
// every two seconds, its messages only when their count moved, its subtasks only as they change,
// and nothing at all once the task and its subtasks have ended.
import { ApiError, getJson, type Page } from '../api.js';
import { fill, h, link } from '../dom.js';
import { isFinished, stateOf, timeOf, type Task } from '../format.js';
import { clearError, showError } from '../notice.js';
import { mayControlTasksIn } from '../permissions.js';
import { poll } from '../poll.js';
import type { View } from '../router.js';
import { liveLog } from './live-log.js';
import { progressBar } from './progress.js';
import { Subtasks } from './subtasks.js';
import { renderTaskControls } from './task-controls.js';

interface Message {
  seq: number;
  time: string;
  source: string;
  text: string;
}
interface App {
  guid: string;
  name: string;
  relationships: { space: { data: { guid: string } } };
}

export const taskPageView: View = (main, route) => {
  const guid = route.parts[1]!;
  const title = h('h1', {}, 'Task');
  const controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'Task actions' });
  const details = h('dl', { class: 'details' });
  const messages = h('ol', { class: 'messages' });
  const subtasks = new Subtasks();
  const log = liveLog(guid, () => void refresh());
  main.append(
    title,
    controls,
    details,
    h('section', { 'aria-labelledby': 'messages-title' }, h('h2', { id: 'messages-title' }, 'Messages'), messages),
    h(
      'section',
      { 'aria-labelledby': 'subtasks-title' },
      h('h2', { id: 'subtasks-title' }, 'Subtasks'),
      h('p', { class: 'muted' }, 'Subtasks are tasks of the same app created by this one.'),
      subtasks.el,
    ),
    log.el,
  );

  let app: App | undefined;
  let allowed = false;
  let messageCount: number | undefined;
  let stopped = false;
  const show = (task: Task) => {
    title.textContent = `Task ${task.name}`;
    renderDetails(details, task, app);
    renderTaskControls(controls, task, allowed, show);
  };
  const stop = () => {
    stopped = true;
    stopPoll();
    log.stop();
  };
  const refresh = async () => {
    if (stopped) return;
    try {
      const task = await getJson<Task>(`/v3/tasks/${guid}`);
      if (!app) {
        app = await getJson<App>(`/v3/apps/${task.relationships.app.data.guid}`);
        allowed = await mayControlTasksIn(app.relationships.space.data.guid);
      }
      show(task);
      const count = task.latest_message?.seq ?? 0;
      await Promise.all([count !== messageCount ? renderMessages(messages, guid) : undefined, subtasks.refresh(task)]);
      messageCount = count;
      clearError();
      // Nothing of an ended task changes any more once its subtasks have ended too.
      if (isFinished(task) && !subtasks.unsettled) stopPoll();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        stop();
        showNotFound(main, guid);
        return;
      }
      showError(err, true);
    }
  };
  const stopPoll = poll(2000, refresh);
  return stop;
};

/** A task that does not exist, or that this user may not see: the API does not tell them apart. */
function showNotFound(main: HTMLElement, guid: string): void {
  fill(
    main,
    h('h1', {}, 'Task not found'),
    h('p', {}, 'There is no task ', h('code', {}, guid), ', or it is in a space you have no role in.'),
    h('p', {}, link('#/tasks', 'Go to the task list')),
  );
}

function renderDetails(dl: HTMLElement, task: Task, app: App | undefined): void {
  const rows: [string, Node | string][] = [
    ['State', h('span', { class: `state state-${stateOf(task).toLowerCase()}`, 'data-testid': 'task-state' }, stateOf(task))],
    ['Progress', progressBar(task)],
    ['App', link(`#/apps/${task.relationships.app.data.guid}`, app?.name ?? task.relationships.app.data.guid)],
    ['Guid', task.guid],
    ['Sequence id', String(task.sequence_id)],
  ];
  if (task.command !== undefined) rows.push(['Command', h('code', {}, task.command)]);
  if (task.result.failure_reason) rows.push(['Failure reason', task.result.failure_reason]);
  if (task.parent_task_guid) rows.push(['Parent task', link(`#/tasks/${task.parent_task_guid}`, task.parent_task_guid)]);
  rows.push(
    ['Memory', `${task.memory_in_mb} MB`],
    ['Disk', `${task.disk_in_mb} MB`],
    ['Timeout', task.timeout_in_seconds ? `${task.timeout_in_seconds} s` : 'none'],
    ['Created', timeOf(task.created_at)],
    ['Updated', timeOf(task.updated_at)],
    [
      'Labels',
      Object.entries(task.metadata.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none',
    ],
  );
  fill(dl, ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** The latest page of messages: they only ever grow, oldest first. */
async function renderMessages(list: HTMLElement, guid: string): Promise<void> {
  const first = await getJson<Page<Message>>(`/v3/tasks/${guid}/messages?per_page=100`);
  const pages = first.pagination.total_pages;
  const page = pages > 1 ? await getJson<Page<Message>>(`/v3/tasks/${guid}/messages?per_page=100&page=${pages}`) : first;
  if (!page.resources.length) return fill(list, h('li', { class: 'muted' }, 'No messages.'));
  fill(
    list,
    ...page.resources.map((m) =>
      h('li', {}, h('time', { datetime: m.time }, timeOf(m.time)), ' ', h('span', { class: 'muted' }, `[${m.source}]`), ' ', m.text),
    ),
  );
}
