// The tenants the isolation check attacks: three orgs built to look alike (same space, app and
// task names, same label keys and values, same sequence ids 1..n, tasks created at the same
// instants), plus a caller for every role in the first one. Everything a caller should see is
// written down here as it is created, so the check's expectations never come from taskd's own
// permission code.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Harness } from '../../test/support/harness.js';
import { pretendRunnerElsewhere } from '../../test/support/tasks.js';

export const TENANT_KEYS = ['alpha', 'bravo', 'charlie'] as const;
export type TenantKey = (typeof TENANT_KEYS)[number];
export const SPACE_NAMES = ['blue', 'green'] as const;
export const APP_NAMES = ['web', 'worker'] as const;

/** Task names by sequence id: shared across tenants, one differing only in case, one unique. */
export const SHARED_TASK_NAMES = ['nightly', 'migrate', 'Nightly'];
const uniqueName = (tenant: TenantKey, space: string, app: string) => `only-${tenant}-${space}-${app}`;
const STATES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'PAUSED', 'CANCELING', 'PENDING'];

/** Every tenant's tasks are created at these instants (whole seconds, so CF's filters hit them). */
export const BASE_TIME = Date.parse('2026-01-15T10:00:00Z');
export const timeOfSeq = (seq: number) => new Date(BASE_TIME + (seq - 1) * 1000).toISOString();
export const updatedOfSeq = (seq: number) => new Date(BASE_TIME + 60_000 + (seq % 2) * 1000).toISOString();

export interface WorldTask {
  id: number;
  guid: string;
  name: string;
  tenant: TenantKey;
  orgGuid: string;
  spaceGuid: string;
  appGuid: string;
  appId: number;
  sequenceId: number;
  /** Dismissed (Dbvisit's show_hidden shows it). */
  dismissed: boolean;
}

export interface WorldApp {
  guid: string;
  id: number;
  name: string;
  tenant: TenantKey;
  spaceGuid: string;
  /** Its `web` process (a task template), with a command only this tenant's developers may see. */
  processGuid: string;
  /** Its current droplet. */
  dropletGuid: string;
}

export interface Tenant {
  key: TenantKey;
  org: { guid: string; name: string };
  spaces: { guid: string; name: string }[];
  apps: WorldApp[];
  /** The developer who created the tenant's tasks (their creator in vSphere's `users`). */
  developer: { guid: string; username: string };
  /** Strings only this tenant's data holds: guids, unique names, label and annotation values, output. */
  markers: string[];
}

export const ROLE_NAMES = [
  'admin',
  'admin_read_only',
  'global_auditor',
  'org_manager',
  'org_auditor',
  'org_billing_manager',
  'org_user',
  'space_developer',
  'space_manager',
  'space_auditor',
  'space_supporter',
  'no_role',
] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface Caller {
  role: RoleName;
  username: string;
  password: string;
  token: string;
  /** A vSphere session of this user, shared by /rest and /api. */
  vsphereSession: string;
  /** Reads every tenant (admin, admin_read_only, global_auditor). */
  global: boolean;
  /** Spaces whose tasks the caller may read (CF role matrix, spec §8); all of them when global. */
  spaces: Set<string>;
  /** Orgs the caller belongs to in any way (Astra accounts it may open). */
  orgs: Set<string>;
  /** The first app of the caller's own tenant they may read, if any. */
  firstApp?: string;
}

export interface World {
  tenants: Tenant[];
  tasks: WorldTask[];
  apps: WorldApp[];
  callers: Caller[];
  admin: Caller;
  usernames: string[];
}

export const visibleTo = (caller: Caller, task: { spaceGuid: string }) => caller.global || caller.spaces.has(task.spaceGuid);

/** Strings of other tenants the caller must never be shown (none for a global reader). */
export function foreignMarkers(world: World, caller: Caller): string[] {
  if (caller.global) return [];
  return world.tenants.filter((t) => !caller.orgs.has(t.org.guid)).flatMap((t) => t.markers);
}

