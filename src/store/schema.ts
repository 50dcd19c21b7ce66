// Table shapes as Kysely sees them. One shape serves SQLite and PostgreSQL: timestamps are
// fixed-width ISO-8601 text in UTC with milliseconds (so string order is time order in both),
// flags are 0/1 integers, and JSON documents are text.
import type { Generated, Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: Generated<number>;
  guid: string;
  username: string | null;
  origin: string | null;
  password_hash: string | null;
  /** Space-separated extra scopes (cloud_controller.admin, …). */
  scopes: string;
  created_at: string;
  updated_at: string;
  /** Tokens carrying another generation are no longer honoured (migration 010). */
  token_generation: Generated<number>;
}

/** One login's tokens (a refresh token family), migration 010. */
export interface TokenSessionsTable {
  id: string;
  user_guid: string;
  /** The id of the one refresh token of this login that may be used next. */
  refresh_jti: string;
  /** The one it replaced, honoured for a few seconds after rotated_at (parallel refreshes). */
  previous_refresh_jti: string | null;
  rotated_at: string | null;
  created_at: string;
  expires_at: string;
}

export interface OrganizationsTable {
  id: Generated<number>;
  guid: string;
  name: string;
  suspended: number;
  /** 'active' or 'deleting' */
  status: string;
  quota_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface SpacesTable {
  id: Generated<number>;
  guid: string;
  name: string;
  organization_id: number;
  quota_id: number | null;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface RolesTable {
  id: Generated<number>;
  guid: string;
  type: string;
  user_id: number;
  organization_id: number | null;
  space_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface AppsTable {
  id: Generated<number>;
  guid: string;
  name: string;
  space_id: number;
  state: string;
  lifecycle_type: string;
  /** The buildpack lifecycle's stack, as a column so lists can filter by it; null for docker. */
  stack: string | null;
  /** JSON: the lifecycle's data object. */
  lifecycle_data: string;
  /** JSON object of strings. */
  environment_variables: string;
  current_droplet_id: number | null;
  /** The sequence_id the app's next task takes (CF's max_task_sequence_id). */
  next_task_sequence_id: number;
  created_at: string;
  updated_at: string;
}

export interface DropletsTable {
  id: Generated<number>;
  guid: string;
  app_id: number;
  state: string;
  error: string | null;
  /** JSON object: process type -> start command. */
  process_types: string;
  execution_metadata: string;
  checksum_sha256: string | null;
  created_at: string;
  updated_at: string;
  /**
   * Bytes the droplet takes against its organization's budget: its expanded tree plus the bundle
   * kept in the database; until its upload is expanded, the received file (migration 013).
   */
  stored_bytes: Generated<number>;
  /** JSON {buildpacks, stack} of the build that staged it; null for droplets uploaded as they are (migration 016). */
  staged_with: string | null;
}

export interface ProcessesTable {
  id: Generated<number>;
  guid: string;
  app_id: number;
  type: string;
  command: string | null;
  user: string | null;
  instances: number;
  memory_in_mb: number;
  disk_in_mb: number;
  log_rate_limit: number;
  created_at: string;
  updated_at: string;
}

export interface JobsTable {
  id: Generated<number>;
  guid: string;
  operation: string;
  state: string;
  /** JSON array of CF error objects. */
  errors: string;
  resource_type: string;
  resource_guid: string;
  created_at: string;
  updated_at: string;
}

export interface FeatureFlagsTable {
  name: string;
  enabled: number;
  custom_error_message: string | null;
  updated_at: string;
}

/** One table for organization and space quotas; `kind` tells which. */
export interface QuotasTable {
  id: Generated<number>;
  guid: string;
  kind: string;
  name: string;
  /** For space quotas: the owning organization. */
  organization_id: number | null;
  total_memory_in_mb: number | null;
  per_process_memory_in_mb: number | null;
  log_rate_limit_in_bytes_per_second: number | null;
  total_instances: number | null;
  per_app_tasks: number | null;
  created_at: string;
  updated_at: string;
}

/** Labels and annotations of every resource kind. */
export interface MetadataTable {
  id: Generated<number>;
  resource_kind: string;
  resource_id: number;
  /** 'label' or 'annotation' */
  metadata_kind: string;
  key_prefix: string;
  key_name: string;
  value: string;
}

export interface SettingsTable {
  name: string;
  value: string;
}

export interface TasksTable {
  id: Generated<number>;
  guid: string;
  app_id: number;
  space_id: number;
  organization_id: number;
  sequence_id: number;
  name: string;
  command: string;
  user: string | null;
  state: string;
  memory_in_mb: number;
  disk_in_mb: number;
  /** CF's log_rate_limit_in_bytes_per_second; -1 is unlimited. */
  log_rate_limit: number;
  droplet_guid: string;
  failure_reason: string | null;
  exit_status: number | null;
  timeout_seconds: number | null;
  /** Bytes of output dropped over the log rate limit. */
  log_bytes_dropped: Generated<number>;
  /** Guid of the user who created the task. */
  created_by: string | null;
  /** The runner that claimed the task. */
  runner_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  cancel_requested_at: string | null;
  created_at: string;
  updated_at: string;
  /** What the task last reported with its own token (migration 004). */
  progress_percent: Generated<number | null>;
  progress_message: Generated<string | null>;
  /** The task that created this one as its subtask. */
  parent_task_guid: Generated<string | null>;
  /** Seq of the task's latest message; 0 when it has none. */
  message_count: Generated<number>;
  /** Guid of the user who dismissed the finished task (Dbvisit's Dismissed), migration 006. */
  dismissed_by: Generated<string | null>;
  dismissed_at: Generated<string | null>;
  /** Bytes and lines of output stored for the task, counted as each batch is stored (migration 012). */
  output_bytes: Generated<number>;
  output_lines: Generated<number>;
  /** Why later output of the task was not kept (its own or its org's budget), once that happened. */
  output_truncated: Generated<string | null>;
}

export interface TaskLogLinesTable {
  task_id: number;
  seq: number;
  time: string;
  /** 'stdout' or 'stderr' */
  stream: string;
  text: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  guid: string;
  type: string;
  actor_guid: string;
  actor_type: string;
  actor_name: string | null;
  target_guid: string;
  target_type: string;
  target_name: string | null;
  space_id: number | null;
  organization_id: number | null;
  space_guid: string | null;
  organization_guid: string | null;
  /** JSON object. */
  data: string;
  created_at: string;
  updated_at: string;
}

export interface TaskIdempotencyKeysTable {
  user_guid: string;
  key: string;
  request_hash: string;
  task_id: number;
  /** The presented task of the first answer (JSON), replayed to retries. */
  response: string;
  created_at: string;
}

export interface RunnersTable {
  id: string;
  hostname: string;
  pid: number;
  slots: number;
  /** The memory_in_mb its tasks may ask for together (TASKD_RUNNER_MEMORY_MB); null: only its slots bound it (migration 017). */
  memory_mb: Generated<number | null>;
  started_at: string;
  heartbeat_at: string;
}

/** A task's messages: its own (source 'task') and the runner's ('runner'), migration 004. */
export interface TaskMessagesTable {
  task_id: number;
  seq: number;
  time: string;
  source: string;
  text: string;
}

/** Tasks per space and state, kept exact by triggers (migration 003). */
export interface TaskCountsTable {
  space_id: number;
  organization_id: number;
  state: string;
  count: number;
}

/** The PENDING tasks, by space in id order, kept exact by triggers (migration 011): what claims read. */
export interface TaskQueueTable {
  space_id: number;
  id: number;
  memory_in_mb: number;
}

/** Tasks carrying each label value, kept exact by triggers (migration 003). */
export interface TaskLabelCountsTable {
  key_prefix: string;
  key_name: string;
  value: string;
  count: number;
}

/** vSphere Automation API sessions (migration 007), keyed by the sha-256 of the session id. */
export interface VsphereSessionsTable {
  id_hash: string;
  user_guid: string;
  created_at: string;
  last_accessed_at: string;
}

/** Token signing keys (migration 009): RS256, the private key encrypted under the secret key file. */
export interface SigningKeysTable {
  kid: string;
  public_pem: string;
  private_encrypted: string;
  created_at: string;
  /** Null while the newest; once replaced, when the last token it signed has expired. */
  retire_after: string | null;
}

/** A droplet's bundle as uploaded, in parts (migration 008; written on PostgreSQL only). */
export interface DropletBundlesTable {
  droplet_id: number;
  part: number;
  bytes: Uint8Array;
}

/** An app's source as uploaded (migration 016). */
export interface PackagesTable {
  id: Generated<number>;
  guid: string;
  app_id: number;
  type: string;
  state: string;
  error: string | null;
  /** sha256 of the uploaded zip, hex; null until its upload is processed. */
  checksum_sha256: string | null;
  /** Bytes the package takes against its organization's droplet budget. */
  stored_bytes: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** A package's converted bundle, in parts (migration 016; written on PostgreSQL only). */
export interface PackageBundlesTable {
  package_id: number;
  part: number;
  bytes: Uint8Array;
}

/** The staging of a package into a droplet (migration 016). */
export interface BuildsTable {
  id: Generated<number>;
  guid: string;
  app_id: number;
  package_guid: string;
  droplet_guid: string | null;
  state: string;
  error: string | null;
  lifecycle_type: string;
  /** JSON: { buildpacks, stack }. */
  lifecycle_data: string;
  staging_memory_in_mb: number;
  staging_disk_in_mb: number;
  created_by_guid: string | null;
  created_by_name: string | null;
  created_by_email: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  users: UsersTable;
  token_sessions: TokenSessionsTable;
  organizations: OrganizationsTable;
  spaces: SpacesTable;
  roles: RolesTable;
  apps: AppsTable;
  droplets: DropletsTable;
  processes: ProcessesTable;
  jobs: JobsTable;
  feature_flags: FeatureFlagsTable;
  quotas: QuotasTable;
  metadata: MetadataTable;
  settings: SettingsTable;
  tasks: TasksTable;
  task_log_lines: TaskLogLinesTable;
  audit_events: AuditEventsTable;
  task_idempotency_keys: TaskIdempotencyKeysTable;
  runners: RunnersTable;
  task_counts: TaskCountsTable;
  task_queue: TaskQueueTable;
  task_label_counts: TaskLabelCountsTable;
  task_messages: TaskMessagesTable;
  vsphere_sessions: VsphereSessionsTable;
  droplet_bundles: DropletBundlesTable;
  signing_keys: SigningKeysTable;
  packages: PackagesTable;
  package_bundles: PackageBundlesTable;
  builds: BuildsTable;
}

export type UserRow = Selectable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type SpaceRow = Selectable<SpacesTable>;
export type RoleRow = Selectable<RolesTable>;
export type AppRow = Selectable<AppsTable>;
export type DropletRow = Selectable<DropletsTable>;
export type ProcessRow = Selectable<ProcessesTable>;
export type PackageRow = Selectable<PackagesTable>;
export type BuildRow = Selectable<BuildsTable>;
export type JobRow = Selectable<JobsTable>;
export type QuotaRow = Selectable<QuotasTable>;
export type NewQuota = Insertable<QuotasTable>;
export type TaskRow = Selectable<TasksTable>;
export type NewTask = Insertable<TasksTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type TaskMessageRow = Selectable<TaskMessagesTable>;
