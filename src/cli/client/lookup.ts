// Finding resources by the names a user types: orgs, spaces and apps by name, tasks by sequence
// id or guid, and the targeted org and space.
import { listValue, query, type CfClient } from './api-client.js';
import type { NamedRef } from './config-store.js';
import { CliError, UsageError } from './errors.js';
import type { App, Named, Task } from './resources.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Target {
  org: NamedRef;
  space: NamedRef;
}

export function requireTargetOrg(client: CfClient): NamedRef {
  const { org } = client.current;
  if (!org) throw new CliError('no org targeted; run `taskd target -o ORG`');
  return org;
}

export function requireTarget(client: CfClient): Target {
  const org = requireTargetOrg(client);
  const { space } = client.current;
  if (!space) throw new CliError('no space targeted; run `taskd target -s SPACE`');
  return { org, space };
}

export async function findOrg(client: CfClient, name: string): Promise<Named> {
  const [org] = await client.all<Named>(`/v3/organizations${query({ names: listValue(name) })}`);
  if (!org) throw new CliError(`Organization '${name}' not found`);
  return org;
}

export async function findSpace(client: CfClient, org: NamedRef, name: string): Promise<Named> {
  const [space] = await client.all<Named>(`/v3/spaces${query({ names: listValue(name), organization_guids: org.guid })}`);
  if (!space) throw new CliError(`Space '${name}' not found in org '${org.name}'`);
  return space;
}

export async function findApp(client: CfClient, space: NamedRef, name: string): Promise<App | undefined> {
  const [app] = await client.all<App>(`/v3/apps${query({ names: listValue(name), space_guids: space.guid })}`);
  return app;
}

export async function requireApp(client: CfClient, space: NamedRef, name: string): Promise<App> {
  const app = await findApp(client, space, name);
  if (!app) throw new CliError(`App '${name}' not found in space '${space.name}'`);
  return app;
}

/** A task of the app, by sequence id (as `taskd tasks` shows it), guid, or name. */
export async function findTask(client: CfClient, app: App, ref: string): Promise<Task> {
  if (GUID.test(ref)) {
    const task = await client.get<Task & { relationships: { app: { data: { guid: string } } } }>(`/v3/tasks/${ref}`);
    if (task.relationships.app.data.guid !== app.guid) throw new CliError(`Task '${ref}' is not a task of app '${app.name}'`);
    return task;
  }
  const filter = /^\d+$/.test(ref) ? { sequence_ids: ref } : { names: listValue(ref) };
  const { resources } = await client.get<{ resources: Task[] }>(`/v3/apps/${app.guid}/tasks${query({ ...filter, per_page: 2 })}`);
  if (!resources[0]) throw new CliError(`Task '${ref}' of app '${app.name}' not found`);
  if (resources.length > 1) throw new UsageError(`app '${app.name}' has several tasks named '${ref}'; name one by its id`);
  return resources[0];
}
