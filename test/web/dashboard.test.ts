// The built dashboard in a real browser (Chromium via playwright-core) against a real taskd on
// a real port: sign in, run a task through the form and watch it finish live, cancel a task with
// the button, and a read-only user who sees tasks but no controls. Skipped, with the reason, when
// Chromium or the build is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { Harness, type Actor } from '../support/harness.js';
import { TASK_TOKEN_CONFIG, listenForTasks } from '../support/task-token.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { DASHBOARD_CSP } from '../../src/api/web.js';
import { DashboardBrowser, shot, signIn, skipBrowserTests as skip, stateOn } from './browser.js';

/**
 * Reports progress and a message with the task's own token, starts a subtask, and prints lines
 * with a pause between them.
 */
function reportingCommand(appGuid: string): string {
  const call = 'curl -sS -o /dev/null -X POST -H "Authorization: bearer $TASKD_TASK_TOKEN" -H "Content-Type: application/json"';
  return [
    `report() { ${call} -d "$2" "$TASKD_API/v3/tasks/$TASKD_TASK_GUID/$1"; }`,
    `report progress '{"percent":40,"message":"warming up"}'`,
    'echo first line',
    `report messages '{"text":"checkpoint reached"}'`,
    `${call} -d '{"command":"echo child","name":"child-step","parent_task_guid":"'"$TASKD_TASK_GUID"'"}' "$TASKD_API/v3/apps/${appGuid}/tasks"`,
    'sleep 3',
    'echo second line',
    `report progress '{"percent":100,"message":"done"}'`,
    'echo all done',
  ].join('; ');
}

