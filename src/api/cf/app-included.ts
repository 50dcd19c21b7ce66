// The spaces and organizations that `include=` adds to a page of apps, as Cloud Controller's
// IncludeSpaceDecorator and IncludeOrganizationDecorator add them:
// each once, oldest first, presented as their own endpoints present them.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { organizationsByIds } from '../../fetchers/organizations.js';
import { spacesByIds } from '../../fetchers/spaces.js';
import { presentOrganizations } from './routes/organizations.js';
import { presentSpaces } from './routes/spaces.js';

export interface IncludedLists {
  spaces?: unknown[];
  organizations?: unknown[];
}

/** The lists asked for, of the spaces with these ids and their organizations. */
export async function includedSpacesAndOrgs(
  db: Kysely<Database>,
  base: string,
  spaceIds: readonly number[],
  wanted: { spaces: boolean; organizations: boolean },
): Promise<IncludedLists | undefined> {
  if (!wanted.spaces && !wanted.organizations) return undefined;
  const spaces = await spacesByIds(db, spaceIds);
  const included: IncludedLists = {};
  if (wanted.spaces) included.spaces = await presentSpaces(db, base, spaces);
  if (wanted.organizations)
    included.organizations = await presentOrganizations(
      db,
      base,
      await organizationsByIds(
        db,
        spaces.map((s) => s.organization_id),
      ),
    );
  return included;
}
