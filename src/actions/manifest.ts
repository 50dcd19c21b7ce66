// Applying a manifest to a space (`cf push`): each app named is found in the space or created,
// then given the manifest's buildpacks and stack, environment variables (merged, as CF does) and
// its web process's memory, disk and command. The web process is the template `cf run-task
// --process web` takes its defaults from. Each step is the same action its own endpoint runs,
// with the same checks; taskd applies the manifest before answering, and the job it answers with
// has already ended.
import type { Kysely } from 'kysely';
import type { Permissions } from '../auth/permissions.js';
import { notAuthorized } from '../core/errors.js';
import { emptyMetadataChange } from '../core/metadata.js';
import { nowIso } from '../core/time.js';
import type { Database } from '../store/schema.js';
import { findAppWhere, type AppInSpace } from '../fetchers/apps.js';
import type { SpaceInOrg } from '../fetchers/spaces.js';
import { createApp, updateApp, updateEnvironmentVariables, type AppLimits } from './apps.js';
import type { ProcessDefaults } from './current-droplet.js';
import { assertWritable } from './writable.js';
import type { AppManifest } from '../core/app-manifest.js';

export async function applyManifest(
  db: Kysely<Database>,
  actor: Permissions,
  { space, org }: SpaceInOrg,
  manifests: AppManifest[],
  limits: AppLimits,
  defaults: ProcessDefaults,
): Promise<void> {
  if (!actor.canWriteSpace({ spaceId: space.id, organizationId: org.id })) throw notAuthorized();
  assertWritable(actor, org, space);
  for (const manifest of manifests) {
    const lifecycle =
      manifest.buildpacks !== undefined || manifest.stack !== undefined
        ? { type: 'buildpack' as const, buildpacks: manifest.buildpacks, stack: manifest.stack }
        : undefined;
    let found = await findAppInSpace(db, space.id, manifest.name);
    if (!found) {
      // Created with its variables in one step: a manifest refused for them leaves no app behind.
      const environmentVariables = manifest.env ?? {};
      found = await createApp(
        db,
        actor,
        { name: manifest.name, spaceGuid: space.guid, lifecycle, environmentVariables, metadata: emptyMetadataChange() },
        limits,
      );
    } else {
      // Variables first: the step most likely refused (their size) changes nothing before it.
      if (manifest.env) await updateEnvironmentVariables(db, actor, found, manifest.env, limits);
      if (lifecycle) found = { ...found, app: await updateApp(db, actor, found, { lifecycle, metadata: emptyMetadataChange() }) };
    }
    await scaleWebProcess(db, found, manifest, defaults);
  }
}

async function findAppInSpace(db: Kysely<Database>, spaceId: number, name: string): Promise<AppInSpace | undefined> {
  const row = await db.selectFrom('apps').select('id').where('space_id', '=', spaceId).where('name', '=', name).executeTakeFirst();
  return row && findAppWhere(db, 'apps.id', row.id);
}

/** The app's web process, created with taskd's defaults when missing, with the manifest's values. */
async function scaleWebProcess(db: Kysely<Database>, { app }: AppInSpace, manifest: AppManifest, defaults: ProcessDefaults): Promise<void> {
  const now = nowIso();
  const values = {
    ...(manifest.memoryInMb === undefined ? {} : { memory_in_mb: manifest.memoryInMb }),
    ...(manifest.diskInMb === undefined ? {} : { disk_in_mb: manifest.diskInMb }),
    ...(manifest.command === undefined ? {} : { command: manifest.command }),
  };
  await db
    .insertInto('processes')
    .values({
      // CF gives an app's web process the app's own guid.
      guid: app.guid,
      app_id: app.id,
      type: 'web',
      command: null,
      user: null,
      instances: 1,
      memory_in_mb: defaults.defaultMemoryInMb,
      disk_in_mb: defaults.defaultDiskInMb,
      log_rate_limit: defaults.defaultLogRateLimit,
      created_at: now,
      updated_at: now,
      ...values,
    })
    .onConflict((oc) =>
      Object.keys(values).length
        ? oc.columns(['app_id', 'type']).doUpdateSet({ ...values, updated_at: now })
        : oc.columns(['app_id', 'type']).doNothing(),
    )
    .execute();
}
