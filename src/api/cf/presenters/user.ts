import type { UserRow } from '../../../store/schema.js';
import type { PresentedMetadata } from '../../../store/metadata.js';
import { toCfTime } from '../../../core/time.js';
import { presentMetadata } from './metadata.js';

export function presentUser(user: UserRow, metadata: PresentedMetadata | undefined, base: string) {
  return {
    guid: user.guid,
    created_at: toCfTime(user.created_at),
    updated_at: toCfTime(user.updated_at),
    username: user.username,
    presentation_name: user.username ?? user.guid,
    origin: user.origin,
    metadata: presentMetadata(metadata),
    links: { self: { href: `${base}/v3/users/${user.guid}` } },
  };
}
