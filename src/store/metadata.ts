// Labels and annotations of any resource, kept in one table keyed by resource kind and id.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { ApiError } from '../core/errors.js';
import { MAX_ANNOTATIONS, MAX_LABELS, type MetadataChange, type MetadataEntry } from '../core/metadata.js';
import { renderKey } from '../core/labels.js';

export interface PresentedMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Metadata of many resources of one kind in one query. */
export async function loadMetadata(db: Db, resourceKind: string, ids: number[]): Promise<Map<number, PresentedMetadata>> {
  const out = new Map<number, PresentedMetadata>(ids.map((id) => [id, { labels: {}, annotations: {} }]));
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('metadata')
    .select(['resource_id', 'metadata_kind', 'key_prefix', 'key_name', 'value'])
    .where('resource_kind', '=', resourceKind)
    .where('resource_id', 'in', ids)
    // By resource first: it matches metadata_resource_key, which SQLite might otherwise pass over
    // for the covering label-selector index and scan every label of the kind.
    .orderBy('resource_id')
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const target = out.get(row.resource_id)!;
    const bag = row.metadata_kind === 'label' ? target.labels : target.annotations;
    bag[renderKey({ prefix: row.key_prefix, name: row.key_name })] = row.value;
  }
  return out;
}

/**
 * Applies a create/PATCH metadata change inside the caller's transaction: null values delete,
 * others upsert. The label and annotation limits are checked against the result (spec §4 item 6).
 */
export async function applyMetadataChange(
  trx: Transaction<Database>,
  resourceKind: string,
  resourceId: number,
  change: MetadataChange,
): Promise<void> {
  await applyEntries(trx, resourceKind, resourceId, 'label', change.labels);
  await applyEntries(trx, resourceKind, resourceId, 'annotation', change.annotations);
  if (change.labels.length) {
    const count = await countOf(trx, resourceKind, resourceId, 'label');
    if (count > MAX_LABELS) throw new ApiError('LabelLimitExceeded', change.labels.length, MAX_LABELS);
  }
  if (change.annotations.length) {
    const count = await countOf(trx, resourceKind, resourceId, 'annotation');
    if (count > MAX_ANNOTATIONS) throw new ApiError('AnnotationLimitExceeded', change.annotations.length, MAX_ANNOTATIONS);
  }
}

async function applyEntries(
  trx: Transaction<Database>,
  resourceKind: string,
  resourceId: number,
  metadataKind: string,
  entries: MetadataEntry[],
) {
  for (const { key, value } of entries) {
    const where = {
      resource_kind: resourceKind,
      resource_id: resourceId,
      metadata_kind: metadataKind,
      key_prefix: key.prefix,
      key_name: key.name,
    };
    if (value === null) {
      await trx
        .deleteFrom('metadata')
        .where((eb) => eb.and(where))
        .execute();
    } else {
      await trx
        .insertInto('metadata')
        .values({ ...where, value })
        .onConflict((oc) => oc.columns(['resource_kind', 'resource_id', 'metadata_kind', 'key_prefix', 'key_name']).doUpdateSet({ value }))
        .execute();
    }
  }
}

async function countOf(trx: Transaction<Database>, resourceKind: string, resourceId: number, metadataKind: string): Promise<number> {
  const row = await trx
    .selectFrom('metadata')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('resource_kind', '=', resourceKind)
    .where('resource_id', '=', resourceId)
    .where('metadata_kind', '=', metadataKind)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Removes all metadata of resources being deleted. */
export async function deleteMetadata(trx: Db, resourceKind: string, ids: number[]): Promise<void> {
  if (ids.length) await trx.deleteFrom('metadata').where('resource_kind', '=', resourceKind).where('resource_id', 'in', ids).execute();
}
