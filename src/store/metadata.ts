// Labels and annotations of any resource, kept in one table keyed by resource kind and id.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { sql } from 'kysely';
import { ApiError, unprocessable } from '../core/errors.js';
import {
  annotationsTooLarge,
  MAX_ANNOTATION_CHARACTERS,
  MAX_ANNOTATIONS,
  MAX_LABELS,
  type MetadataChange,
  type MetadataEntry,
} from '../core/metadata.js';
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

/** A new resource's metadata: what its create's change set (its removals remove nothing). */
export function metadataOfNew(change: MetadataChange): PresentedMetadata {
  const bag = (entries: MetadataEntry[]) =>
    Object.fromEntries(entries.filter((e) => e.value !== null).map((e) => [renderKey(e.key), e.value as string]));
  return { labels: bag(change.labels), annotations: bag(change.annotations) };
}

/**
 * Applies a create/PATCH metadata change inside the caller's transaction: null values delete,
 * others upsert. The limits are checked against the result as CF does (spec §4 item 6): only a
 * change that grows a resource's labels or annotations beyond a limit is refused, so one already
 * beyond it (a limit lowered since) can still shrink.
 */
export async function applyMetadataChange(
  trx: Transaction<Database>,
  resourceKind: string,
  resourceId: number,
  change: MetadataChange,
): Promise<void> {
  const labelsBefore = change.labels.length ? await sizeOf(trx, resourceKind, resourceId, 'label') : undefined;
  const annotationsBefore = change.annotations.length ? await sizeOf(trx, resourceKind, resourceId, 'annotation') : undefined;
  await applyEntries(trx, resourceKind, resourceId, 'label', change.labels);
  await applyEntries(trx, resourceKind, resourceId, 'annotation', change.annotations);
  if (labelsBefore) {
    const { count } = await sizeOf(trx, resourceKind, resourceId, 'label');
    if (count > labelsBefore.count && count > MAX_LABELS) throw new ApiError('LabelLimitExceeded', change.labels.length, MAX_LABELS);
  }
  if (annotationsBefore) {
    const { count, characters } = await sizeOf(trx, resourceKind, resourceId, 'annotation');
    if (count > annotationsBefore.count && count > MAX_ANNOTATIONS)
      throw new ApiError('AnnotationLimitExceeded', change.annotations.length, MAX_ANNOTATIONS);
    if (characters > annotationsBefore.characters && characters > MAX_ANNOTATION_CHARACTERS)
      throw unprocessable(annotationsTooLarge(change.annotations.length));
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

/** How many entries of a kind a resource has, and their keys' and values' characters together. */
async function sizeOf(
  trx: Transaction<Database>,
  resourceKind: string,
  resourceId: number,
  metadataKind: string,
): Promise<{ count: number; characters: number }> {
  const row = await trx
    .selectFrom('metadata')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      sql<number | string | null>`sum(length(key_prefix) + length(key_name) + length(value))`.as('characters'),
    ])
    .where('resource_kind', '=', resourceKind)
    .where('resource_id', '=', resourceId)
    .where('metadata_kind', '=', metadataKind)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), characters: Number(row.characters ?? 0) };
}

/** Removes all metadata of resources being deleted. */
export async function deleteMetadata(trx: Db, resourceKind: string, ids: number[]): Promise<void> {
  if (ids.length) await trx.deleteFrom('metadata').where('resource_kind', '=', resourceKind).where('resource_id', 'in', ids).execute();
}
