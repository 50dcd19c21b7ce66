// A task's progress (taskd's `progress` extension) as a native, accessible progress bar.
import { h } from '../dom.js';
import type { Task } from '../format.js';

export function progressBar(task: Task): HTMLElement {
  if (!task.progress) return h('span', { class: 'muted' }, '—');
  const { percent, message } = task.progress;
  const label = `${percent}%${message ? ` ${message}` : ''}`;
  return h(
    'span',
    { class: 'progress' },
    h('progress', { max: 100, value: percent, 'aria-label': `Progress of ${task.name}: ${label}` }),
    h('span', { class: 'progress-text' }, label),
  );
}
