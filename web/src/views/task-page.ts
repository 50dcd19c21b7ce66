// One task: its details, messages, subtasks and live log, polled while the page is open, with
// the controls its viewer may use.
import { getJson, type Page } from '../api.js';
import { fill, h, link } from '../dom.js';
import { stateOf, timeOf, type Task } from '../format.js';
import { clearError, showError } from '../notice.js';
import { mayControlTasksIn } from '../permissions.js';
import { poll } from '../poll.js';
import type { View } from '../router.js';
import { liveLog } from './live-log.js';
import { progressBar } from './progress.js';
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
  const subtasks = h('ul', { class: 'subtasks' });
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
      // The API has no parent filter; subtasks are always of the parent's app, so the app's
      // tasks are listed and narrowed here.
      h('p', { class: 'muted' }, 'Subtasks are tasks of the same app created by this one.'),
      subtasks,
    ),
    log.el,
  );

  let app: App | undefined;
  let allowed = false;
  const show = (task: Task) => {
    title.textContent = `Task ${task.name}`;
    renderDetails(details, task, app);
    renderTaskControls(controls, task, allowed, show);
  };
  const refresh = async () => {
    try {
      const task = await getJson<Task>(`/v3/tasks/${guid}`);
      if (!app) {
        app = await getJson<App>(`/v3/apps/${task.relationships.app.data.guid}`);
        allowed = await mayControlTasksIn(app.relationships.space.data.guid);
      }
      show(task);
      await Promise.all([renderMessages(messages, guid), renderSubtasks(subtasks, task)]);
      clearError();
    } catch (err) {
      showError(err);
    }
  };
  const stopPoll = poll(2000, refresh);
  return () => {
    stopPoll();
    log.stop();
  };
};

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
  const count = String(first.pagination.total_results);
  if (list.dataset.count === count) return;
  list.dataset.count = count;
  if (!page.resources.length) return fill(list, h('li', { class: 'muted' }, 'No messages.'));
  fill(
    list,
    ...page.resources.map((m) =>
      h('li', {}, h('time', { datetime: m.time }, timeOf(m.time)), ' ', h('span', { class: 'muted' }, `[${m.source}]`), ' ', m.text),
    ),
  );
}

async function renderSubtasks(list: HTMLElement, task: Task): Promise<void> {
  const page = await getJson<Page<Task>>(`/v3/apps/${task.relationships.app.data.guid}/tasks?order_by=-created_at&per_page=500`);
  const children = page.resources.filter((t) => t.parent_task_guid === task.guid);
  if (!children.length) return fill(list, h('li', { class: 'muted' }, 'No subtasks.'));
  fill(list, ...children.map((t) => h('li', {}, link(`#/tasks/${t.guid}`, t.name), ' ', stateOf(t), ' ', progressBar(t))));
}
