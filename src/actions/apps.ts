// App changes: admins and the space's developers create, rename, relabel and delete apps and set
// their environment variables.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { ApiError, notAuthorized, unprocessable } from '../core/errors.js';
import { newGuid } from '../core/ids.js';
import { nowIso } from '../core/time.js';
import type { AppRow, Database } from '../store/schema.js';
import { applyMetadataChange } from '../store/metadata.js';
import { isUniqueViolation } from '../store/errors.js';
import { DEFAULT_STACK, KNOWN_STACKS, type LifecycleType } from '../core/lifecycles.js';
import type { MetadataChange } from '../core/metadata.js';
import type { AppInSpace } from '../fetchers/apps.js';
import { deleteAppsWhere, removeBitsOf } from './apps-cleanup.js';
import type { DropletFiles } from '../droplets/storage.js';
import { assertWritable } from './writable.js';
import { PRIVATE_DATA_HIDDEN, recordAuditEvent } from './audit-events.js';

/** The lifecycle a request asks for; buildpacks and stack only when it named them. */
export interface LifecycleChoice {
  type: LifecycleType;
  buildpacks?: string[];
  /** null asks for the default stack. */
  stack?: string | null;
}

export interface AppInput {
  name: string;
  spaceGuid: string;
  lifecycle?: LifecycleChoice;
  environmentVariables: Record<string, string>;
  metadata: MetadataChange;
}

export interface AppChange {
  name?: string;
  lifecycle?: LifecycleChoice;
  metadata: MetadataChange;
}

/** New values by key; null deletes the key. */
export type EnvironmentVariablesChange = Record<string, string | null>;

/** What an app may hold. */
export interface AppLimits {
  /** Longest the app's environment variables may be, in characters as JSON (TASKD_MAX_APP_ENV_CHARS). */
  maxEnvChars: number;
}

