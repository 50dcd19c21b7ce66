// Each CF list endpoint's query parameters, in CF's registration order (it appears in the
// unknown-parameter message), and those answered as out of place: CF's grammar, read by
// parseListQuery (list-query.ts) before a fetcher sees the neutral query.
import type { ListSpec } from './list-query.js';

/** Paging, ordering and the timestamp filters: every list's first parameters, in CF's order. */
export const PAGED = ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats'] as const;
/** Filters that are out of place under /v3/apps/:guid/…: the app is given. */
export const NESTED_UNDER_APP = ['app_guids', 'organization_guids', 'space_guids'];

// GET /v3/users
export const userListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'usernames', 'origins', 'label_selector'],
};

// GET /v3/organizations
export const organizationListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'names', 'label_selector'],
  orderable: ['created_at', 'updated_at', 'name'],
};

// GET /v3/spaces
export const spaceListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'names', 'organization_guids', 'include', 'label_selector'],
  orderable: ['created_at', 'updated_at', 'name'],
};
/** A space's `include` (list and show): its organization, by either name. */
export const SPACE_INCLUDES = ['org', 'organization'] as const;

// GET /v3/roles
export const roleListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'organization_guids', 'space_guids', 'user_guids', 'types', 'include'],
  orderable: ['created_at', 'updated_at'],
};

// GET /v3/apps
export const appListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'names', 'space_guids', 'organization_guids', 'stacks', 'include', 'lifecycle_type', 'label_selector'],
  orderable: ['created_at', 'updated_at', 'name', 'state'],
};
/** An app's `include` (list and show). */
export const APP_INCLUDES = ['space', 'org', 'space.organization'] as const;

// GET /v3/droplets and /v3/apps/:guid/droplets
const DROPLETS_ALLOWED = [
  ...PAGED,
  'guids',
  'states',
  'app_guids',
  'space_guids',
  'organization_guids',
  'current',
  'label_selector',
] as const;
/** GET /v3/droplets: `current` only means something under an app. */
export const dropletListSpec: ListSpec = { allowed: DROPLETS_ALLOWED, misplaced: ['current'] };
/** GET /v3/apps/:guid/droplets: the app is given, so app/space/org filters are out of place. */
export const appDropletListSpec: ListSpec = { allowed: DROPLETS_ALLOWED, misplaced: NESTED_UNDER_APP };

// GET /v3/processes and /v3/apps/:guid/processes
const PROCESSES_ALLOWED = [
  ...PAGED,
  'guids',
  'types',
  'app_guids',
  'space_guids',
  'organization_guids',
  'embed',
  'label_selector',
] as const;
/** A process's `embed` (list and show): its instances. */
export const PROCESS_EMBEDS = ['process_instances'] as const;
export const processListSpec: ListSpec = { allowed: PROCESSES_ALLOWED };
export const appProcessListSpec: ListSpec = { allowed: PROCESSES_ALLOWED, misplaced: NESTED_UNDER_APP };

// GET /v3/feature_flags
export const featureFlagListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'updated_ats'],
  orderable: ['name'],
};

// GET /v3/organization_quotas and /v3/space_quotas
export const organizationQuotaListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'names', 'organization_guids'],
  orderable: ['created_at', 'updated_at', 'name'],
};
export const spaceQuotaListSpec: ListSpec = {
  allowed: [...PAGED, 'guids', 'names', 'organization_guids', 'space_guids'],
  orderable: ['created_at', 'updated_at', 'name'],
};

// GET /v3/audit_events
export const auditEventListSpec: ListSpec = {
  allowed: [...PAGED, 'types', 'target_guids', 'space_guids', 'organization_guids'],
};

// GET /v3/tasks/:guid/messages (taskd extension)
export const taskMessageListSpec: ListSpec = { allowed: ['page', 'per_page'] };

// GET /v3/routes and /v3/apps/:guid/routes (CC's RoutesListMessage: the app's list takes the same
// parameters, its app_guids set to the app)
export const ROUTE_INCLUDES = ['domain', 'space', 'space.organization', 'route_policies'] as const;
export const routeListSpec: ListSpec = {
  allowed: [
    ...PAGED,
    'hosts',
    'space_guids',
    'organization_guids',
    'domain_guids',
    'paths',
    'app_guids',
    'include',
    'label_selector',
    'ports',
    'service_instance_guids',
  ],
};

// GET /v3/processes/:guid/sidecars: ListMessage's own parameters, nothing more.
export const sidecarListSpec: ListSpec = { allowed: [...PAGED, 'guids'] };

// GET /v3/packages and /v3/apps/:guid/packages
const PACKAGES_ALLOWED = [
  ...PAGED,
  'guids',
  'states',
  'types',
  'app_guids',
  'space_guids',
  'organization_guids',
  'label_selector',
] as const;
export const packageListSpec: ListSpec = { allowed: PACKAGES_ALLOWED };
export const appPackageListSpec: ListSpec = { allowed: PACKAGES_ALLOWED, misplaced: NESTED_UNDER_APP };

// GET /v3/builds and /v3/apps/:guid/builds
const BUILDS_ALLOWED = [...PAGED, 'states', 'app_guids', 'package_guids', 'label_selector'] as const;
export const buildListSpec: ListSpec = { allowed: BUILDS_ALLOWED };
export const appBuildListSpec: ListSpec = { allowed: BUILDS_ALLOWED, misplaced: ['app_guids'] };
