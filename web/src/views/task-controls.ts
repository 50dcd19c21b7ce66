// Cancel, pause and resume: shown only to users allowed to use them, and only in states where
// the action applies (the API still decides; its refusal shows as the error line). Cancelling
// cannot be undone, so it asks first, in the page rather than in a browser dialog.
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
  const run = (action: string) => (event: Event) => {
    const button = event.currentTarget as HTMLButtonElement;
    button.disabled = true;
    clearError();
    void reporting(() => sendJson<Task>('POST', `/v3/tasks/${task.guid}/actions/${action}`)).then((changed) => {
      button.disabled = false;
      if (changed) onChange(changed);
    });
  };
  const buttons = () =>
    ACTIONS.filter((a) => a.when.includes(state)).map(({ action, label }) =>
      action === 'cancel'
        ? h('button', { type: 'button', class: 'danger', onclick: askToCancel }, label)
        : h('button', { type: 'button', onclick: run(action) }, label),
    );
  const showButtons = () => fill(el, ...buttons());
  function askToCancel() {
    const keep = h('button', { type: 'button', class: 'secondary', onclick: () => (showButtons(), focusFirst(el)) }, 'Keep it');
    fill(
      el,
      h(
        'div',
        { class: 'confirm', role: 'alertdialog', 'aria-label': 'Confirm cancel' },
        h('p', {}, `Cancel task ${task.name}? Its processes are stopped and it ends as FAILED; this cannot be undone.`),
        h('button', { type: 'button', class: 'danger', onclick: run('cancel') }, 'Yes, cancel the task'),
        ' ',
        keep,
      ),
    );
    keep.focus();
  }
  showButtons();
}

function focusFirst(el: HTMLElement): void {
  el.querySelector('button')?.focus();
}
