// The dashboard as a new user meets it in the first hour (issue 20), in Chromium against a real
// taskd, mostly on a phone (390×844): where the admin password is, what to do on an empty list,
// errors and a server out of reach, the list on a narrow screen and what its rows say, an unknown
// task, cancelling only when confirmed, a task page that asks only for what changed, and the
// overview. Screenshots of each land in test-results/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Page, Request } from 'playwright-core';
import { Harness } from '../support/harness.js';
import { TASK_TOKEN_CONFIG, listenForTasks } from '../support/task-token.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { eventually, sleep, waitForTask } from '../runner/helpers.js';
import { DashboardBrowser, DESKTOP, PHONE, shot, signIn, skipBrowserTests as skip, stateOn } from './browser.js';

/** A task's own API call (its token, its address), for progress, messages and subtasks. */
const CALL = 'curl -sS -o /dev/null -X POST -H "Authorization: bearer $TASKD_TASK_TOKEN" -H "Content-Type: application/json"';
const reportProgress = (percent: number) =>
  `${CALL} -d '{"percent":${percent},"message":"step"}' "$TASKD_API/v3/tasks/$TASKD_TASK_GUID/progress"`;

describe('dashboard: a new user first hour [sqlite]', { skip }, () => {
  const h = new Harness('sqlite', TASK_TOKEN_CONFIG);
  before(() => h.start());
  listenForTasks(h);
  after(() => h.stop());

  const browser = new DashboardBrowser();
  let phone: Page;
  let base: string;
  let org: any;
  let space: any;
  let app: any;

  before(async () => {
    base = `http://127.0.0.1:${(h.taskd.app.server.address() as AddressInfo).port}`;
    org = await h.org();
    space = await h.space(org.guid);
    ({ app } = await appWithCurrentDroplet(h, space.guid));
    await browser.launch();
    phone = await browser.newPage(PHONE);
  });
  after(() => browser.close());

  const createTask = async (command: string, name: string): Promise<string> => {
    const res = await h.post(`/v3/apps/${app.guid}/tasks`, { command, name });
    assert.equal(res.status, 202, res.text);
    return res.body.guid;
  };
  const total = async (query: string): Promise<number> => (await h.get(`/v3/tasks?${query}&per_page=1`)).body.pagination.total_results;
  /** The page's API calls to paths matching `pattern`, from now on. */
  const recordCalls = (page: Page, pattern: RegExp): string[] => {
    const seen: string[] = [];
    page.on('request', (req: Request) => {
      const url = new URL(req.url());
      if (pattern.test(url.pathname)) seen.push(decodeURIComponent(url.pathname + url.search));
    });
    return seen;
  };

  test('the sign-in page says where the admin password comes from', async () => {
    await phone.goto(`${base}/`);
    const hint = phone.getByText('First time?');
    await hint.waitFor();
    assert.match(await hint.innerText(), /admin.*\.taskd\/admin-password.*TASKD_ADMIN_PASSWORD/s);
    await shot(phone, 'phone-sign-in');
    await signIn(phone, 'admin', h.adminPassword);
    await phone.getByRole('heading', { name: 'Tasks' }).waitFor();
  });

  test('with no tasks, the list says how to run one instead of showing an empty table', async () => {
    await phone.getByText('No tasks yet.').waitFor();
    assert.match(await phone.locator('.empty').innerText(), /Run a task[\s\S]*taskd run-task/);
    assert.equal(await phone.locator('table.tasks').isVisible(), false);
    assert.equal(await phone.getByText('0 tasks').count(), 0);
    await shot(phone, 'phone-empty-list');
    // A space without apps says how to push one.
    const bare = await h.space(org.guid);
    await phone.goto(`${base}/#/spaces/${bare.guid}`);
    await phone.getByText('No apps here yet').waitFor();
    assert.match(await phone.locator('li.empty').innerText(), /taskd push/);
  });

  test('a list whose filters match nothing says so and offers to clear them', async () => {
    await createTask('true', 'quick');
    await phone.goto(`${base}/#/tasks?states=CANCELING`);
    await phone.getByText('No tasks match these filters.').waitFor();
    await phone.getByRole('link', { name: 'Clear the filters' }).click();
    await phone.locator('tbody tr').filter({ hasText: 'quick' }).waitFor();
  });

  test('a refused label selector shows the server error by the filters, with no "Loading…" left', async () => {
    await phone.goto(`${base}/#/tasks?label_selector=${encodeURIComponent('a b c')}`);
    const problem = phone.locator('.list-problem');
    await problem.filter({ hasText: 'The tasks could not be listed:' }).waitFor();
    const expected = (await h.get(`/v3/tasks?label_selector=${encodeURIComponent('a b c')}`)).body.errors[0].detail;
    assert.match(await problem.innerText(), new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await phone.getByText('Loading…').count(), 0);
    assert.equal(await phone.locator('table.tasks').isVisible(), false, 'no empty table under the error');
    // The filters unfold on a phone too, so the field to fix is in sight.
    assert.equal(await phone.getByLabel('Label selector').isVisible(), true);
    await shot(phone, 'phone-list-refused-filter');
  });

  test('with taskd out of reach the list says so and keeps trying, then recovers by itself', async () => {
    await phone.goto(`${base}/#/tasks`);
    await phone.locator('tbody tr').first().waitFor();
    await phone.context().setOffline(true);
    await phone.locator('.list-problem').filter({ hasText: 'Cannot reach taskd; retrying…' }).waitFor();
    assert.equal(await phone.getByText('Failed to fetch').count(), 0);
    await shot(phone, 'phone-list-unreachable');
    // The overview, opened while taskd is out of reach, says the same and is not left "Loading…".
    await phone.getByRole('link', { name: 'Overview' }).click();
    await phone.getByRole('alert').filter({ hasText: 'Cannot reach taskd; retrying…' }).waitFor();
    assert.equal(await phone.getByText('Loading…').count(), 0);
    await phone.context().setOffline(false);
    await phone.getByTestId('now-running').waitFor({ timeout: 25_000 });
    await phone.getByRole('link', { name: 'Tasks', exact: true }).click();
    await phone.getByText(/^\d+ tasks?$/).waitFor();
    assert.equal(await phone.locator('.list-problem').isVisible(), false);
    assert.equal(await phone.getByRole('alert').filter({ hasText: 'Cannot reach' }).count(), 0);
  });

  test('on a phone the filters fold away and every task row fits the screen', async () => {
    const failing = await createTask(`${reportProgress(40)}; exit 3`, 'failing');
    const done = await createTask(`${reportProgress(40)}; echo ok`, 'partial-success');
    await waitForTask(h, failing);
    await waitForTask(h, done);
    const fresh = await browser.newPage(PHONE);
    await fresh.goto(`${base}/`);
    await signIn(fresh, 'admin', h.adminPassword);
    const rows = fresh.locator('tbody tr');
    await rows.filter({ hasText: 'failing' }).waitFor();
    assert.equal(await fresh.getByLabel('State').isVisible(), false, 'the filters start folded');
    const first = (await rows.first().boundingBox())!;
    assert.ok(first.y + first.height <= PHONE.height, `the first task is on the first screen (ends at ${first.y + first.height})`);
    const widths = await fresh.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
    assert.ok(widths.page <= widths.screen, `nothing is wider than the screen (${widths.page} > ${widths.screen})`);
    for (const row of await rows.all()) {
      const box = (await row.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'each row fits across');
    }
    await shot(fresh, 'phone-task-list');
    await fresh.getByText('Filters and sorting').click();
    assert.equal(await fresh.getByLabel('State').isVisible(), true);
    await shot(fresh, 'phone-task-list-filters');
    await fresh.close();
  });

  test('a row tells the sequence id, why it failed, where it ran and how long it took; a finished bar stops looking busy', async () => {
    await phone.goto(`${base}/#/tasks`);
    const failing = phone.locator('tbody tr').filter({ hasText: 'failing' });
    await failing.waitFor();
    const api = (await h.get(`/v3/tasks?names=failing`)).body.resources[0];
    const text = await failing.innerText();
    assert.match(text, new RegExp(`#${api.sequence_id}\\b`));
    assert.match(text, /Exited with status 3/);
    assert.match(text, new RegExp(`${org.name} / ${space.name}`));
    assert.match(await failing.locator('td[data-label="Duration"]').innerText(), /^\d+ (s|min)/);
    assert.match(text, /stopped at 40%/);
    const success = phone.locator('tbody tr').filter({ hasText: 'partial-success' });
    assert.equal(await success.locator('progress').getAttribute('value'), '100');
    assert.match(await success.innerText(), /\bdone\b/);
    assert.equal(await success.locator('.progress').getAttribute('title'), 'done (last reported 40% step)');
    // Neither finished bar is drawn in the running blue.
    const blue = await phone.evaluate(() => getComputedStyle(document.querySelector('.state-running, a')!).color);
    for (const row of [failing, success]) {
      const colour = await row.locator('progress').evaluate((el) => getComputedStyle(el).accentColor);
      assert.notEqual(colour, blue);
      assert.notEqual(colour, 'auto');
    }
    await phone.setViewportSize(DESKTOP);
    await shot(phone, 'desktop-task-list');
    await phone.setViewportSize(PHONE);
  });

  test("an unknown task's page says it is not found, once, and stops asking", async () => {
    const guid = randomUUID();
    const calls = recordCalls(phone, new RegExp(guid));
    await phone.goto(`${base}/#/tasks/${guid}`);
    await phone.getByRole('heading', { name: 'Task not found' }).waitFor();
    await shot(phone, 'phone-task-not-found');
    const asked = calls.length;
    await sleep(5000);
    assert.equal(calls.length, asked, `no more requests for the unknown task: ${calls.slice(asked).join(', ')}`);
    await phone.getByRole('link', { name: 'Go to the task list' }).click();
    await phone.getByRole('heading', { name: 'Tasks' }).waitFor();
  });

  test('cancel asks first, on a phone: keeping the task leaves it running', async () => {
    const sleeper = await createTask('sleep 300', 'phone-sleeper');
    await phone.goto(`${base}/#/tasks/${sleeper}`);
    await stateOn(phone).filter({ hasText: 'RUNNING' }).waitFor();
    await phone.getByRole('button', { name: 'Cancel' }).click();
    const confirm = phone.getByRole('alertdialog', { name: 'Confirm cancel' });
    await confirm.getByText('Cancel task phone-sleeper?').waitFor();
    await shot(phone, 'phone-cancel-confirm');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await sleep(500);
    assert.equal((await h.get(`/v3/tasks/${sleeper}`)).body.state, 'RUNNING');
    await phone.getByRole('button', { name: 'Cancel' }).click();
    await confirm.getByRole('button', { name: 'Yes, cancel the task' }).click();
    await stateOn(phone).filter({ hasText: 'FAILED' }).waitFor();
    assert.equal((await h.get(`/v3/tasks/${sleeper}`)).body.result.failure_reason, 'task was cancelled');
  });

  test("a task page reads only what changed, never the app's whole task list, and nothing once all has ended", async () => {
    const child = `${CALL} -d '{"command":"sleep 2","name":"phone-child","parent_task_guid":"'"$TASKD_TASK_GUID"'"}' "$TASKD_API/v3/apps/${app.guid}/tasks"`;
    const parent = await createTask(
      `${child}; ${CALL} -d '{"text":"child started"}' "$TASKD_API/v3/tasks/$TASKD_TASK_GUID/messages"; sleep 6`,
      'phone-parent',
    );
    const calls = recordCalls(phone, /^\/v3\//);
    await phone.goto(`${base}/#/tasks/${parent}`);
    await phone.locator('.subtasks').getByRole('link', { name: 'phone-child' }).waitFor();
    await phone.getByRole('listitem').filter({ hasText: 'child started' }).waitFor();
    await stateOn(phone).filter({ hasText: 'SUCCEEDED' }).waitFor();
    await phone.locator('.subtasks li').filter({ hasText: 'SUCCEEDED' }).waitFor();
    await shot(phone, 'phone-task-page');
    const listings = calls.filter((c) => c.startsWith(`/v3/apps/${app.guid}/tasks`));
    assert.ok(listings.length > 0);
    for (const c of listings) {
      assert.doesNotMatch(c, /per_page=500/);
      assert.match(c, /created_ats\[gte\]=/, c);
    }
    assert.ok(
      listings.slice(1).every((c) => /updated_ats\[gte\]=/.test(c)),
      `after the first read, only changes are asked for: ${listings.join('\n')}`,
    );
    // Messages are read when their count moves (the runner's start and end, the task's own), not
    // on every round.
    const messageReads = calls.filter((c) => c.includes(`/v3/tasks/${parent}/messages`)).length;
    const rounds = calls.filter((c) => c === `/v3/tasks/${parent}`).length;
    const messages = (await h.get(`/v3/tasks/${parent}`)).body.latest_message.seq;
    assert.ok(messageReads <= messages + 1 && messageReads < rounds, `${messageReads} message reads in ${rounds} rounds`);
    await eventually(
      'the page stops asking',
      async () => {
        const before = calls.length;
        await sleep(4500);
        return calls.length === before;
      },
      15_000,
    );
  });

  test('the overview shows what runs now, outcomes by hour, failures by reason and durations, live, from counts', async () => {
    const started = Date.now();
    const mark = (what: string) => console.log(`# overview: ${what} after ${Date.now() - started} ms`);
    const calls = recordCalls(phone, /^\/v3\/tasks$/);
    await phone.goto(`${base}/#/overview`);
    const running = phone.getByTestId('now-running').locator('.stat-number');
    await running.filter({ hasText: String(await total('states=RUNNING')) }).waitFor();
    // Live: a task started now is counted without a reload.
    mark('first count');
    const sleeper = await createTask('sleep 300', 'overview-sleeper');
    await waitForTask(h, sleeper, (t) => t.state === 'RUNNING');
    mark('sleeper running');
    await running.filter({ hasText: String(await total('states=RUNNING')) }).waitFor({ timeout: 25_000 });
    const reasons = phone.locator('table.reasons');
    mark('counted live');
    const exited = reasons.getByRole('row').filter({ hasText: 'Exited with status 3' });
    await exited.waitFor();
    assert.equal(await exited.locator('td').nth(1).innerText(), '1');
    await reasons.getByRole('row').filter({ hasText: 'task was cancelled' }).waitFor();
    assert.match(await phone.getByTestId('duration-median').innerText(), /^\d+ (s|min)/);
    // This hour's bar counts what the server counts.
    const hourStart = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await eventually('this hour is counted as the server counts it', async () => {
      const shown = await phone.locator('.hour').last().innerText();
      return shown.includes(`${await total(`created_ats[gte]=${hourStart}`)}: `);
    });
    await shot(phone, 'phone-overview');
    await phone.setViewportSize(DESKTOP);
    await shot(phone, 'desktop-overview');
    await phone.setViewportSize(PHONE);
    assert.ok(calls.length > 0);
    for (const c of calls) assert.match(c, /per_page=(1|100)\b/, `counts use one-row pages, samples one bounded page: ${c}`);
    await h.post(`/v3/tasks/${sleeper}/actions/cancel`, {});
  });

  test('every page ran without script errors or Content-Security-Policy refusals', () => {
    assert.deepEqual(browser.problems, []);
  });
});
