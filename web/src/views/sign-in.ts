// The sign-in form: the password grant of taskd's token endpoint, as the cf CLI does it.
import { signIn } from '../api.js';
import { h } from '../dom.js';
import { clearError, reporting } from '../notice.js';
import { go, type View } from '../router.js';

export const signInView: View = (main) => {
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in to taskd'),
    h('label', { for: 'username' }, 'Username'),
    username,
    h('label', { for: 'password' }, 'Password'),
    password,
    submit,
    // A new user's first question: taskd printed no password, only where it wrote it.
    h(
      'p',
      { class: 'hint' },
      'First time? Sign in as ',
      h('code', {}, 'admin'),
      ' with the password taskd wrote on first start to ',
      h('code', {}, '.taskd/admin-password'),
      ' (or to ',
      h('code', {}, 'admin-password'),
      ' in ',
      h('code', {}, 'TASKD_DATA_DIR'),
      ' if that was set), unless it was chosen with ',
      h('code', {}, 'TASKD_ADMIN_PASSWORD'),
      ' or ',
      h('code', {}, 'TASKD_ADMIN_PASSWORD_FILE'),
      '.',
    ),
  );
  const signInAndGo = async () => {
    clearError();
    submit.disabled = true;
    const done = await reporting(async () => {
      await signIn(username.value, password.value);
      return true;
    });
    submit.disabled = false;
    // Signed in where the user was headed (a shared link), else at the task list.
    if (!done) return;
    if (location.hash === '' || location.hash.startsWith('#/sign-in')) go('tasks');
    else window.dispatchEvent(new HashChangeEvent('hashchange'));
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void signInAndGo();
  });
  main.append(form);
  username.focus();
};
