// Runs a TaskQuery (core/task-query.ts) in SQL within the caller's read scope. Shared by the
// Astra, vSphere and Dbvisit dialects.
// PLACEHOLDER: the interface below is fixed; the implementation is being written.
import type { Kysely } from 'kysely';
import type { Scope } from '../auth/permissions.js';
import type { TaskQuery, TaskQueryValue } from '../core/task-query.js';
import type { Database, TaskRow } from '../store/schema.js';

/** A task as the dialects present it: its row plus what they show of its app, space, org and users. */
export interface TaskView extends TaskRow {
  app_guid: string;
  app_name: string;
  space_guid: string;
  space_name: string;
  organization_guid: string;
  organization_name: string;
  /** The creator's username. */
  created_by_name: string | null;
  /** The username of who dismissed it (Dbvisit); null while not dismissed. */
  dismissed_by_name: string | null;
  latest_message_text: string | null;
  latest_message_time: string | null;
  labels: { key: string; value: string }[];
}

export interface TaskQueryPage {
  rows: TaskView[];
  /** `after` for the next page; absent on the last page. */
  next?: TaskQueryValue[];
  /** Every match, when the query asked for `count`. */
  total?: number;
}

export async function queryTasks(_db: Kysely<Database>, _scope: Scope, _query: TaskQuery): Promise<TaskQueryPage> {
  throw new Error('queryTasks: not implemented yet');
}

/** One task the scope may read, by guid or integer id; undefined when absent or unreadable. */
export async function readableTask(_db: Kysely<Database>, _scope: Scope, _by: { guid: string } | { id: number }): Promise<TaskView | undefined> {
  throw new Error('readableTask: not implemented yet');
}
