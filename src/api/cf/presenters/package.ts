// CF's package object (bits packages), fields in CF's order.
import type { PackageRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

export function presentPackage(pkg: PackageRow, appGuid: string, metadata: PresentedMetadata | undefined, base: string) {
  const self = `${base}/v3/packages/${pkg.guid}`;
  return {
    guid: pkg.guid,
    created_at: toCfTime(pkg.created_at),
    updated_at: toCfTime(pkg.updated_at),
    type: pkg.type,
    data: {
      error: pkg.error,
      checksum: { type: 'sha256', value: pkg.checksum_sha256 },
    },
    state: pkg.state,
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(metadata),
    links: {
      self: { href: self },
      upload: { href: `${self}/upload`, method: 'POST' },
      download: { href: `${self}/download` },
      app: { href: `${base}/v3/apps/${appGuid}` },
    },
  };
}
