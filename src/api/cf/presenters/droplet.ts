// CF's droplet object, fields in CF's order. `execution_metadata` and `process_types` are secrets:
// shown to callers who may read the space's secrets (and in responses to writes), replaced by a
// placeholder otherwise, and always in lists — as CF does.
import type { DropletRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

/** How secrets are shown: in full, hidden in a single resource, or hidden in a list. */
export type SecretsView = 'show' | 'hide' | 'list';

export const HIDDEN = '[PRIVATE DATA HIDDEN]';
export const HIDDEN_IN_LISTS = '[PRIVATE DATA HIDDEN IN LISTS]';

export const hiddenMessage = (view: SecretsView): string => (view === 'list' ? HIDDEN_IN_LISTS : HIDDEN);

export function presentDroplet(
  droplet: DropletRow,
  appGuid: string,
  metadata: PresentedMetadata | undefined,
  base: string,
  secrets: SecretsView,
) {
  const app = `${base}/v3/apps/${appGuid}`;
  const self = `${base}/v3/droplets/${droplet.guid}`;
  return {
    guid: droplet.guid,
    created_at: toCfTime(droplet.created_at),
    updated_at: toCfTime(droplet.updated_at),
    state: droplet.state,
    error: droplet.error,
    lifecycle: { type: 'buildpack', data: {} },
    checksum: droplet.checksum_sha256 ? { type: 'sha256', value: droplet.checksum_sha256 } : null,
    ...stagedWith(droplet.staged_with),
    image: null,
    execution_metadata: secrets === 'show' ? droplet.execution_metadata : hiddenMessage(secrets),
    process_types:
      secrets === 'show' ? (JSON.parse(droplet.process_types) as Record<string, string>) : { redacted_message: hiddenMessage(secrets) },
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      app: { href: app },
      assign_current_droplet: { href: `${app}/relationships/current_droplet`, method: 'PATCH' },
      ...(droplet.state === 'AWAITING_UPLOAD' ? { upload: { href: `${self}/upload`, method: 'POST' } } : {}),
    },
  };
}

/** The current-droplet relationship of an app. */
export function presentCurrentDropletRelationship(appGuid: string, dropletGuid: string, base: string) {
  const app = `${base}/v3/apps/${appGuid}`;
  return {
    data: { guid: dropletGuid },
    links: {
      self: { href: `${app}/relationships/current_droplet` },
      related: { href: `${app}/droplets/current` },
    },
  };
}

/**
 * A staged droplet's buildpacks and stack, as CC reports the buildpack that staged it; taskd's
 * only one runs nothing, so it detected nothing and has no version. Uploaded droplets have none.
 */
function stagedWith(json: string | null) {
  if (json === null) return { buildpacks: [], stack: null };
  const { buildpacks, stack } = JSON.parse(json) as { buildpacks: string[]; stack: string | null };
  return {
    buildpacks: buildpacks.map((name) => ({ name, detect_output: null, buildpack_name: null, version: null })),
    stack,
  };
}
