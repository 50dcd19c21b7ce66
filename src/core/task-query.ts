// The dialect-neutral task query (DESIGN.md "Queries"): each dialect parses its own query
// language (CF page/order_by/label_selector, Astra filter/include/limit/continue, vSphere
// filter_spec, Dbvisit params) into one TaskQuery; fetchers/task-query.ts turns it, plus the
// caller's read scope, into SQL. Pure data, no I/O.

/**
 * What a condition or an ordering may name: the core task's own columns, and the few facts of
 * its app, space, org and users that the dialects show. Timestamps are the stored form
 * (ISO-8601 UTC with milliseconds, `YYYY-MM-DDThh:mm:ss.sssZ`): text order is time order.
 * `state` is the stored (core) state: PENDING RUNNING PAUSING PAUSED CANCELING SUCCEEDED FAILED.
 */
export const TASK_QUERY_FIELDS = [
  'id',
  'guid',
  'name',
  'sequence_id',
  'state',
  'failure_reason',
  'exit_status',
  'memory_in_mb',
  'disk_in_mb',
  'progress_percent',
  'progress_message',
  'parent_task_guid',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'cancel_requested_at',
  /** The creator's user guid. */
  'created_by',
  /** The creator's username (null for users without one). */
  'created_by_name',
  'app_id',
  'app_guid',
  'app_name',
  'space_guid',
  'organization_guid',
  /** Guid of the user who dismissed the task (Dbvisit); null while not dismissed. */
  'dismissed_by',
] as const;
export type TaskQueryField = (typeof TASK_QUERY_FIELDS)[number];

export type TaskQueryValue = string | number | null;

/**
 * A condition on tasks. `eq`/`ne` with null mean IS NULL / IS NOT NULL; `ne` with a value also
 * matches tasks whose field is null (null does not equal the value); ordered comparisons with a
 * null value, or on a null field, match nothing. `contains` is a case-sensitive substring test on
 * the field's text. Each condition is true or false, never unknown, so `not` is its exact inverse.
 */
export type TaskCondition =
  | { field: TaskQueryField; op: 'eq' | 'ne' | 'lt' | 'gt' | 'lte' | 'gte'; value: TaskQueryValue }
  /** `ignoreCase`: the field's text, lowercased, is one of the values lowercased (ASCII letters in SQLite). */
  | { field: TaskQueryField; op: 'in'; values: readonly (string | number)[]; ignoreCase?: boolean }
  | { field: TaskQueryField; op: 'contains'; value: string }
  /** A label of the task: present with this value, with one of these values, or present at all. */
  | { op: 'label'; key: string; value?: string | readonly string[] }
  | { op: 'and' | 'or'; conditions: readonly TaskCondition[] }
  | { op: 'not'; condition: TaskCondition };

export interface TaskOrder {
  field: TaskQueryField;
  direction: 'asc' | 'desc';
}

export interface TaskQuery {
  /** All must hold. */
  where: readonly TaskCondition[];
  /**
   * Sort keys; the task id is added last (same direction as the last key) as the tiebreak, unless
   * the order names a unique field (the id or the guid) itself.
   */
  order: readonly TaskOrder[];
  /** Most rows in the answer; none: every match (the fetcher still reads in bounded pages). */
  limit?: number;
  /**
   * Keyset position: the answer starts after the row with these values of `order`'s fields and
   * then its id, when the tiebreak was added (the `next` of the previous page). Page cost does not
   * grow with depth.
   */
  after?: readonly TaskQueryValue[];
  /** Also count every match (before limit and `after`). */
  count?: boolean;
  /**
   * Page-number paging, for APIs that demand it (CF), instead of `limit` and `after`: the
   * `number`th page (from 1) of `size` rows, always with the count of every match. A deep page
   * costs a walk of index entries past the earlier pages, never reads of their rows.
   */
  page?: TaskPageNumber;
  /**
   * Projection: false leaves out the tasks' labels (their `labels` come back empty), for a
   * dialect that reads the tasks' metadata on its own (CF shows labels with annotations).
   */
  withLabels?: boolean;
}

export interface TaskPageNumber {
  number: number;
  size: number;
}