/** Characters, as Ruby counts a string's length (a surrogate pair is one). */
function charactersOf(s: string): number {
  return s.length - (s.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/**
 * The environment as it will be stored, if it is short enough. Cloud Controller bounds a task's
 * variables this way (4096 characters as JSON) and an app's only by its database column; taskd
 * bounds the app's, which every task of the app runs with, in the app model's words.
 */
function storableEnvironment(variables: Record<string, string>, limits: AppLimits): string {
  const json = JSON.stringify(variables);
  if (charactersOf(json) > limits.maxEnvChars) {
    throw unprocessable(`environment_variables exceeded the maximum length allowed of ${limits.maxEnvChars} characters as json`);
  }
  return json;
}

const INVALID_SPACE = 'Invalid space. Ensure that the space exists and you have access to it.';
const duplicateName = (name: string) => `App with the name '${name}' already exists.`;

interface StoredLifecycle {
  lifecycle_type: string;
  stack: string | null;
  lifecycle_data: string;
}

/** The stored form of a requested lifecycle, starting from the current one (if any) for PATCH. */
function resolveLifecycle(request: LifecycleChoice | undefined, current?: AppRow): StoredLifecycle {
  const type = request?.type ?? current?.lifecycle_type ?? 'buildpack';
  if (type === 'docker') return { lifecycle_type: 'docker', stack: null, lifecycle_data: '{}' };
  const before =
    current?.lifecycle_type === 'buildpack' ? (JSON.parse(current.lifecycle_data) as { buildpacks?: string[]; stack?: string | null }) : {};
  const buildpacks = request?.buildpacks ?? before.buildpacks ?? [];
  const stack = request?.stack !== undefined ? (request.stack ?? DEFAULT_STACK) : (before.stack ?? DEFAULT_STACK);
  if (!KNOWN_STACKS.includes(stack)) throw unprocessable('Stack must be an existing stack');
  return { lifecycle_type: 'buildpack', stack, lifecycle_data: JSON.stringify({ buildpacks, stack }) };
}

export async function createApp(db: Kysely<Database>, actor: Permissions, input: AppInput, limits: AppLimits): Promise<AppInSpace> {
  const space = await db.selectFrom('spaces').selectAll().where('guid', '=', input.spaceGuid).executeTakeFirst();
  const org = space && (await db.selectFrom('organizations').selectAll().where('id', '=', space.organization_id).executeTakeFirstOrThrow());
  if (!space || !org || !actor.canReadSpace({ spaceId: space.id, organizationId: org.id })) throw unprocessable(INVALID_SPACE);
  if (!actor.canWriteSpace({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  const lifecycle = resolveLifecycle(input.lifecycle);
  const environment = storableEnvironment(input.environmentVariables, limits);
  const now = nowIso();
  try {
    const app = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('apps')
        .values({
          guid: newGuid(),
          name: input.name,
          space_id: space.id,
          state: 'STOPPED',
          ...lifecycle,
          environment_variables: environment,
          current_droplet_id: null,
          next_task_sequence_id: 1,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await applyMetadataChange(trx, 'app', row.id, input.metadata);
      return row;
    });
    return { app, space, org };
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError('UniquenessError', duplicateName(input.name));
    throw err;
  }
}

function assertAppWritable(actor: Permissions, { space, org }: AppInSpace): void {
  if (!actor.canWriteSpace({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
}

export async function updateApp(db: Kysely<Database>, actor: Permissions, found: AppInSpace, change: AppChange): Promise<AppRow> {
  assertAppWritable(actor, found);
  const { app } = found;
  if (change.lifecycle && change.lifecycle.type !== app.lifecycle_type) throw unprocessable('Lifecycle type cannot be changed');
  const changes: Partial<AppRow> = {};
  if (change.name !== undefined) changes.name = change.name;
  if (change.lifecycle) Object.assign(changes, resolveLifecycle(change.lifecycle, app));
  try {
    return await db.transaction().execute(async (trx) => {
      let updated = app;
      if (Object.keys(changes).length) {
        updated = await trx
          .updateTable('apps')
          .set({ ...changes, updated_at: nowIso() })
          .where('id', '=', app.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      await applyMetadataChange(trx, 'app', app.id, change.metadata);
      return updated;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw unprocessable(duplicateName(change.name!));
    throw err;
  }
}

/**
 * Deletes the app with its droplets, processes and tasks; the droplets' bits are removed after
 * commit. Answers the guids of the tasks that were still unfinished, for their runners to stop.
 */
export async function deleteApp(db: Kysely<Database>, actor: Permissions, found: AppInSpace, files: DropletFiles): Promise<string[]> {
  assertAppWritable(actor, found);
  const deleted = await db.transaction().execute((trx) => deleteAppsWhere(trx, (qb) => qb.where('id', '=', found.app.id)));
  await removeBitsOf(deleted, files);
  return deleted.activeTaskGuids;
}

/**
 * Merges variables into the app's: null deletes a key, others set it. Returns the result. Recorded
 * as CF does, `audit.app.update` with the values hidden.
 */
export async function updateEnvironmentVariables(
  db: Kysely<Database>,
  actor: Permissions,
  found: AppInSpace,
  change: EnvironmentVariablesChange,
  limits: AppLimits,
): Promise<Record<string, string>> {
  assertAppWritable(actor, found);
  return db.transaction().execute(async (trx) => {
    // Touching the row first locks it (on PostgreSQL) and returns its latest variables, so two
    // concurrent merges cannot drop each other's keys.
    const now = nowIso();
    const current = await trx
      .updateTable('apps')
      .set({ updated_at: now })
      .where('id', '=', found.app.id)
      .returning('environment_variables')
      .executeTakeFirstOrThrow();
    const merged: Record<string, string> = JSON.parse(current.environment_variables);
    for (const [key, value] of Object.entries(change)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    await trx
      .updateTable('apps')
      .set({ environment_variables: storableEnvironment(merged, limits) })
      .where('id', '=', found.app.id)
      .execute();
    await recordAuditEvent(trx, {
      type: 'audit.app.update',
      actor,
      target: { guid: found.app.guid, type: 'app', name: found.app.name },
      space: found.space,
      org: found.org,
      data: { request: { environment_variables: PRIVATE_DATA_HIDDEN } },
    });
    return merged;
  });
}

/** Why taskd refuses to start an app: it runs one-off tasks, never long-running instances. */
export const NO_LONG_RUNNING =
  'taskd runs tasks only, never long-running instances: an app is not started. Push it with --task (cf push APP --task) and run its tasks with cf run-task.';

/**
 * Stopping an app (`cf push --task` stops the app it pushed). Starting or restarting one is
 * refused in CF's 422 with the reason: taskd would have nothing to run, and a client that
 * started an app would wait for instances that never come.
 */
export async function setAppState(
  db: Kysely<Database>,
  actor: Permissions,
  found: AppInSpace,
  state: 'STARTED' | 'STOPPED',
): Promise<AppRow> {
  if (!actor.canManageApps({ spaceId: found.space.id, organizationId: found.org.id })) throw notAuthorized();
  assertWritable(actor, found.org, found.space);
  if (state === 'STARTED') throw unprocessable(NO_LONG_RUNNING);
  return db
    .updateTable('apps')
    .set({ state, updated_at: nowIso() })
    .where('id', '=', found.app.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
