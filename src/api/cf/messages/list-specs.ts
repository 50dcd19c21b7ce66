// Each CF list endpoint's query parameters, in CF's registration order (it appears in the
// unknown-parameter message), and those answered as out of place: CF's grammar, read by
// parseListQuery (list-query.ts) before a fetcher sees the neutral query.
import type { ListSpec } from './list-query.js';

// GET /v3/users
export const userListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'usernames', 'origins', 'label_selector'],
};

// GET /v3/organizations
export const organizationListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'label_selector'],
  orderable: ['created_at', 'updated_at', 'name'],
};

// GET /v3/spaces
export const spaceListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'organization_guids', 'label_selector'],
  orderable: ['created_at', 'updated_at', 'name'],
};

// GET /v3/roles
export const roleListSpec: ListSpec = {
  allowed: [
    'page',
    'per_page',
    'order_by',
    'created_ats',
    'updated_ats',
    'guids',
    'organization_guids',
    'space_guids',
    'user_guids',
    'types',
    'include',
  ],
  orderable: ['created_at', 'updated_at'],
};

// GET /v3/apps
export const appListSpec: ListSpec = {
  allowed: [
    'page',
    'per_page',
    'order_by',
    'created_ats',
    'updated_ats',
    'guids',
    'names',
    'space_guids',
    'organization_guids',
    'stacks',
    'lifecycle_type',
    'label_selector',
  ],
  orderable: ['created_at', 'updated_at', 'name', 'state'],
};

// GET /v3/droplets and /v3/apps/:guid/droplets
const DROPLETS_ALLOWED = [
  'page',
  'per_page',
  'order_by',
  'created_ats',
  'updated_ats',
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
export const appDropletListSpec: ListSpec = { allowed: DROPLETS_ALLOWED, misplaced: ['app_guids', 'organization_guids', 'space_guids'] };

// GET /v3/processes and /v3/apps/:guid/processes
const PROCESSES_ALLOWED = [
  'page',
  'per_page',
  'order_by',
  'created_ats',
  'updated_ats',
  'guids',
  'types',
  'app_guids',
  'space_guids',
  'organization_guids',
  'label_selector',
] as const;
export const processListSpec: ListSpec = { allowed: PROCESSES_ALLOWED };
export const appProcessListSpec: ListSpec = { allowed: PROCESSES_ALLOWED, misplaced: ['app_guids', 'organization_guids', 'space_guids'] };

// GET /v3/feature_flags
export const featureFlagListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'updated_ats'],
  orderable: ['name'],
};

// GET /v3/organization_quotas and /v3/space_quotas
export const organizationQuotaListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'organization_guids'],
  orderable: ['created_at', 'updated_at', 'name'],
};
export const spaceQuotaListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids', 'names', 'organization_guids', 'space_guids'],
  orderable: ['created_at', 'updated_at', 'name'],
};

// GET /v3/audit_events
export const auditEventListSpec: ListSpec = {
  allowed: ['page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'types', 'target_guids', 'space_guids', 'organization_guids'],
};

// GET /v3/tasks/:guid/messages (taskd extension)
export const taskMessageListSpec: ListSpec = { allowed: ['page', 'per_page'] };
