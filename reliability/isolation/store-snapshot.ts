// The tasks as stored, for "no request of a tenant-bound caller changed another's task": the
// properties write only to tasks the caller may not reach (cancel, pause, resume, PATCH,
// messages, progress, dismiss), so the store must end exactly as it began.
import type { Harness } from '../../test/support/harness.js';

export async function snapshotTasks(h: Harness): Promise<string> {
  const tasks = await h.db
    .selectFrom('tasks')
    .select(['id', 'state', 'updated_at', 'dismissed_by', 'cancel_requested_at', 'message_count', 'progress_percent', 'progress_message'])
    .orderBy('id')
    .execute();
  const metadata = await h.db
    .selectFrom('metadata')
    .select(['resource_id', 'metadata_kind', 'key_prefix', 'key_name', 'value'])
    .where('resource_kind', '=', 'task')
    .orderBy('id')
    .execute();
  const messages = await h.db.selectFrom('task_messages').select(['task_id', 'seq', 'text']).orderBy('task_id').orderBy('seq').execute();
  const taskCount = await h.db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return JSON.stringify({ tasks, metadata, messages, count: Number(taskCount.n) });
}

/** What differs between two snapshots, briefly. */
export function snapshotDifference(before: string, after: string): string | undefined {
  if (before === after) return undefined;
  const a = JSON.parse(before);
  const b = JSON.parse(after);
  for (const part of ['count', 'tasks', 'metadata', 'messages']) {
    const x = JSON.stringify(a[part]);
    const y = JSON.stringify(b[part]);
    if (x === y) continue;
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    return `${part} changed near …${x.slice(Math.max(0, i - 80), i + 80)}… → …${y.slice(Math.max(0, i - 80), i + 80)}…`;
  }
  return 'changed';
}
