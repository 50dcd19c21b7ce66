// PATCH /v3/tasks/:guid: only labels and annotations change. They live in their own rows, so the
// task's updated_at stays as it was (spec §2).
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { applyMetadataChange } from '../store/metadata.js';
import type { MetadataChange } from '../core/metadata.js';
import type { TaskInApp } from '../fetchers/tasks.js';
import { assertWritable } from './writable.js';

/** What an update may change of a task: its labels and annotations (a null value deletes a key). */
export interface TaskUpdateInput {
  metadata: MetadataChange;
}

export async function updateTaskMetadata(
  db: Kysely<Database>,
  actor: Permissions,
  found: TaskInApp,
  input: TaskUpdateInput,
): Promise<void> {
  const { task, space, org } = found;
  if (!actor.canWriteSpace({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  await db.transaction().execute((trx) => applyMetadataChange(trx, 'task', task.id, input.metadata));
}
