// Log cache reads (api/logcache, fetchers/app-log-lines.ts): an app's task output as one stream in
// time order, read without walking the app's task history or a task's whole output.
// - A task's lines by time: the read seeks to a window of a long task's output by (task_id, time)
//   instead of walking its lines from the first by the primary key (task_id, seq).
// - An app's tasks by when they ran: the tasks whose run can hold lines of a window are found from
//   the window's ends (started or finished near them), with the other end beside each entry, so
//   that a task that does not qualify is passed over in the index.
import type { Kysely } from 'kysely';
import type { MigrationFactory } from '../migrate.js';

export const logCacheReads: MigrationFactory = () => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex('task_log_lines_time').on('task_log_lines').columns(['task_id', 'time', 'seq']).execute();
    await db.schema.createIndex('tasks_app_started').on('tasks').columns(['app_id', 'started_at', 'finished_at']).execute();
    await db.schema.createIndex('tasks_app_finished').on('tasks').columns(['app_id', 'finished_at', 'started_at']).execute();
  },
});
