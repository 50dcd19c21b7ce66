// Dbvisit's four task states over taskd's (DESIGN.md "How the views map"): dismissal wins over
// how the task ended; everything not yet finished is "In Progress".
import type { TaskRow } from '../../store/schema.js';

export type DbvisitState = 'In Progress' | 'End' | 'Failed' | 'Dismissed';

export function dbvisitStateOf(task: Pick<TaskRow, 'state' | 'dismissed_by'>): DbvisitState {
  if (task.dismissed_by !== null) return 'Dismissed';
  if (task.state === 'SUCCEEDED') return 'End';
  if (task.state === 'FAILED') return 'Failed';
  return 'In Progress';
}
