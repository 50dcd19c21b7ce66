import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore, type Harness } from '../support/harness.js';
import { ROLES, sharedRoleMatrix, type RoleName } from '../support/role-matrix.js';
import { appWithCurrentDroplet, stagedDroplet } from '../droplets/helpers.js';

const UNPROCESSABLE = ['CF-UnprocessableEntity', 10008] as const;
const TASK_KEYS = [
  'guid',
  'created_at',
  'updated_at',
  'sequence_id',
  'name',
  'command',
  'user',
  'state',
  'memory_in_mb',
  'disk_in_mb',
  'log_rate_limit_in_bytes_per_second',
  'result',
  'droplet_guid',
  'relationships',
  'metadata',
  'links',
  // taskd extensions, after CF's fields
  'progress',
  'latest_message',
  'parent_task_guid',
  'timeout_in_seconds',
  'taskd_state',
];
// Long enough that a task stays unfinished for the length of a test, whatever the runner does.
const LONG = 'sleep 300';

async function freshApp(h: Harness, processTypes?: Record<string, string>) {
  const org = await h.org();
  const space = await h.space(org.guid);
  const { app, droplet } = await appWithCurrentDroplet(h, space.guid, processTypes);
  return { org, space, app, droplet };
}

const createTask = (h: Harness, appGuid: string, body: unknown, token = h.admin.token) => h.post(`/v3/apps/${appGuid}/tasks`, body, token);

