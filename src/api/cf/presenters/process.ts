// CF's process object, fields in CF's order. `command` is a secret: in full for callers who may
// read the space's secrets, a placeholder otherwise, and always a placeholder in lists (as CF).
import type { ProcessRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';
import { hiddenMessage, type SecretsView } from './droplet.js';

export interface ProcessRefs {
  appGuid: string;
  spaceGuid: string;
  /** The command the process runs (its own or detected from the current droplet). */
  command: string | null;
}

export function presentProcess(
  process: ProcessRow,
  refs: ProcessRefs,
  metadata: PresentedMetadata | undefined,
  base: string,
  secrets: SecretsView,
) {
  const self = `${base}/v3/processes/${process.guid}`;
  return {
    guid: process.guid,
    created_at: toCfTime(process.created_at),
    updated_at: toCfTime(process.updated_at),
    type: process.type,
    command: secrets === 'show' ? refs.command : hiddenMessage(secrets),
    // Processes come from buildpack droplets, which run as vcap unless a user was set.
    user: process.user ?? 'vcap',
    instances: process.instances,
    memory_in_mb: process.memory_in_mb,
    disk_in_mb: process.disk_in_mb,
    log_rate_limit_in_bytes_per_second: process.log_rate_limit,
    health_check: {
      // CF's defaults: web processes are checked on their port, others as processes.
      type: process.type === 'web' ? 'port' : 'process',
      data: { timeout: null, invocation_timeout: null, interval: null },
    },
    readiness_health_check: { type: 'process', data: { invocation_timeout: null, interval: null } },
    relationships: { app: { data: { guid: refs.appGuid } }, revision: null },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      scale: { href: `${self}/actions/scale`, method: 'POST' },
      app: { href: `${base}/v3/apps/${refs.appGuid}` },
      space: { href: `${base}/v3/spaces/${refs.spaceGuid}` },
      stats: { href: `${self}/stats` },
    },
  };
}