describe('dashboard in Chromium [sqlite]', { skip }, () => {
  const h = new Harness('sqlite', TASK_TOKEN_CONFIG);
  before(() => h.start());
  listenForTasks(h);
  after(() => h.stop());

  const browser = new DashboardBrowser();
  let admin: Page;
  let base: string;
  let org: any;
  let space: any;
  let app: any;
  let auditor: Actor;

  before(async () => {
    base = `http://127.0.0.1:${(h.taskd.app.server.address() as AddressInfo).port}`;
    org = await h.org();
    space = await h.space(org.guid);
    ({ app } = await appWithCurrentDroplet(h, space.guid));
    auditor = await h.user();
    await h.role('space_auditor', auditor.guid, { space: space.guid });
    await browser.launch();
    admin = await browser.newPage();
  });
  after(() => browser.close());
  const newPage = () => browser.newPage();

  test("a browser gets the dashboard at /, under a CSP of its own origin; API clients still get CF's root", async () => {
    const html = await fetch(`${base}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type')!, /^text\/html/);
    assert.equal(html.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.equal(html.headers.get('cache-control'), 'no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await html.text())?.[1];
    assert.ok(asset, 'the page loads a hashed script');
    const script = await fetch(`${base}${asset}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('cache-control')!, /immutable/);
    const api = await fetch(`${base}/`, { headers: { accept: 'application/json' } });
    assert.ok((await api.json()).links.cloud_controller_v3);
  });

  test('signing in: a wrong password is one readable line, the right one opens the task list', async () => {
    await admin.goto(`${base}/`);
    await shot(admin, 'sign-in');
    await signIn(admin, 'admin', 'not-the-password');
    await admin.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    await admin.getByLabel('Password').fill(h.adminPassword);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('heading', { name: 'Tasks' }).waitFor();
    assert.match(admin.url(), /#\/tasks$/);
  });

  test('an expired access token is refreshed with the refresh token, unnoticed', async () => {
    const spoiled = await admin.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('taskd.session')!);
      session.accessToken = `${session.accessToken}x`;
      sessionStorage.setItem('taskd.session', JSON.stringify(session));
      return session.accessToken as string;
    });
    await admin.reload();
    // The list answered: a count, or (no task yet) what to do next.
    await admin.getByText(/^(\d+ tasks?|No tasks yet\.)$/).waitFor();
    assert.equal(await admin.getByRole('alert').isVisible(), false);
    const now = await admin.evaluate(() => JSON.parse(sessionStorage.getItem('taskd.session')!).accessToken as string);
    assert.notEqual(now, spoiled);
  });

  test('browses from organizations to the app, runs a task there and watches it live: progress, messages, subtask, log', async () => {
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizations' }).click();
    await admin.getByRole('link', { name: org.name }).click();
    await admin.getByRole('link', { name: space.name }).click();
    await admin.getByRole('link', { name: app.name }).click();
    await admin.getByRole('heading', { name: `App ${app.name}` }).waitFor();
    await shot(admin, 'app-page');
    await admin.getByLabel('Command').fill(reportingCommand(app.guid));
    await admin.getByLabel('Name').fill('reporter');
    await admin.getByRole('button', { name: 'Run task' }).click();
    await admin.getByRole('heading', { name: 'Task reporter' }).waitFor();
    const log = admin.getByLabel('Task log');
    await log.filter({ hasText: 'first line' }).waitFor();
    // The stream delivers output while the task still runs (it sleeps before its second line).
    assert.doesNotMatch(await log.innerText(), /second line/);
    await admin.locator('.details progress[value="40"]').waitFor();
    await admin.getByRole('listitem').filter({ hasText: 'checkpoint reached' }).waitFor();
    await admin.locator('.subtasks').getByRole('link', { name: 'child-step' }).waitFor();
    await stateOn(admin).filter({ hasText: 'SUCCEEDED' }).waitFor();
    await log.filter({ hasText: 'all done' }).waitFor();
    await admin.getByText('Task ended: SUCCEEDED').waitFor();
    await admin.locator('.details progress[value="100"]').waitFor();
    await shot(admin, 'task-page');
  });

  test('the task list shows tasks with state and progress, filtered by the server', async () => {
    await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'exit 3', name: 'failing' });
    await admin.goto(`${base}/#/tasks`);
    const rows = admin.locator('tbody tr');
    await rows.filter({ hasText: 'reporter' }).filter({ hasText: 'SUCCEEDED' }).waitFor();
    // Live: the failing task turns FAILED without a reload.
    await rows.filter({ hasText: 'failing' }).filter({ hasText: 'FAILED' }).waitFor();
    assert.equal(await rows.filter({ hasText: 'reporter' }).locator('progress').getAttribute('value'), '100');
    await shot(admin, 'task-list');
    await admin.setViewportSize({ width: 390, height: 800 });
    await shot(admin, 'task-list-narrow');
    await admin.setViewportSize({ width: 1100, height: 800 });
    await admin.getByLabel('State').selectOption('FAILED');
    await admin.getByRole('button', { name: 'Apply' }).click();
    await admin.waitForURL(/states=FAILED/);
    await admin.getByText('1 task', { exact: true }).waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await rows.innerText(), /failing/);
  });

  test('a space auditor sees a running task but no buttons; the admin pauses, resumes and cancels it with the buttons', async () => {
    const created = await h.post(`/v3/apps/${app.guid}/tasks`, { command: 'sleep 300', name: 'sleeper' });
    assert.equal(created.status, 202, created.text);
    const sleeper = created.body.guid as string;

    const readOnly = await newPage();
    await readOnly.goto(`${base}/#/tasks/${sleeper}`);
    await signIn(readOnly, auditor.username, `pw-${auditor.username}`);
    await readOnly.getByRole('heading', { name: 'Task sleeper' }).waitFor();
    await stateOn(readOnly)
      .filter({ hasText: /PENDING|RUNNING/ })
      .waitFor();
    assert.equal(await readOnly.getByRole('group', { name: 'Task actions' }).getByRole('button').count(), 0);
    await readOnly.close();

    await admin.goto(`${base}/#/tasks/${sleeper}`);
    await stateOn(admin).filter({ hasText: 'RUNNING' }).waitFor();
    await admin.getByRole('button', { name: 'Pause' }).click();
    await stateOn(admin).filter({ hasText: 'PAUSED' }).waitFor();
    await admin.getByRole('button', { name: 'Resume' }).click();
    await stateOn(admin).filter({ hasText: 'RUNNING' }).waitFor();
    // Cancelling asks first; keeping the task leaves it running.
    await admin.getByRole('button', { name: 'Cancel' }).click();
    const confirm = admin.getByRole('alertdialog', { name: 'Confirm cancel' });
    await confirm.getByText('Cancel task sleeper?').waitFor();
    await shot(admin, 'cancel-confirm');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    assert.equal(await confirm.count(), 0);
    assert.equal((await h.get(`/v3/tasks/${sleeper}`)).body.state, 'RUNNING');
    await admin.getByRole('button', { name: 'Cancel' }).click();
    await confirm.getByRole('button', { name: 'Yes, cancel the task' }).click();
    await stateOn(admin).filter({ hasText: 'FAILED' }).waitFor();
    await admin.getByText('task was cancelled').first().waitFor();
    assert.equal(await admin.getByRole('button', { name: 'Cancel' }).count(), 0);
    assert.equal((await h.get(`/v3/tasks/${sleeper}`)).body.result.failure_reason, 'task was cancelled');
  });

  test('signing out ends the login on the server, forgets the tokens and shows the sign-in form', async () => {
    const session = JSON.parse((await admin.evaluate(() => sessionStorage.getItem('taskd.session')))!);
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByRole('heading', { name: 'Sign in to taskd' }).waitFor();
    assert.equal(await admin.evaluate(() => sessionStorage.getItem('taskd.session')), null);
    // A copy of the tokens is no good any more: the access token is refused, the refresh token too.
    assert.equal((await h.get('/v3/organizations', session.accessToken)).status, 401);
    const refreshed = await h.request('POST', '/oauth/token', {
      headers: { authorization: `Basic ${Buffer.from('cf:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.refreshToken }).toString(),
    });
    assert.equal(refreshed.status, 401, refreshed.text);
  });

  test('every page ran without script errors or Content-Security-Policy refusals', () => {
    assert.deepEqual(browser.problems, []);
  });
});
