// A valid request for each route, the starting point of every mutation: path parameters naming
// the world's own resources, and the body each route takes (the CF bodies are not in the
// OpenAPI document, so they are written out here from the CF v3 spec).
import type { World } from './target.js';
import type { Route } from './routes.js';

/** The world's resource a path parameter names, by the collection before it. */
export function validPathValue(route: Route, param: string, world: World): string {
  const segments = route.template.split('/');
  const at = segments.indexOf(`{${param}}`);
  const collection = segments[at - 1];
  switch (collection) {
    case 'organizations':
      return world.orgGuid;
    case 'spaces':
      return world.spaceGuid;
    case 'apps':
      return world.appGuid;
    case 'droplets':
      return world.dropletGuid;
    case 'tasks':
      return world.taskGuid;
    case 'users':
      return world.userGuid;
    case 'roles':
      return world.roleGuid;
    case 'feature_flags':
      return 'task_creation';
    case 'accounts':
      return world.orgGuid;
    default:
      return param === 'task_id' || param === 'task' ? world.taskGuid : '4f2f5d3e-3b0a-4c55-9d8b-0e6a3c9d1f00';
  }
}

const metadata = { metadata: { labels: { env: 'prod', tier: 'fuzz' }, annotations: { note: 'fuzzed' } } };

/** The JSON body a route takes, or undefined when it takes none. */
export function validBody(route: Route, world: World, unique: string): unknown {
  const key = `${route.method} ${route.template}`;
  switch (key) {
    case 'POST /v3/users':
      return { username: `fuzz-${unique}`, password: `pw-${unique}-long`, scopes: [] };
    case 'POST /v3/organizations':
      return { name: `fuzz-org-${unique}`, ...metadata };
    case 'PATCH /v3/organizations/{guid}':
      return metadata;
    case 'POST /v3/spaces':
      return { name: `fuzz-space-${unique}`, relationships: { organization: { data: { guid: world.orgGuid } } } };
    case 'PATCH /v3/spaces/{guid}':
      return metadata;
    case 'POST /v3/roles':
      return {
        type: 'space_auditor',
        relationships: { user: { data: { guid: world.userGuid } }, space: { data: { guid: world.spaceGuid } } },
      };
    case 'POST /v3/apps':
      return {
        name: `fuzz-app-${unique}`,
        relationships: { space: { data: { guid: world.spaceGuid } } },
        environment_variables: { A: '1' },
      };
    case 'PATCH /v3/apps/{guid}':
      return metadata;
    case 'PATCH /v3/apps/{guid}/environment_variables':
      return { var: { FUZZ: 'yes' } };
    case 'POST /v3/droplets':
      return { relationships: { app: { data: { guid: world.appGuid } } }, process_types: { web: 'true' } };
    case 'PATCH /v3/droplets/{guid}':
      return metadata;
    case 'PATCH /v3/apps/{guid}/relationships/current_droplet':
      return { data: { guid: world.dropletGuid } };
    case 'PATCH /v3/feature_flags/{name}':
      return { enabled: true };
    case 'POST /v3/organization_quotas':
      return { name: `fuzz-oq-${unique}`, apps: { total_memory_in_mb: 10240 } };
    case 'PATCH /v3/organization_quotas/{guid}':
      return { name: `fuzz-oq-${unique}` };
    case 'POST /v3/organization_quotas/{guid}/relationships/organizations':
      return { data: [{ guid: world.orgGuid }] };
    case 'POST /v3/space_quotas':
      return { name: `fuzz-sq-${unique}`, relationships: { organization: { data: { guid: world.orgGuid } } } };
    case 'PATCH /v3/space_quotas/{guid}':
      return { name: `fuzz-sq-${unique}` };
    case 'POST /v3/space_quotas/{guid}/relationships/spaces':
      return { data: [{ guid: world.spaceGuid }] };
    // Harmless commands only: a fuzzed create that is accepted really runs.
    case 'POST /v3/apps/{guid}/tasks':
      return { command: 'true', name: `fuzz-${unique}`, memory_in_mb: 64, ...metadata };
    case 'PATCH /v3/tasks/{guid}':
      return metadata;
    case 'POST /v3/tasks/{guid}/progress':
      return { percent: 50, message: 'half' };
    case 'POST /v3/tasks/{guid}/messages':
      return { text: 'hello' };
    case 'POST /api/cis/tasks':
      return { tasks: [world.taskGuid], services: ['com.vmware.taskd'], status: ['SUCCEEDED'] };
    case 'POST /task/list':
      return { params: { show_hidden: true } };
    case 'POST /task/show':
      return { params: { task_id: world.taskId } };
    case 'POST /task/dismiss':
      return { params: { task_id: world.taskId } };
  }
  return route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
}

/** Query parameters a route reads, with a valid value each (the document lists only some). */
export function validQuery(route: Route, world: World): [string, string][] {
  if (route.api === 'cf' && route.method === 'GET' && !/\{[^}]+\}$/.test(route.template)) {
    return [
      ['page', '1'],
      ['per_page', '10'],
      ['order_by', '-created_at'],
      ['label_selector', 'env=prod'],
    ];
  }
  if (route.api === 'astra' && route.template.endsWith('/tasks'))
    return [
      ['limit', '5'],
      ['count', 'true'],
      ['filter', "state eq 'completed'"],
    ];
  if (route.api === 'vsphere' && route.method === 'GET' && route.template.endsWith('/tasks'))
    return [['filter_spec.tasks', world.taskGuid]];
  return route.queryParams.includes('action') && route.method === 'POST' && route.template.includes('{task}') ? [['action', 'cancel']] : [];
}

/** Query parameter names a route is known to read, hostile values are put in these. */
export function queryNames(route: Route): string[] {
  const cfList = [
    'page',
    'per_page',
    'order_by',
    'label_selector',
    'names',
    'guids',
    'states',
    'app_guids',
    'space_guids',
    'organization_guids',
    'created_ats',
    'created_ats[gt]',
    'updated_ats[lt]',
    'include',
    'fields[space]',
    'sequence_ids',
  ];
  return route.api === 'cf' ? [...cfList, ...route.queryParams] : [...route.queryParams, 'filter', 'limit', 'continue'];
}
