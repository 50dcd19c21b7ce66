// A resource's row with the rows of the app, space and organization it belongs to, read in one
// statement instead of one per table: nearly every request that names an app, a droplet or a task
// needs all of them (to check the caller's roles and the org's state), and on PostgreSQL each
// statement is a round trip that a busy node pays for in CPU on both sides (issue 17's tenants
// check: three of every ten statements were these lookups). Each table's columns are selected under
// a prefix of their own and taken apart again, so every row comes back exactly as `selectAll`
// would give it.
import { sql, type AliasedRawBuilder } from 'kysely';
import type { AppRow, BuildRow, DropletRow, OrganizationRow, PackageRow, SpaceRow } from './schema.js';

/** One table's columns under a prefix; the type checks that the list names every column of the row. */
interface Columns<Row> {
  table: string;
  prefix: string;
  names: readonly (keyof Row & string)[];
}

function columnsOf<Row>() {
  return <const Names extends readonly (keyof Row & string)[]>(
    table: string,
    prefix: string,
    // A column added to the row type and not listed here is a compile error, not a missing field.
    names: Names & ([Exclude<keyof Row, Names[number]>] extends [never] ? unknown : { missing: Exclude<keyof Row, Names[number]> }),
  ): Columns<Row> => ({ table, prefix, names });
}

export const ORGANIZATION_COLUMNS = columnsOf<OrganizationRow>()('organizations', 'org__', [
  'id',
  'guid',
  'name',
  'suspended',
  'status',
  'quota_id',
  'created_at',
  'updated_at',
]);

export const SPACE_COLUMNS = columnsOf<SpaceRow>()('spaces', 'space__', [
  'id',
  'guid',
  'name',
  'organization_id',
  'quota_id',
  'status',
  'created_at',
  'updated_at',
]);

export const APP_COLUMNS = columnsOf<AppRow>()('apps', 'app__', [
  'id',
  'guid',
  'name',
  'space_id',
  'state',
  'lifecycle_type',
  'stack',
  'lifecycle_data',
  'environment_variables',
  'current_droplet_id',
  'next_task_sequence_id',
  'created_at',
  'updated_at',
]);

export const DROPLET_COLUMNS = columnsOf<DropletRow>()('droplets', 'droplet__', [
  'id',
  'guid',
  'app_id',
  'state',
  'error',
  'process_types',
  'execution_metadata',
  'checksum_sha256',
  'created_at',
  'updated_at',
  'stored_bytes',
  'staged_with',
]);

export const PACKAGE_COLUMNS = columnsOf<PackageRow>()('packages', 'package__', [
  'id',
  'guid',
  'app_id',
  'type',
  'state',
  'error',
  'checksum_sha256',
  'stored_bytes',
  'created_at',
  'updated_at',
]);

export const BUILD_COLUMNS = columnsOf<BuildRow>()('builds', 'build__', [
  'id',
  'guid',
  'app_id',
  'package_guid',
  'droplet_guid',
  'state',
  'error',
  'lifecycle_type',
  'lifecycle_data',
  'staging_memory_in_mb',
  'staging_disk_in_mb',
  'created_by_guid',
  'created_by_name',
  'created_by_email',
  'created_at',
  'updated_at',
]);

/** The selections of these tables' columns, each under its table's prefix. */
export function prefixed(...tables: { table: string; prefix: string; names: readonly string[] }[]): AliasedRawBuilder<unknown, string>[] {
  return tables.flatMap((t) => t.names.map((name) => sql.ref(`${t.table}.${name}`).as<string>(`${t.prefix}${name}`)));
}

/** One table's row out of a row selected with `prefixed`. */
export function rowOf<Row>(columns: Columns<Row>, joined: Record<string, unknown>): Row {
  const row: Record<string, unknown> = {};
  for (const name of columns.names) row[name] = joined[`${columns.prefix}${name}`];
  return row as Row;
}
