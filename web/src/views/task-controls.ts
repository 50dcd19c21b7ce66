// Cancel, pause and resume: shown only to users allowed to use them, and only in states where
// the action applies (the API still decides; its refusal shows as the error line).
import { sendJson } from '../api.js';
import { fill, h } from '../dom.js';
import { stateOf, type Task } from '../format.js';
import { clearError, reporting } from '../notice.js';

const ACTIONS: { action: string; label: string; when: string[] }[] = [
  { action: 'pause', label: 'Pause', when: ['RUNNING'] },
  { action: 'resume', label: 'Resume', when: ['PAUSED'] },
  { action: 'cancel', label: 'Cancel', when: ['PENDING', 'RUNNING', 'PAUSING', 'PAUSED'] },
];

export function renderTaskControls(el: HTMLElement, task: Task, allowed: boolean, onChange: (task: Task) => void): void {
  const state = stateOf(task);
  const key = `${allowed}/${state}`;
  // Polls re-render often; unchanged buttons stay put so focus and clicks are not lost.
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  if (!allowed) {
    fill(el);
    return;
  }
  fill(
    el,
    ...ACTIONS.filter((a) => a.when.includes(state)).map(({ action, label }) =>
      h(
        'button',
        {
          type: 'button',
          class: action === 'cancel' ? 'danger' : '',
          onclick: (event: Event) => {
            const button = event.currentTarget as HTMLButtonElement;
            button.disabled = true;
            clearError();
            void reporting(() => sendJson<Task>('POST', `/v3/tasks/${task.guid}/actions/${action}`)).then((changed) => {
              button.disabled = false;
              if (changed) onChange(changed);
            });
          },
        },
        label,
      ),
    ),
  );
}
