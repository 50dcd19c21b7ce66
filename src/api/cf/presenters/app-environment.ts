// GET /v3/apps/:guid/env in CF's shape (AppEnvPresenter): the app's own variables, the staging and
// running variable groups (taskd has none), the system variables (VCAP_SERVICES: taskd binds no
// services), hidden from those who may not read secrets, and VCAP_APPLICATION as CF's VarsBuilder
// makes it for an app (not a process): no memory, disk or version, only the file descriptor limit.
import type { AppRow, OrganizationRow, SpaceRow } from '../../../store/schema.js';
import { FILE_DESCRIPTOR_LIMIT } from '../../../core/instance-limits.js';
import { HIDDEN } from './droplet.js';

export interface AppWithOwners {
  app: Pick<AppRow, 'guid' | 'name' | 'environment_variables'>;
  space: Pick<SpaceRow, 'guid' | 'name'>;
  org: Pick<OrganizationRow, 'guid' | 'name'>;
}

export function presentAppEnvironment({ app, space, org }: AppWithOwners, base: string, secrets: 'show' | 'hide') {
  return {
    environment_variables: JSON.parse(app.environment_variables) as Record<string, string>,
    staging_env_json: {},
    running_env_json: {},
    system_env_json: secrets === 'show' ? { VCAP_SERVICES: {} } : { redacted_message: HIDDEN },
    application_env_json: {
      VCAP_APPLICATION: {
        cf_api: base,
        limits: { fds: FILE_DESCRIPTOR_LIMIT },
        application_name: app.name,
        // taskd routes no traffic to apps.
        application_uris: [],
        name: app.name,
        space_name: space.name,
        space_id: space.guid,
        organization_id: org.guid,
        organization_name: org.name,
        uris: [],
        users: null,
        application_id: app.guid,
      },
    },
  };
}
