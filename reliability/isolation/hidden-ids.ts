// A task (or app) the caller may not read, whether another tenant's or in a space of their own
// tenant they have no role in, must answer exactly as an id that exists nowhere: same status,
// same content type, same body but for the id, on every single-task endpoint of every API,
// reads and writes alike. Only tenant-bound callers are asked: global readers see everything.
import fc from 'fast-check';
import type { Response } from '../../test/support/harness.js';
import { assertSameAnswer, type Api, type Sent } from './client.js';
import { tenantRoleArb, type PropertyContext } from './context.js';
import { visibleTo, type Caller, type WorldTask } from './world.js';

/** A task id as each API names it: the guid, the integer id (Dbvisit), and where it lives. */
interface Target {
  guid: string;
  id: number;
  appGuid: string;
  orgGuid: string;
  /** The web process of the task's app. */
  processGuid: string;
  /** The current droplet of the task's app. */
  dropletGuid: string;
}

interface Probe {
  api: Api;
  endpoint: string;
  request(t: Target, caller: Caller): Sent;
  /** The ids to mask when comparing the answers. */
  ids(t: Target): (string | number)[];
}

const guid = (t: Target) => [t.guid];
const cf = (endpoint: string, method: string, url: (t: Target) => string, body?: unknown, ids = guid): Probe => ({
  api: 'cf',
  endpoint,
  request: (t) => ({ method, url: url(t), body }),
  ids,
});

const PROBES: Probe[] = [
  cf('GET /v3/tasks/:guid', 'GET', (t) => `/v3/tasks/${t.guid}`),
  cf('POST /v3/tasks/:guid/actions/cancel', 'POST', (t) => `/v3/tasks/${t.guid}/actions/cancel`),
  cf('PUT /v3/tasks/:guid/cancel', 'PUT', (t) => `/v3/tasks/${t.guid}/cancel`),
  cf('POST /v3/tasks/:guid/actions/pause', 'POST', (t) => `/v3/tasks/${t.guid}/actions/pause`),
  cf('POST /v3/tasks/:guid/actions/resume', 'POST', (t) => `/v3/tasks/${t.guid}/actions/resume`),
  cf('PATCH /v3/tasks/:guid', 'PATCH', (t) => `/v3/tasks/${t.guid}`, { metadata: { labels: { probe: 'x' } } }),
  cf('GET /v3/tasks/:guid/log', 'GET', (t) => `/v3/tasks/${t.guid}/log?after_seq=0`),
  cf('GET /v3/tasks/:guid/messages', 'GET', (t) => `/v3/tasks/${t.guid}/messages?per_page=5`),
  cf('POST /v3/tasks/:guid/messages', 'POST', (t) => `/v3/tasks/${t.guid}/messages`, { text: 'probe' }),
  cf('POST /v3/tasks/:guid/progress', 'POST', (t) => `/v3/tasks/${t.guid}/progress`, { percent: 5 }),
  cf(
    'POST /v3/apps/:guid/tasks',
    'POST',
    (t) => `/v3/apps/${t.appGuid}/tasks`,
    { command: 'true' },
    (t) => [t.appGuid],
  ),
  cf(
    'GET /v3/apps/:guid/tasks',
    'GET',
    (t) => `/v3/apps/${t.appGuid}/tasks`,
    undefined,
    (t) => [t.appGuid],
  ),
  {
    // A task of the caller's own app (when they have one) from a hidden app's process as template,
    // or as the subtask of a hidden task: neither may be told apart from one that does not exist.
    api: 'cf',
    endpoint: 'POST /v3/apps/:guid/tasks (template.process.guid)',
    request: (t, caller) => ({
      method: 'POST',
      url: `/v3/apps/${ownApp(caller) ?? t.appGuid}/tasks`,
      body: { template: { process: { guid: t.processGuid } } },
    }),
    ids: (t) => [t.processGuid, t.appGuid],
  },
  {
    api: 'cf',
    endpoint: 'POST /v3/apps/:guid/tasks (droplet_guid)',
    request: (t, caller) => ({
      method: 'POST',
      url: `/v3/apps/${ownApp(caller) ?? t.appGuid}/tasks`,
      body: { command: 'true', droplet_guid: t.dropletGuid },
    }),
    ids: (t) => [t.dropletGuid, t.appGuid],
  },
  {
    api: 'cf',
    endpoint: 'POST /v3/apps/:guid/tasks (parent_task_guid)',
    request: (t, caller) => ({
      method: 'POST',
      url: `/v3/apps/${ownApp(caller) ?? t.appGuid}/tasks`,
      body: { command: 'true', parent_task_guid: t.guid },
    }),
    ids: (t) => [t.guid, t.appGuid],
  },
  {
    // The caller's own account: the task is simply not there.
    api: 'astra',
    endpoint: 'GET /accounts/:account_id/core/v1/tasks/:task_id',
    request: (t, caller) => ({ method: 'GET', url: `/accounts/${[...caller.orgs][0] ?? t.orgGuid}/core/v1/tasks/${t.guid}` }),
    ids: (t) => [t.orgGuid, t.guid],
  },
  {
    // The task's own account, for a stranger's account and task.
    api: 'astra',
    endpoint: 'GET /accounts/:account_id/core/v1/tasks/:task_id',
    request: (t) => ({ method: 'GET', url: `/accounts/${t.orgGuid}/core/v1/tasks/${t.guid}` }),
    ids: (t) => [t.orgGuid, t.guid],
  },
  ...(['rest', 'api'] as const).flatMap((wire): Probe[] => [
    {
      api: 'vsphere',
      endpoint: `GET /${wire}/cis/tasks/:task`,
      request: (t) => ({ method: 'GET', url: `/${wire}/cis/tasks/${t.guid}` }),
      ids: guid,
    },
    {
      api: 'vsphere',
      endpoint: `POST /${wire}/cis/tasks/:task?action=cancel`,
      request: (t) => ({ method: 'POST', url: `/${wire}/cis/tasks/${t.guid}?action=cancel` }),
      ids: guid,
    },
  ]),
  {
    api: 'dbvisit',
    endpoint: 'POST /task/show',
    request: (t) => ({ method: 'POST', url: '/task/show', body: { params: { task_id: t.id } } }),
    ids: (t) => [t.id],
  },
  {
    api: 'dbvisit',
    endpoint: 'POST /task/dismiss',
    request: (t) => ({ method: 'POST', url: '/task/dismiss', body: { params: { task_id: t.id } } }),
    ids: (t) => [t.id],
  },
];

