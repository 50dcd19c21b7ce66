// A task's progress (taskd's `progress` extension) as a native, accessible progress bar. A
// finished task's bar no longer looks busy: a success is full and green whatever was last
// reported, a failure stays where it stopped, in grey.
import { h } from '../dom.js';
import { stateOf, type Task } from '../format.js';

export function progressBar(task: Task): HTMLElement {
  if (!task.progress) return h('span', { class: 'muted' }, '—');
  const { percent, message } = task.progress;
  const state = stateOf(task);
  const reported = `${percent}%${message ? ` ${message}` : ''}`;
  // Short words on screen; the last report stays in the bar's label and tooltip.
  const [value, shown] =
    state === 'SUCCEEDED' ? [100, 'done'] : state === 'FAILED' ? [percent, `stopped at ${percent}%`] : [percent, reported];
  const label = shown === reported ? reported : `${shown} (last reported ${reported})`;
  return h(
    'span',
    { class: `progress progress-${state.toLowerCase()}`, title: label },
    h('progress', { max: 100, value, 'aria-label': `Progress of ${task.name}: ${label}` }),
    h('span', { class: 'progress-text' }, shown),
  );
}