/** Builds the three tenants and the callers. `tasksPerApp` sets n of the sequence ids 1..n. */
export async function buildWorld(h: Harness, tasksPerApp = 4): Promise<World> {
  await pretendRunnerElsewhere(h);
  const tenants: Tenant[] = [];
  const tasks: WorldTask[] = [];
  // The tenants are built side by side (their users' scrypt hashes overlap in the thread pool).
  tenants.push(
    ...(await Promise.all(
      TENANT_KEYS.map(async (key): Promise<Tenant> => {
        const org = await h.org(`iso-${key}`);
        const devName = `iso-dev-${key}`;
        const dev = await createUser(h, devName);
        const tenant: Tenant = {
          key,
          org: { guid: org.guid, name: org.name },
          spaces: [],
          apps: [],
          developer: { guid: dev, username: devName },
          markers: [],
        };
        for (const spaceName of SPACE_NAMES) {
          const space = await h.space(org.guid, spaceName);
          tenant.spaces.push({ guid: space.guid, name: spaceName });
          await h.role('space_developer', dev, { space: space.guid });
          for (const appName of APP_NAMES) {
            const app = await h.app(space.guid, appName);
            const row = await h.db.selectFrom('apps').select('id').where('guid', '=', app.guid).executeTakeFirstOrThrow();
            const { processGuid, dropletGuid } = await stagedWithProcess(h, Number(row.id), key);
            tenant.apps.push({
              guid: app.guid,
              id: Number(row.id),
              name: appName,
              tenant: key,
              spaceGuid: space.guid,
              processGuid,
              dropletGuid,
            });
          }
        }
        return tenant;
      }),
    )),
  );
  // One transaction (the rows are shaped as the create action writes them, as in
  // test/support/tasks.ts), interleaved by sequence id across tenants so ids alternate too.
  await h.db.transaction().execute(async (trx) => {
    for (let seq = 1; seq <= tasksPerApp; seq++) {
      for (const tenant of tenants) {
        for (const [appIndex, app] of tenant.apps.entries()) {
          const spaceName = tenant.spaces.find((s) => s.guid === app.spaceGuid)!.name;
          const name = seq === 3 ? uniqueName(tenant.key, spaceName, app.name) : SHARED_TASK_NAMES[(seq - 1) % SHARED_TASK_NAMES.length];
          const state = STATES[(seq + appIndex) % STATES.length];
          const dismissed = state === 'SUCCEEDED' && seq % 2 === 0;
          const ids = await trx
            .selectFrom('apps')
            .innerJoin('spaces', 'spaces.id', 'apps.space_id')
            .select(['apps.space_id', 'spaces.organization_id'])
            .where('apps.id', '=', app.id)
            .executeTakeFirstOrThrow();
          const row = await trx
            .insertInto('tasks')
            .values({
              guid: randomUUID(),
              app_id: app.id,
              space_id: ids.space_id,
              organization_id: ids.organization_id,
              sequence_id: seq,
              name,
              command: `echo ${tenant.key}-command`,
              user: null,
              state,
              memory_in_mb: 1024,
              disk_in_mb: 1024,
              log_rate_limit: -1,
              droplet_guid: randomUUID(),
              failure_reason: state === 'FAILED' ? `${tenant.key}-failure-reason` : null,
              exit_status: null,
              timeout_seconds: null,
              runner_id: null,
              started_at: null,
              finished_at: null,
              cancel_requested_at: null,
              created_at: timeOfSeq(seq),
              updated_at: updatedOfSeq(seq),
              created_by: tenant.developer.guid,
              dismissed_by: dismissed ? tenant.developer.guid : null,
              dismissed_at: dismissed ? updatedOfSeq(seq) : null,
              progress_percent: seq * 10,
              progress_message: `${tenant.key}-progress-${seq}`,
              message_count: 1,
            })
            .returning(['id', 'guid'])
            .executeTakeFirstOrThrow();
          const id = Number(row.id);
          const meta = (metadata_kind: string, key_prefix: string, key_name: string, value: string) => ({
            resource_kind: 'task',
            resource_id: id,
            metadata_kind,
            key_prefix,
            key_name,
            value,
          });
          await trx
            .insertInto('metadata')
            .values([
              meta('label', '', 'env', seq % 2 ? 'prod' : 'dev'),
              meta('label', 'example.com', 'tier', app.name),
              meta('label', '', 'tenant', `${tenant.key}-secret`),
              meta('annotation', '', 'owner', `${tenant.key}-annotation`),
            ])
            .execute();
          await trx
            .insertInto('task_log_lines')
            .values({ task_id: id, seq: 1, time: timeOfSeq(seq), stream: 'stdout', text: `${tenant.key}-log-line` })
            .execute();
          await trx
            .insertInto('task_messages')
            .values({ task_id: id, seq: 1, time: timeOfSeq(seq), source: 'task', text: `${tenant.key}-message` })
            .execute();
          tasks.push({
            id,
            guid: row.guid,
            name,
            tenant: tenant.key,
            orgGuid: tenant.org.guid,
            spaceGuid: app.spaceGuid,
            appGuid: app.guid,
            appId: app.id,
            sequenceId: seq,
            dismissed,
          });
        }
      }
    }
    await trx
      .updateTable('apps')
      .set({ next_task_sequence_id: tasksPerApp + 1 })
      .where(
        'id',
        'in',
        tenants.flatMap((t) => t.apps.map((a) => a.id)),
      )
      .execute();
  });
  for (const tenant of tenants) {
    const own = tasks.filter((t) => t.tenant === tenant.key);
    tenant.markers = [
      tenant.org.guid,
      tenant.org.name,
      tenant.developer.guid,
      tenant.developer.username,
      ...tenant.spaces.map((s) => s.guid),
      ...tenant.apps.flatMap((a) => [a.guid, a.processGuid, a.dropletGuid]),
      ...own.map((t) => t.guid),
      ...new Set(own.filter((t) => t.name.startsWith('only-')).map((t) => t.name)),
      `${tenant.key}-secret`,
      `${tenant.key}-annotation`,
      `${tenant.key}-log-line`,
      `${tenant.key}-message`,
      `${tenant.key}-failure-reason`,
      `${tenant.key}-progress-`,
      `${tenant.key}-process-command`,
      `${tenant.key}-command`,
    ];
  }
  const callers = await roleCallers(h, tenants[0]);
  const apps = tenants.flatMap((t) => t.apps);
  for (const caller of callers) caller.firstApp = tenants[0].apps.find((a) => visibleTo(caller, a))?.guid;
  return {
    tenants,
    tasks,
    apps,
    callers,
    admin: callers.find((c) => c.role === 'admin')!,
    usernames: [...tenants.map((t) => t.developer.username), ...callers.map((c) => c.username)],
  };
}

