// An app: where it lives, its latest tasks, and a form to run a task on it
// (POST /v3/apps/:guid/tasks).
import { getJson, sendJson, type Page } from '../api.js';
import { fill, h, link } from '../dom.js';
import { stateOf, timeOf, type Task } from '../format.js';
import { clearError, reporting } from '../notice.js';
import { go, type View } from '../router.js';
import { progressBar } from './progress.js';

interface App {
  guid: string;
  name: string;
  state: string;
  relationships: { space: { data: { guid: string } } };
}

export const appPageView: View = (main, route) => {
  const guid = route.parts[1]!;
  const title = h('h1', {}, 'App');
  const where = h('p', {});
  const recent = h('ul', { class: 'links' });
  main.append(
    title,
    where,
    runTaskForm(guid),
    h(
      'section',
      { 'aria-labelledby': 'recent-title' },
      h('h2', { id: 'recent-title' }, 'Latest tasks'),
      recent,
      h('p', {}, link(`#/tasks?app_guids=${guid}`, 'All tasks of this app')),
    ),
  );
  void reporting(async () => {
    const app = await getJson<App>(`/v3/apps/${guid}`);
    title.textContent = `App ${app.name}`;
    fill(where, 'In ', link(`#/spaces/${app.relationships.space.data.guid}`, 'its space'), `; state ${app.state}.`);
    const tasks = await getJson<Page<Task>>(`/v3/apps/${guid}/tasks?order_by=-created_at&per_page=10`);
    if (!tasks.resources.length) recent.append(h('li', { class: 'muted' }, 'No tasks yet.'));
    for (const t of tasks.resources) {
      recent.append(h('li', {}, link(`#/tasks/${t.guid}`, t.name), ` ${stateOf(t)} `, progressBar(t), ` ${timeOf(t.created_at)}`));
    }
  });
};

function runTaskForm(appGuid: string): HTMLFormElement {
  const command = h('textarea', { id: 'run-command', name: 'command', rows: 3, required: true, spellcheck: 'false' });
  const name = h('input', { id: 'run-name', name: 'name', placeholder: 'generated when empty' });
  const memory = h('input', { id: 'run-memory', name: 'memory_in_mb', type: 'number', min: 1, placeholder: 'default' });
  const disk = h('input', { id: 'run-disk', name: 'disk_in_mb', type: 'number', min: 1, placeholder: 'default' });
  const submit = h('button', { type: 'submit' }, 'Run task');
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'run-title' },
    h('h2', { id: 'run-title' }, 'Run a task'),
    h('label', { for: 'run-command' }, 'Command'),
    command,
    h('label', { for: 'run-name' }, 'Name'),
    name,
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'run-memory' }, 'Memory (MB)'), memory),
      h('div', { class: 'field' }, h('label', { for: 'run-disk' }, 'Disk (MB)'), disk),
    ),
    submit,
  );
  const runTask = async () => {
    clearError();
    const body: Record<string, unknown> = { command: command.value };
    if (name.value) body.name = name.value;
    if (memory.value) body.memory_in_mb = Number(memory.value);
    if (disk.value) body.disk_in_mb = Number(disk.value);
    submit.disabled = true;
    const task = await reporting(() => sendJson<Task>('POST', `/v3/apps/${appGuid}/tasks`, body));
    submit.disabled = false;
    if (task) go(`tasks/${task.guid}`);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runTask();
  });
  return form;
}