describeEachStore('POST /v3/apps/:guid/tasks', (h) => {
  const matrix = sharedRoleMatrix(h);

  test('creates a PENDING task in CF shape and field order, with command, no Location', async () => {
    const { app, droplet } = await freshApp(h);
    const res = await createTask(h, app.guid, {
      name: 'migrate',
      command: LONG,
      memory_in_mb: 256,
      disk_in_mb: 512,
      log_rate_limit_in_bytes_per_second: 2048,
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers.location, undefined);
    const t = res.body;
    assert.deepEqual(Object.keys(t), TASK_KEYS);
    assert.match(t.guid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(t.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(t.updated_at, t.created_at);
    assert.equal(t.sequence_id, 1);
    assert.equal(t.name, 'migrate');
    assert.equal(t.command, LONG);
    assert.equal(t.user, 'vcap');
    assert.equal(t.state, 'PENDING');
    assert.equal(t.memory_in_mb, 256);
    assert.equal(t.disk_in_mb, 512);
    assert.equal(t.log_rate_limit_in_bytes_per_second, 2048);
    assert.deepEqual(t.result, { failure_reason: null });
    assert.equal(t.droplet_guid, droplet.guid);
    assert.deepEqual(t.relationships, { app: { data: { guid: app.guid } } });
    assert.deepEqual(t.metadata, { labels: {}, annotations: {} });
    const self = `https://api.example.org/v3/tasks/${t.guid}`;
    assert.deepEqual(t.links, {
      self: { href: self },
      app: { href: `https://api.example.org/v3/apps/${app.guid}` },
      cancel: { href: `${self}/actions/cancel`, method: 'POST' },
      droplet: { href: `https://api.example.org/v3/droplets/${droplet.guid}` },
    });
    const row = await h.db.selectFrom('tasks').selectAll().where('guid', '=', t.guid).executeTakeFirstOrThrow();
    assert.equal(row.created_by, h.admin.guid);
    const space = await h.db.selectFrom('apps').select('space_id').where('guid', '=', app.guid).executeTakeFirstOrThrow();
    assert.equal(row.space_id, space.space_id);
  });

  test('defaults: random hex name, configured memory, disk and log rate', async () => {
    const { app } = await freshApp(h);
    const res = await createTask(h, app.guid, { command: LONG });
    assert.equal(res.status, 202, res.text);
    assert.match(res.body.name, /^[0-9a-f]{8}$/);
    assert.equal(res.body.memory_in_mb, 1024);
    assert.equal(res.body.disk_in_mb, 1024);
    assert.equal(res.body.log_rate_limit_in_bytes_per_second, -1);
    const nulls = await createTask(h, app.guid, {
      command: LONG,
      name: null,
      memory_in_mb: null,
      disk_in_mb: null,
      log_rate_limit_in_bytes_per_second: null,
      user: null,
    });
    assert.equal(nulls.status, 202, nulls.text);
    assert.match(nulls.body.name, /^[0-9a-f]{8}$/);
    assert.equal(nulls.body.memory_in_mb, 1024);
    assert.equal(nulls.body.user, 'vcap');
  });

  test('numeric strings are accepted and coerced', async () => {
    const { app } = await freshApp(h);
    const res = await createTask(h, app.guid, {
      command: LONG,
      memory_in_mb: '12',
      disk_in_mb: '34',
      log_rate_limit_in_bytes_per_second: '0',
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.memory_in_mb, 12);
    assert.equal(res.body.disk_in_mb, 34);
    assert.equal(res.body.log_rate_limit_in_bytes_per_second, 0);
  });

  test('template.process.guid supplies command, memory, disk and log rate; the request overrides', async () => {
    const { app } = await freshApp(h, { web: 'bundle exec rackup', worker: 'bin/work' });
    const processes = (await h.get(`/v3/apps/${app.guid}/processes`)).body.resources as any[];
    const worker = processes.find((p) => p.type === 'worker');
    await h.db
      .updateTable('processes')
      .set({ memory_in_mb: 300, disk_in_mb: 400, log_rate_limit: 500 })
      .where('guid', '=', worker.guid)
      .execute();
    const res = await createTask(h, app.guid, { template: { process: { guid: worker.guid } } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.command, 'bin/work');
    assert.equal(res.body.memory_in_mb, 300);
    assert.equal(res.body.disk_in_mb, 400);
    assert.equal(res.body.log_rate_limit_in_bytes_per_second, 500);
    const overridden = await createTask(h, app.guid, { template: { process: { guid: worker.guid } }, command: LONG, memory_in_mb: 64 });
    assert.equal(overridden.status, 202, overridden.text);
    assert.equal(overridden.body.command, LONG);
    assert.equal(overridden.body.memory_in_mb, 64);
    assert.equal(overridden.body.disk_in_mb, 400);
  });

  test('a template process of another app is found too (global lookup); an unknown one is 404 ProcessNotFound', async () => {
    const { app } = await freshApp(h);
    const other = await freshApp(h, { web: 'other-start' });
    const res = await createTask(h, app.guid, { template: { process: { guid: other.app.guid } } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.command, 'other-start');
    cfError(
      await createTask(h, app.guid, { template: { process: { guid: 'no-such-process' } } }),
      404,
      'CF-ProcessNotFound',
      350003,
      'The process could not be found: no-such-process',
    );
  });

  test("another tenant's process is no template: it answers as an unknown one, and one whose command the caller may not see is 403", async () => {
    // Found by the isolation check: the global lookup handed a developer another org's command.
    const mine = await freshApp(h);
    const theirs = await freshApp(h, { web: 'their-secret-start' });
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: mine.space.guid });
    const foreign = await createTask(h, mine.app.guid, { template: { process: { guid: theirs.app.guid } } }, dev.token);
    const unknown = await createTask(h, mine.app.guid, { template: { process: { guid: 'no-such-process' } } }, dev.token);
    assert.equal(foreign.status, 404, foreign.text);
    assert.ok(!foreign.text.includes('their-secret-start'));
    assert.equal(foreign.text.replace(theirs.app.guid, '<id>'), unknown.text.replace('no-such-process', '<id>'));
    // An auditor there may see the process, but not lend its command to a task of their own.
    await h.role('space_auditor', dev.guid, { space: theirs.space.guid });
    cfError(
      await createTask(h, mine.app.guid, { template: { process: { guid: theirs.app.guid } } }, dev.token),
      403,
      'CF-NotAuthorized',
      10003,
    );
    await h.role('space_developer', dev.guid, { space: theirs.space.guid });
    const lent = await createTask(h, mine.app.guid, { template: { process: { guid: theirs.app.guid } } }, dev.token);
    assert.equal(lent.status, 202, lent.text);
    assert.equal(lent.body.command, 'their-secret-start');
  });

  test('a template process without a start command gives a task without one: 422', async () => {
    const { app } = await freshApp(h, { web: '' });
    cfError(await createTask(h, app.guid, { template: { process: { guid: app.guid } } }), 422, ...UNPROCESSABLE, 'command is not present');
  });

  test("an explicit droplet of the app is used; another app's droplet or an unknown one is 404", async () => {
    const { app } = await freshApp(h);
    const second = await stagedDroplet(h, app.guid, { web: 'x' });
    const res = await createTask(h, app.guid, { command: LONG, droplet_guid: second.guid });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.droplet_guid, second.guid);
    const other = await freshApp(h);
    cfError(
      await createTask(h, app.guid, { command: LONG, droplet_guid: other.droplet.guid }),
      404,
      'CF-ResourceNotFound',
      10010,
      'Droplet not found',
    );
    cfError(await createTask(h, app.guid, { command: LONG, droplet_guid: 'nope' }), 404, 'CF-ResourceNotFound', 10010, 'Droplet not found');
  });

  test('"droplet_guid": null means the current droplet (taskd, spec §11)', async () => {
    const { app, droplet } = await freshApp(h);
    const res = await createTask(h, app.guid, { command: LONG, droplet_guid: null });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.droplet_guid, droplet.guid);
  });

  test('an app without a current droplet cannot run tasks unless one is named', async () => {
    const org = await h.org();
    const space = await h.space(org.guid);
    const app = await h.app(space.guid);
    cfError(
      await createTask(h, app.guid, { command: LONG }),
      422,
      ...UNPROCESSABLE,
      'Task must have a droplet. Specify droplet or assign current droplet to app.',
    );
    const droplet = await stagedDroplet(h, app.guid);
    const res = await createTask(h, app.guid, { command: LONG, droplet_guid: droplet.guid });
    assert.equal(res.status, 202, res.text);
  });

  test('an unknown app is 404 App not found, also when a droplet is named', async () => {
    cfError(await createTask(h, 'no-such-app', { command: LONG }), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    cfError(await createTask(h, 'no-such-app', { command: LONG, droplet_guid: 'd' }), 404, 'CF-ResourceNotFound', 10010, 'App not found');
  });

  test('message validation, every message, joined with ", "', async () => {
    const { app } = await freshApp(h);
    const bad = async (body: unknown, detail: string) => cfError(await createTask(h, app.guid, body), 422, ...UNPROCESSABLE, detail);
    await bad({ command: 'x', foo: 1, bar: 2 }, "Unknown field(s): 'foo', 'bar'");
    await bad({}, 'Command No command or template provided');
    await bad(
      { command: null, template: null },
      'Template process guid must be a string, Template process guid must be between 1 and 200 characters, Command No command or template provided',
    );
    await bad({ command: false }, 'Command No command or template provided');
    await bad({ command: 'x', memory_in_mb: 'abc' }, 'Memory in mb is not a number');
    await bad({ command: 'x', memory_in_mb: true }, 'Memory in mb is not a number');
    await bad({ command: 'x', memory_in_mb: 1.5 }, 'Memory in mb must be an integer');
    await bad({ command: 'x', memory_in_mb: 0 }, 'Memory in mb must be greater than 0');
    await bad({ command: 'x', disk_in_mb: 'x' }, 'Disk in mb is not a number');
    await bad({ command: 'x', disk_in_mb: '2.5' }, 'Disk in mb must be an integer');
    await bad({ command: 'x', disk_in_mb: -4 }, 'Disk in mb must be greater than 0');
    await bad({ command: 'x', log_rate_limit_in_bytes_per_second: [] }, 'Log rate limit in bytes per second is not a number');
    await bad({ command: 'x', log_rate_limit_in_bytes_per_second: 0.5 }, 'Log rate limit in bytes per second must be an integer');
    await bad({ command: 'x', log_rate_limit_in_bytes_per_second: -2 }, 'Log rate limit in bytes per second must be greater than -2');
    await bad(
      { command: 'x', log_rate_limit_in_bytes_per_second: '9223372036854775808' },
      'Log rate limit in bytes per second must be less than or equal to 9223372036854775807',
    );
    await bad({ command: 'x', droplet_guid: 5 }, 'Droplet guid must be a string, Droplet guid must be between 1 and 200 characters');
    await bad({ command: 'x', droplet_guid: '' }, 'Droplet guid must be between 1 and 200 characters');
    await bad({ command: 'x', droplet_guid: 'd'.repeat(201) }, 'Droplet guid must be between 1 and 200 characters');
    await bad({ template: 'web' }, 'Template process guid must be a string, Template process guid must be between 1 and 200 characters');
    await bad(
      { template: { process: 'p' } },
      'Template process guid must be a string, Template process guid must be between 1 and 200 characters',
    );
    await bad({ template: { process: { guid: '' } } }, 'Template process guid must be between 1 and 200 characters');
    await bad({ command: 'x', user: 7 }, 'User must be a string');
    await bad({ command: 'x', user: '' }, 'User must be between 1 and 255 characters');
    await bad({ command: 'x', user: 'u'.repeat(256) }, 'User must be between 1 and 255 characters');
    await bad({ command: 'x', metadata: 'x' }, 'Metadata must be an object');
    await bad({ command: 'x', metadata: { labels: { '': 'v' } } }, 'Metadata label key error: key cannot be empty string');
    await bad(
      { command: 'x', memory_in_mb: 0, disk_in_mb: 0, foo: 1 },
      "Unknown field(s): 'foo', Disk in mb must be greater than 0, Memory in mb must be greater than 0",
    );
  });

  test('model validation: name, command, user', async () => {
    const { app } = await freshApp(h);
    const bad = async (body: unknown, detail: string) => cfError(await createTask(h, app.guid, body), 422, ...UNPROCESSABLE, detail);
    await bad({ command: 'x', name: 'a'.repeat(256) }, 'name is invalid');
    await bad({ command: 'x', name: 'line\nbreak' }, 'name is invalid');
    await bad({ command: 'x', name: 5 }, 'name is invalid');
    await bad({ command: 'x', name: '' }, 'name is invalid, name is not present');
    await bad({ command: '  ', name: '   ' }, 'command is not present, name is not present');
    await bad({ command: 'c'.repeat(4097) }, 'command must be shorter than 4097 characters');
    await bad({ command: 'x', user: 'root' }, "user invalid (requested user 'root' not allowed, permitted users are: 'vcap')");
    const ok = await createTask(h, app.guid, { command: LONG, name: 'ü-task (2)!', user: 'VCAP' });
    assert.equal(ok.status, 202, ok.text);
    assert.equal(ok.body.name, 'ü-task (2)!');
    assert.equal(ok.body.user, 'VCAP');
    const longest = await createTask(h, app.guid, { command: LONG, name: 'n'.repeat(255) });
    assert.equal(longest.status, 202, longest.text);
  });

  test('disk above the configured maximum is refused', async () => {
    const { app } = await freshApp(h);
    cfError(
      await createTask(h, app.guid, { command: LONG, disk_in_mb: 2049 }),
      422,
      ...UNPROCESSABLE,
      'Cannot request disk_in_mb greater than 2048',
    );
    assert.equal((await createTask(h, app.guid, { command: LONG, disk_in_mb: 2048 })).status, 202);
  });

  test('metadata is stored with the task; label limits apply', async () => {
    const { app } = await freshApp(h);
    const res = await createTask(h, app.guid, {
      command: LONG,
      metadata: { labels: { env: 'prod', 'example.com/tier': 'db' }, annotations: { note: 'hello world' } },
    });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body.metadata, { labels: { env: 'prod', 'example.com/tier': 'db' }, annotations: { note: 'hello world' } });
    const labels = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`l${i}`, 'v']));
    cfError(
      await createTask(h, app.guid, { command: LONG, metadata: { labels } }),
      422,
      'CF-LabelLimitExceeded',
      390020,
      'Failed to add 51 labels because it would exceed maximum of 50',
    );
    const annotations = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`a${i}`, 'v']));
    cfError(
      await createTask(h, app.guid, { command: LONG, metadata: { annotations } }),
      422,
      'CF-AnnotationLimitExceeded',
      390023,
      'Failed to add 201 annotations because it would exceed maximum of 200',
    );
  });

  test('a refused create consumes no sequence id', async () => {
    const { app } = await freshApp(h);
    assert.equal((await createTask(h, app.guid, { command: LONG })).body.sequence_id, 1);
    await createTask(h, app.guid, { command: LONG, user: 'root' });
    const labels = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`l${i}`, 'v']));
    await createTask(h, app.guid, { command: LONG, metadata: { labels } });
    assert.equal((await createTask(h, app.guid, { command: LONG })).body.sequence_id, 2);
  });

  test('the create is recorded as an audit event', async () => {
    const { app, space, org } = await freshApp(h);
    const res = await createTask(h, app.guid, { name: 'audited', command: 'echo secret', memory_in_mb: 128 });
    assert.equal(res.status, 202, res.text);
    const events = await h.get(`/v3/audit_events?types=audit.app.task.create&target_guids=${app.guid}`);
    assert.equal(events.body.resources.length, 1);
    const e = events.body.resources[0];
    assert.deepEqual(e.actor, { guid: h.admin.guid, type: 'user', name: 'admin' });
    assert.deepEqual(e.target, { guid: app.guid, type: 'app', name: app.name });
    assert.deepEqual(e.data, {
      task_guid: res.body.guid,
      request: { name: 'audited', memory_in_mb: 128, command: '[PRIVATE DATA HIDDEN]' },
    });
    assert.deepEqual(e.space, { guid: space.guid });
    assert.deepEqual(e.organization, { guid: org.guid });
  });

  test('check order: body before app lookup, app lookup before permission, permission before droplet', async () => {
    const { app } = await freshApp(h);
    const stranger = await h.user();
    cfError(await createTask(h, 'no-such-app', { command: 'x', foo: 1 }), 422, ...UNPROCESSABLE, "Unknown field(s): 'foo'");
    cfError(await createTask(h, app.guid, { command: LONG }, stranger.token), 404, 'CF-ResourceNotFound', 10010, 'App not found');
    const m = await matrix();
    const app2 = (await appWithCurrentDroplet(h, m.space.guid)).app;
    cfError(
      await createTask(h, app2.guid, { command: LONG, droplet_guid: 'nope' }, m.tokens.space_manager),
      403,
      'CF-NotAuthorized',
      10003,
    );
    cfError(
      await createTask(h, app2.guid, { command: LONG, droplet_guid: 'nope', disk_in_mb: 99999 }),
      404,
      'CF-ResourceNotFound',
      10010,
      'Droplet not found',
    );
  });

  test('feature flag task_creation off: 403 for everyone but admins, before any 404', async () => {
    const m = await matrix();
    const { app } = await appWithCurrentDroplet(h, m.space.guid);
    assert.equal((await h.patch('/v3/feature_flags/task_creation', { enabled: false })).status, 200);
    try {
      cfError(
        await createTask(h, app.guid, { command: LONG }, m.tokens.space_developer),
        403,
        'CF-FeatureDisabled',
        330002,
        'Feature Disabled: task_creation',
      );
      cfError(
        await createTask(h, 'no-such-app', { foo: 1 }, m.tokens.no_role),
        403,
        'CF-FeatureDisabled',
        330002,
        'Feature Disabled: task_creation',
      );
      assert.equal((await createTask(h, app.guid, { command: LONG })).status, 202, 'admins bypass flags');
      await h.patch('/v3/feature_flags/task_creation', { custom_error_message: 'tasks are paused' });
      cfError(
        await createTask(h, app.guid, { command: LONG }, m.tokens.space_developer),
        403,
        'CF-FeatureDisabled',
        330002,
        'Feature Disabled: tasks are paused',
      );
    } finally {
      await h.patch('/v3/feature_flags/task_creation', { enabled: true, custom_error_message: null });
    }
    assert.equal((await createTask(h, app.guid, { command: LONG }, m.tokens.space_developer)).status, 202);
  });

  test('suspended organization: developers get 403 OrgSuspended, admins are unaffected', async () => {
    const { org, space, app } = await freshApp(h);
    const dev = await h.user();
    await h.role('space_developer', dev.guid, { space: space.guid });
    assert.equal((await h.patch(`/v3/organizations/${org.guid}`, { suspended: true })).status, 200);
    cfError(await createTask(h, app.guid, { command: LONG }, dev.token), 403, 'CF-OrgSuspended', 10017, 'The organization is suspended');
    assert.equal((await createTask(h, app.guid, { command: LONG })).status, 202);
  });

  test('allowed task users come from the configuration', async () => {
    const { app } = await freshApp(h);
    const before = h.config.allowedTaskUsers;
    h.config.allowedTaskUsers = ['batch', 'Ops'];
    try {
      assert.equal((await createTask(h, app.guid, { command: LONG, user: 'ops' })).status, 202);
      cfError(
        await createTask(h, app.guid, { command: LONG, user: 'root' }),
        422,
        ...UNPROCESSABLE,
        "user invalid (requested user 'root' not allowed, permitted users are: 'vcap', 'batch', 'Ops')",
      );
    } finally {
      h.config.allowedTaskUsers = before;
    }
  });

  const expectations: Record<RoleName, number> = {
    admin: 202,
    admin_read_only: 403,
    global_auditor: 403,
    org_manager: 403,
    org_auditor: 404,
    space_developer: 202,
    space_manager: 403,
    space_auditor: 403,
    space_supporter: 403,
    no_role: 404,
  };
  for (const role of ROLES) {
    test(`as ${role} answers ${expectations[role]}`, async () => {
      const m = await matrix();
      const { app } = await appWithCurrentDroplet(h, m.space.guid);
      const res = await createTask(h, app.guid, { command: LONG }, m.tokens[role]);
      assert.equal(res.status, expectations[role], res.text);
      if (res.status === 403) cfError(res, 403, 'CF-NotAuthorized', 10003, 'You are not authorized to perform the requested action');
      if (res.status === 404) cfError(res, 404, 'CF-ResourceNotFound', 10010, 'App not found');
      if (res.status === 202) assert.equal(res.body.command, LONG);
    });
  }
});

describeEachStore(
  'POST /v3/apps/:guid/tasks with no runner alive',
  (h) => {
    test('stores the task FAILED "Unable to request task to be run" and answers 503', async () => {
      const { app } = await freshApp(h);
      const res = await createTask(h, app.guid, { name: 'doomed', command: LONG });
      cfError(res, 503, 'CF-TaskWorkersUnavailable', 170020, 'Task workers are unavailable: no runner is alive');
      const row = await h.db.selectFrom('tasks').selectAll().where('name', '=', 'doomed').executeTakeFirstOrThrow();
      assert.equal(row.state, 'FAILED');
      assert.equal(row.failure_reason, 'Unable to request task to be run');
      assert.equal(row.sequence_id, 1);
      // The failed task keeps its number.
      const again = await createTask(h, app.guid, { name: 'doomed-too', command: LONG });
      assert.equal(again.status, 503);
      const second = await h.db.selectFrom('tasks').select('sequence_id').where('name', '=', 'doomed-too').executeTakeFirstOrThrow();
      assert.equal(second.sequence_id, 2);
    });
  },
  { runnerSlots: 0 },
);