/**
 * A STAGED current droplet and its `web` process, written straight to the store (as staging
 * would leave them): tasks can then be created in the app, and its process is a template.
 */
async function stagedWithProcess(h: Harness, appId: number, tenant: TenantKey): Promise<{ processGuid: string; dropletGuid: string }> {
  const now = new Date().toISOString();
  const dropletGuid = randomUUID();
  const droplet = await h.db
    .insertInto('droplets')
    .values({
      guid: dropletGuid,
      app_id: appId,
      state: 'STAGED',
      error: null,
      process_types: JSON.stringify({ web: `${tenant}-process-command` }),
      execution_metadata: '',
      checksum_sha256: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await h.db.updateTable('apps').set({ current_droplet_id: droplet.id }).where('id', '=', appId).execute();
  const guid = randomUUID();
  await h.db
    .insertInto('processes')
    .values({
      guid,
      app_id: appId,
      type: 'web',
      command: `${tenant}-process-command`,
      user: null,
      instances: 1,
      memory_in_mb: 256,
      disk_in_mb: 512,
      log_rate_limit: -1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { processGuid: guid, dropletGuid };
}

/** Every user of the world has this password: hashed once, as scrypt is the set-up's main cost. */
const PASSWORD = 'pw-isolation';
const sharedHash = new WeakMap<Harness, Promise<string>>();

/** A user row as POST /v3/users writes it (the API would hash the same password once per user). */
async function createUser(h: Harness, username: string, scopes: string[] = []): Promise<string> {
  let hash = sharedHash.get(h);
  if (!hash) sharedHash.set(h, (hash = hashPassword(PASSWORD)));
  const now = new Date().toISOString();
  const guid = randomUUID();
  await h.db
    .insertInto('users')
    .values({ guid, username, origin: 'uaa', password_hash: await hash, scopes: scopes.join(' '), created_at: now, updated_at: now })
    .execute();
  return guid;
}

/** One caller per role, every tenant-bound one in the first tenant (space roles in its first space). */
async function roleCallers(h: Harness, tenant: Tenant): Promise<Caller[]> {
  const allSpaces = new Set<string>();
  const allOrgs = new Set<string>();
  const blue = tenant.spaces[0].guid;
  // Users in parallel: each costs scrypt twice (create, login), which the thread pool overlaps.
  return Promise.all(
    ROLE_NAMES.map(async (role): Promise<Caller> => {
      let username: string;
      let password: string;
      if (role === 'admin') {
        username = 'admin';
        password = h.adminPassword;
      } else {
        username = `iso-${role.replace(/_/g, '-')}`;
        password = PASSWORD;
        const scopes =
          role === 'admin_read_only'
            ? ['cloud_controller.admin_read_only']
            : role === 'global_auditor'
              ? ['cloud_controller.global_auditor']
              : [];
        const guid = await createUser(h, username, scopes);
        const orgRole = {
          org_manager: 'organization_manager',
          org_auditor: 'organization_auditor',
          org_billing_manager: 'organization_billing_manager',
          org_user: 'organization_user',
        }[role as string];
        if (orgRole) await h.role(orgRole, guid, { org: tenant.org.guid });
        else if (role.startsWith('space_')) await h.role(role, guid, { space: blue });
      }
      const global = role === 'admin' || role === 'admin_read_only' || role === 'global_auditor';
      // CF's matrix: org managers read every space of their org, space roles their space, and
      // org auditors, billing managers and plain org users no space's tasks.
      const spaces = global
        ? allSpaces
        : role === 'org_manager'
          ? new Set(tenant.spaces.map((s) => s.guid))
          : role.startsWith('space_')
            ? new Set([blue])
            : new Set<string>();
      const orgs = global ? allOrgs : role === 'no_role' ? new Set<string>() : new Set([tenant.org.guid]);
      const actor = await h.login(username, password);
      return { role, username, password, token: actor.token, vsphereSession: await vsphereSession(h, actor.guid), global, spaces, orgs };
    }),
  );
}

/**
 * A vSphere session of the user, stored as POST /api/session stores one (by the sha-256 of its
 * id) without paying scrypt again; the sessions endpoint itself is not what this check tests.
 */
async function vsphereSession(h: Harness, userGuid: string): Promise<string> {
  const id = randomBytes(16).toString('hex');
  const now = new Date().toISOString();
  await h.db
    .insertInto('vsphere_sessions')
    .values({ id_hash: createHash('sha256').update(id).digest('hex'), user_guid: userGuid, created_at: now, last_accessed_at: now })
    .execute();
  return id;
}

/** A guid no tenant has. */
export const strangerGuid = () => randomUUID();
