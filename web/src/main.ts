// The dashboard's shell: header and navigation, the error line, and the view for the current
// hash route. Signed out, every route shows the sign-in form.
import './style.css';
import { signOut as signOutOfTaskd, SIGNED_OUT_EVENT } from './api.js';
import { h } from './dom.js';
import { attachNotice, clearError } from './notice.js';
import { forgetPermissions } from './permissions.js';
import { currentRoute, go, type Cleanup, type View } from './router.js';
import { currentClaims, isAdmin } from './session.js';
import { appPageView } from './views/app-page.js';
import { orgsView, orgView, spaceView } from './views/browse.js';
import { overviewView } from './views/overview.js';
import { signInView } from './views/sign-in.js';
import { taskListView } from './views/task-list.js';
import { taskPageView } from './views/task-page.js';

const ROUTES: Record<string, { list?: View; item?: View }> = {
  tasks: { list: taskListView, item: taskPageView },
  overview: { list: overviewView },
  orgs: { list: orgsView, item: orgView },
  spaces: { item: spaceView },
  apps: { item: appPageView },
};

const root = document.getElementById('app')!;
const user = h('span', { class: 'user' });
const signOut = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
const nav = h(
  'nav',
  { 'aria-label': 'Main' },
  h('a', { href: '#/tasks' }, 'Tasks'),
  h('a', { href: '#/overview' }, 'Overview'),
  h('a', { href: '#/orgs' }, 'Organizations'),
  user,
  signOut,
);
const notice = h('p', { class: 'error', role: 'alert', hidden: true });
const main = h('main', { id: 'main', tabindex: -1 });
root.append(h('header', {}, h('a', { href: '#/tasks', class: 'brand' }, 'taskd'), nav), notice, main);
attachNotice(notice);

let cleanup: Cleanup | void;

function render(): void {
  cleanup?.();
  cleanup = undefined;
  clearError();
  main.replaceChildren();
  const claims = currentClaims();
  nav.hidden = !claims;
  if (!claims) {
    cleanup = signInView(main, currentRoute());
    return;
  }
  user.textContent = `${claims.username}${isAdmin(claims) ? ' (admin)' : ''}`;
  const route = currentRoute();
  const [section = 'tasks', guid] = route.parts;
  const entry = ROUTES[section];
  const view = guid ? entry?.item : entry?.list;
  if (!view) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/tasks' }, 'Go to tasks')));
    return;
  }
  cleanup = view(main, route);
}

signOut.addEventListener('click', () => {
  forgetPermissions();
  void signOutOfTaskd();
});
window.addEventListener(SIGNED_OUT_EVENT, () => {
  forgetPermissions();
  if (location.hash === '#/sign-in') render();
  else go('sign-in');
});
window.addEventListener('hashchange', () => {
  if (location.hash === '#/sign-in' && currentClaims()) return go('tasks');
  render();
});
render();
