// The cf CLI's session, target and task commands against taskd, each asserting the exit status and
// the lines a user reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appWithCurrentDroplet } from '../droplets/helpers.js';
import { waitForTask } from '../runner/helpers.js';
import { describeCfEachStore, type CfSuite } from './cf-harness.js';

/** The task of the app with this CF sequence id (what `cf run-task` prints as its id). */
async function taskBySequence(s: CfSuite, appGuid: string, sequenceId: number) {
  const res = await s.server.get(`/v3/apps/${appGuid}/tasks?sequence_ids=${sequenceId}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.resources.length, 1, res.text);
  return res.body.resources[0];
}

/** A table row of the CLI's output starting with `first`, split on its column gaps. */
function row(lines: string[], first: string): string[] | undefined {
  return lines.find((l) => l.split(/\s{2,}/)[0] === first)?.split(/\s{2,}/);
}

describeCfEachStore('the cf CLI: session, target and tasks', (s) => {
  test('cf api names the endpoint and the API version', async () => {
    const res = await s.ok(s.newHome(), ['api', s.url]);
    assert.ok(res.lines.includes('OK'), res.stdout);
    assert.ok(res.lines.includes(`API endpoint:   ${s.url}`), res.stdout);
    assert.ok(res.lines.includes('API version:    3.180.0'), res.stdout);
  });

  test('cf auth: a wrong password is rejected, the right one logs in', async () => {
    const home = s.newHome();
    await s.ok(home, ['api', s.url]);
    const wrong = await s.cf(home, ['auth', s.user.username, 'not-the-password']);
    assert.equal(wrong.status, 1, wrong.stdout);
    assert.ok(wrong.lines.includes('FAILED'), wrong.stdout);
    assert.match(wrong.stderr, /Credentials were rejected, please try again\./);
    const right = await s.ok(home, ['auth', s.user.username, s.user.password]);
    assert.ok(right.lines.includes('Authenticating...'), right.stdout);
    assert.ok(right.lines.includes('OK'), right.stdout);
  });

  test('cf login -a -u -p -o -s logs in and targets the org and space', async () => {
    const res = await s.ok(s.newHome(), [
      'login',
      '-a',
      s.url,
      '-u',
      s.user.username,
      '-p',
      s.user.password,
      '-o',
      s.org.name,
      '-s',
      s.space.name,
    ]);
    assert.ok(res.lines.includes(`Targeted org ${s.org.name}.`), res.stdout);
    assert.ok(res.lines.includes(`Targeted space ${s.space.name}.`), res.stdout);
    assert.ok(res.lines.includes(`user:           ${s.user.username}`), res.stdout);
    assert.ok(res.lines.includes(`org:            ${s.org.name}`), res.stdout);
    assert.ok(res.lines.includes(`space:          ${s.space.name}`), res.stdout);
  });

  test('cf target, cf orgs and cf spaces show what the user may see', async () => {
    const home = s.home();
    const target = await s.ok(home, ['target']);
    assert.ok(target.lines.includes(`org:            ${s.org.name}`), target.stdout);
    assert.ok(target.lines.includes(`space:          ${s.space.name}`), target.stdout);
    // An org the user has no role in is not listed.
    const other = await s.server.org();
    const orgs = await s.ok(home, ['orgs']);
    assert.ok(orgs.lines.includes(s.org.name), orgs.stdout);
    assert.ok(!orgs.lines.includes(other.name), orgs.stdout);
    const spaces = await s.ok(home, ['spaces']);
    assert.ok(spaces.lines.includes(s.space.name), spaces.stdout);
  });

  test("cf apps lists the space's apps, cf app shows one and its processes", async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid, { web: 'serve', task: 'echo from the droplet' });
    const home = s.home();
    const apps = await s.ok(home, ['apps']);
    assert.deepEqual(row(apps.lines, 'name'), ['name', 'requested state', 'processes', 'routes']);
    const listed = row(apps.lines, app.name);
    assert.equal(listed?.[1], 'stopped', apps.stdout);
    assert.match(listed?.[2] ?? '', /web:0\/1/, apps.stdout);
    const shown = await s.ok(home, ['app', app.name]);
    assert.ok(shown.lines.includes(`name:              ${app.name}`), shown.stdout);
    assert.ok(shown.lines.includes('requested state:   stopped'), shown.stdout);
    assert.ok(shown.lines.includes('type:           web'), shown.stdout);
    assert.ok(shown.lines.includes('instances:      0/1'), shown.stdout);
  });

  test("cf env shows the app's own variables and what taskd provides", async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid);
    const set = await s.server.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { GREETING: 'hello' } });
    assert.equal(set.status, 200, set.text);
    const env = await s.ok(s.home(), ['env', app.name]);
    assert.ok(env.lines.includes('User-Provided:'), env.stdout);
    assert.ok(env.lines.includes('GREETING: hello'), env.stdout);
    assert.ok(env.lines.includes('VCAP_SERVICES: {}'), env.stdout);
    assert.ok(env.lines.includes(`  "application_name": "${app.name}",`), env.stdout);
  });

  test("cf run-task --process runs the process's command from the droplet", async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid, { web: 'serve', migrate: 'echo migrating' });
    const run = await s.ok(s.home(), ['run-task', app.name, '--process', 'migrate']);
    assert.ok(run.lines.includes('Task has been submitted successfully for execution.'), run.stdout);
    const task = await taskBySequence(s, app.guid, 1);
    assert.equal(task.command, 'echo migrating');
    assert.equal((await waitForTask(s.server, task.guid)).state, 'SUCCEEDED');
  });

  test("cf droplets lists an app's droplets", async () => {
    const { app, droplet } = await appWithCurrentDroplet(s.server, s.space.guid);
    const droplets = await s.ok(s.home(), ['droplets', app.name]);
    assert.equal(row(droplets.lines, `${droplet.guid} (current)`)?.[1], 'staged', droplets.stdout);
  });

  test('cf run-task runs a command with its name, memory and disk; cf tasks lists it', async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid);
    const home = s.home();
    const run = await s.ok(home, ['run-task', app.name, '--command', 'echo hello from cf', '--name', 'greet', '-m', '64M', '-k', '128M']);
    assert.ok(run.lines.includes('Task has been submitted successfully for execution.'), run.stdout);
    assert.ok(run.lines.includes('task name:   greet'), run.stdout);
    assert.ok(run.lines.includes('task id:     1'), run.stdout);
    const task = await taskBySequence(s, app.guid, 1);
    assert.equal(task.name, 'greet');
    assert.equal(task.memory_in_mb, 64);
    assert.equal(task.disk_in_mb, 128);
    assert.equal((await waitForTask(s.server, task.guid)).state, 'SUCCEEDED');

    const tasks = await s.ok(home, ['tasks', app.name]);
    assert.deepEqual(row(tasks.lines, 'id')?.slice(0, 3), ['id', 'name', 'state'], tasks.stdout);
    const listed = row(tasks.lines, '1');
    assert.deepEqual([listed?.[1], listed?.[2]], ['greet', 'SUCCEEDED'], tasks.stdout);
    assert.equal(listed?.at(-1), 'echo hello from cf', tasks.stdout);
  });

  test('cf terminate-task cancels a running task', async () => {
    const { app } = await appWithCurrentDroplet(s.server, s.space.guid);
    const home = s.home();
    await s.ok(home, ['run-task', app.name, '--command', 'sleep 300', '--name', 'sleeper']);
    const task = await taskBySequence(s, app.guid, 1);
    await waitForTask(s.server, task.guid, (t) => t.state === 'RUNNING');
    const res = await s.ok(home, ['terminate-task', app.name, '1']);
    assert.ok(res.lines.includes('OK'), res.stdout);
    const ended = await waitForTask(s.server, task.guid);
    assert.equal(ended.state, 'FAILED');
    const shown = await s.server.get(`/v3/tasks/${task.guid}`);
    assert.equal(shown.body.result.failure_reason, 'task was cancelled');
  });

  test('cf curl /v3/tasks answers the JSON of the task list', async () => {
    const res = await s.ok(s.home(), ['curl', '/v3/tasks?per_page=1']);
    const body = JSON.parse(res.stdout);
    assert.equal(body.pagination.first.href, `${s.url}/v3/tasks?page=1&per_page=1`);
    assert.ok(Array.isArray(body.resources));
  });

  test('cf logout ends the session: the next command asks for a login', async () => {
    const home = s.home();
    const out = await s.ok(home, ['logout']);
    assert.ok(out.lines.includes(`Logging out ${s.user.username}...`), out.stdout);
    const orgs = await s.cf(home, ['orgs']);
    assert.equal(orgs.status, 1);
    assert.match(orgs.stderr, /Not logged in\. Use 'cf login' or 'cf login --sso' to log in\./);
  });
});
