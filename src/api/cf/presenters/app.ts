import type { AppRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

export function presentApp(
  app: AppRow,
  spaceGuid: string,
  currentDropletGuid: string | null,
  metadata: PresentedMetadata | undefined,
  base: string,
) {
  const self = `${base}/v3/apps/${app.guid}`;
  return {
    guid: app.guid,
    created_at: toCfTime(app.created_at),
    updated_at: toCfTime(app.updated_at),
    name: app.name,
    state: app.state,
    lifecycle: { type: app.lifecycle_type, data: JSON.parse(app.lifecycle_data) as Record<string, unknown> },
    relationships: {
      space: { data: { guid: spaceGuid } },
      current_droplet: { data: currentDropletGuid ? { guid: currentDropletGuid } : null },
    },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      environment_variables: { href: `${self}/environment_variables` },
      space: { href: `${base}/v3/spaces/${spaceGuid}` },
      processes: { href: `${self}/processes` },
      packages: { href: `${self}/packages` },
      current_droplet: { href: `${self}/droplets/current` },
      droplets: { href: `${self}/droplets` },
      tasks: { href: `${self}/tasks` },
      start: { href: `${self}/actions/start`, method: 'POST' },
      stop: { href: `${self}/actions/stop`, method: 'POST' },
      revisions: { href: `${self}/revisions` },
      deployed_revisions: { href: `${self}/revisions/deployed` },
      features: { href: `${self}/features` },
    },
  };
}

export function presentEnvironmentVariables(appGuid: string, variables: Record<string, string>, base: string) {
  const app = `${base}/v3/apps/${appGuid}`;
  return { var: variables, links: { self: { href: `${app}/environment_variables` }, app: { href: app } } };
}