/** The first app the caller may read, if any. */
const ownApp = (caller: Caller) => caller.firstApp;

export function hiddenIdProperty(ctx: PropertyContext) {
  const appOf = (t: WorldTask) => ctx.world.apps.find((a) => a.guid === t.appGuid)!;
  const targetOf = (t: WorldTask): Target => ({
    guid: t.guid,
    id: t.id,
    appGuid: t.appGuid,
    orgGuid: t.orgGuid,
    processGuid: appOf(t).processGuid,
    dropletGuid: appOf(t).dropletGuid,
  });
  const maxId = Math.max(...ctx.world.tasks.map((t) => t.id));
  const stranger: fc.Arbitrary<Target> = fc.record({
    guid: fc.uuid({ version: 4 }),
    id: fc.integer({ min: maxId + 1, max: 2 ** 31 - 1 }),
    appGuid: fc.uuid({ version: 4 }),
    orgGuid: fc.uuid({ version: 4 }),
    processGuid: fc.uuid({ version: 4 }),
    dropletGuid: fc.uuid({ version: 4 }),
  });
  // Values fast-check prints in a counterexample: role, task guid, endpoint names.
  const hidden = tenantRoleArb.chain((role) => {
    const caller = ctx.caller(role);
    return fc.tuple(fc.constant(role), fc.constantFrom(...ctx.world.tasks.filter((t) => !visibleTo(caller, t)).map((t) => t.guid)));
  });
  // Four endpoints a run: over a quick run's 25, every endpoint is all but sure to be reached.
  const probes = fc.shuffledSubarray(
    PROBES.map((p, i) => `${i}: ${p.endpoint}`),
    { minLength: 4, maxLength: 4 },
  );
  return fc.asyncProperty(hidden, probes, stranger, async ([role, taskGuid], chosen, random) => {
    const caller = ctx.caller(role);
    const target = targetOf(ctx.taskByGuid(taskGuid)!);
    // The hidden task's own account, when the caller belongs to it, is asked for a random task too.
    const other = { ...random, orgGuid: caller.orgs.has(target.orgGuid) ? target.orgGuid : random.orgGuid };
    for (const name of chosen) {
      const probe = PROBES[Number(name.split(':')[0])];
      const hiddenSent = probe.request(target, caller);
      const randomSent = probe.request(other, caller);
      const a: Response = await ctx.client.send(probe.api, caller, probe.endpoint, hiddenSent);
      const b: Response = await ctx.client.send(probe.api, caller, probe.endpoint, randomSent);
      const what = `${hiddenSent.method} ${hiddenSent.url} ${hiddenSent.body ? JSON.stringify(hiddenSent.body) : ''} as ${caller.role}`;
      assertSameAnswer(what, { res: a, id: probe.ids(target) }, { res: b, id: probe.ids(other) });
    }
  });
}
