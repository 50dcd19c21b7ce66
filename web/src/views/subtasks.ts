// A task's subtasks, kept up to date by asking only for what changed. The API has no parent
// filter; subtasks are always of the parent's app and created while the parent ran, so the app's
// tasks of that time are read once, and after that only those updated since the last answer.
import { getJson, type Page } from '../api.js';
import { fill, h, link } from '../dom.js';
import { isFinished, stateOf, type Task } from '../format.js';
import { progressBar } from './progress.js';

export class Subtasks {
  readonly el = h('ul', { class: 'subtasks' });
  private readonly children = new Map<string, Task>();
  /** The latest updated_at seen (CF's whole seconds): the next read starts at that second. */
  private since: string | undefined;
  private loaded = false;

  /** Whether any subtask may still change. */
  get unsettled(): boolean {
    return [...this.children.values()].some((t) => !isFinished(t));
  }

  async refresh(parent: Task): Promise<void> {
    const query = new URLSearchParams({ order_by: 'updated_at', per_page: '100' });
    query.set('created_ats[gte]', parent.created_at);
    if (isFinished(parent)) query.set('created_ats[lte]', parent.updated_at);
    if (this.since) query.set('updated_ats[gte]', this.since);
    let changed = !this.loaded;
    for (let page = 1; ; page++) {
      query.set('page', String(page));
      const body = await getJson<Page<Task>>(`/v3/apps/${parent.relationships.app.data.guid}/tasks?${query}`);
      for (const task of body.resources) {
        if (!this.since || task.updated_at > this.since) this.since = task.updated_at;
        if (task.parent_task_guid !== parent.guid) continue;
        changed ||= JSON.stringify(this.children.get(task.guid)) !== JSON.stringify(task);
        this.children.set(task.guid, task);
      }
      if (page >= body.pagination.total_pages) break;
    }
    this.loaded = true;
    if (changed) this.render();
  }

  private render(): void {
    const children = [...this.children.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
    if (!children.length) return fill(this.el, h('li', { class: 'muted' }, 'No subtasks.'));
    fill(this.el, ...children.map((t) => h('li', {}, link(`#/tasks/${t.guid}`, t.name), ' ', stateOf(t), ' ', progressBar(t))));
  }
}
