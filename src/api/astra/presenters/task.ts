// A core task as Astra's `application/astra-task` 1.1 object (specs/dialects.md §1.3, §5).
import type { TaskView } from '../../../fetchers/task-query.js';
import { astraStateOf, STATE_TRANSITIONS, type AstraState, type StateTransition } from '../states.js';

export const ASTRA_TASK_TYPE = 'application/astra-task';
export const ASTRA_TASK_VERSION = '1.1';
/** Astra's createdBy for what no user created. */
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';
/**
 * Astra numbers its state-detail types under astra.netapp.io; taskd names its one kind with a URN
 * of its own rather than borrow a number that means something else there.
 */
export const STATE_DETAIL_TYPE = 'urn:taskd:astra:stateDetails:taskFailed';
export const STATE_DETAIL_TITLE = 'Task failed';
/** A detail is 1..511 characters: what a failed task without a recorded reason shows. */
export const UNKNOWN_FAILURE = 'unknown';

export interface AstraStateDetail {
  type: string;
  title: string;
  detail: string;
}

export interface AstraTask {
  type: string;
  version: string;
  id: string;
  name: string;
  summary: string;
  description: string;
  service: string;
  parentTaskID?: string;
  userID?: string;
  resourceID: string;
  resourceURI: string;
  resourceCollectionURI: string[];
  state: AstraState;
  stateTransitions: readonly StateTransition[];
  stateDetails: AstraStateDetail[];
  percentDone?: number;
  startTime?: string;
  endTime?: string;
  cancelTime?: string;
  metadata: {
    labels: { name: string; value: string }[];
    creationTimestamp: string;
    modificationTimestamp: string;
    createdBy: string;
  };
}

/** Every top-level field a task object may carry, in presentation order (what `include` may name). */
export const ASTRA_TASK_FIELDS = [
  'type',
  'version',
  'id',
  'name',
  'summary',
  'description',
  'service',
  'parentTaskID',
  'userID',
  'resourceID',
  'resourceURI',
  'resourceCollectionURI',
  'state',
  'stateTransitions',
  'stateDetails',
  'orderHint',
  'percentDone',
  'startTime',
  'endTime',
  'cancelTime',
  'metadata',
] as const;

/** Astra's name pattern `^(([a-z])*(\.))*([a-z])+$`: taskd's kind of task, not the task's own name. */
export const taskNameOf = (parentTaskGuid: string | null) => (parentTaskGuid === null ? 'taskd.task' : 'taskd.subtask');

/** Astra's summary is 3..63 characters: the task's own name, cut, and padded with dots. */
export const summaryOf = (name: string) => name.slice(0, 63).padEnd(3, '.');

export const descriptionOf = (t: Pick<TaskView, 'name' | 'sequence_id' | 'app_name'>) =>
  `Task ${t.name} (#${t.sequence_id}) of app ${t.app_name}`;

export const resourceUriOf = (appGuid: string) => `/v3/apps/${appGuid}`;
export const resourceCollectionUriOf = (appGuid: string) => `/v3/apps/${appGuid}/tasks`;

/** A completed task is 100 % done whatever it last reported. */
export const percentDoneOf = (t: Pick<TaskView, 'state' | 'progress_percent'>) =>
  t.state === 'SUCCEEDED' ? 100 : (t.progress_percent ?? undefined);

/**
 * When the cancel was asked for, on cancelling and cancelled tasks. Every cancel passes through
 * CANCELING, which records it; a row without it (from before that column) falls back to its end.
 */
export function cancelTimeOf(t: Pick<TaskView, 'state' | 'failure_reason' | 'cancel_requested_at' | 'finished_at'>): string | undefined {
  const state = astraStateOf(t.state, t.failure_reason);
  if (state === 'cancelling') return t.cancel_requested_at ?? undefined;
  if (state === 'cancelled') return t.cancel_requested_at ?? t.finished_at ?? undefined;
  return undefined;
}

export function presentAstraTask(t: TaskView): AstraTask {
  const state = astraStateOf(t.state, t.failure_reason);
  const task: AstraTask = {
    type: ASTRA_TASK_TYPE,
    version: ASTRA_TASK_VERSION,
    id: t.guid,
    name: taskNameOf(t.parent_task_guid),
    summary: summaryOf(t.name),
    description: descriptionOf(t),
    service: 'taskd',
    resourceID: t.app_guid,
    resourceURI: resourceUriOf(t.app_guid),
    resourceCollectionURI: [resourceCollectionUriOf(t.app_guid)],
    state,
    stateTransitions: STATE_TRANSITIONS,
    stateDetails:
      state === 'failed' ? [{ type: STATE_DETAIL_TYPE, title: STATE_DETAIL_TITLE, detail: t.failure_reason ?? UNKNOWN_FAILURE }] : [],
    metadata: {
      labels: t.labels.map((l) => ({ name: l.key, value: l.value })),
      creationTimestamp: t.created_at,
      modificationTimestamp: t.updated_at,
      createdBy: t.created_by ?? NULL_UUID,
    },
  };
  // Optional fields are left out, not null, as Astra's schema has them.
  if (t.parent_task_guid !== null) task.parentTaskID = t.parent_task_guid;
  if (t.created_by !== null) task.userID = t.created_by;
  const percentDone = percentDoneOf(t);
  if (percentDone !== undefined) task.percentDone = percentDone;
  if (t.started_at) task.startTime = t.started_at;
  if (t.finished_at) task.endTime = t.finished_at;
  const cancelTime = cancelTimeOf(t);
  if (cancelTime) task.cancelTime = cancelTime;
  // Keys in the object's documented order, optional ones in their place.
  return Object.fromEntries(ASTRA_TASK_FIELDS.filter((f) => f in task).map((f) => [f, task[f as keyof AstraTask]])) as unknown as AstraTask;
}

/** The `include` form of a task: the named fields' values in the order named, null where absent. */
export function projectAstraTask(task: AstraTask, fields: readonly string[]): unknown[] {
  return fields.map((f) => (task as unknown as Record<string, unknown>)[f] ?? null);
}
