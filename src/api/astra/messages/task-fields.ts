// What each filterable field of Astra's task object is in the core model: a filter on it becomes
// a condition on task columns (run in SQL) or, where the field does not depend on the row, a
// constant. Every scalar field is here, as are the metadata ones (specs/dialects.md §5).
import type { TaskQueryField } from '../../../core/task-query.js';
import { invalidQuery } from '../problems.js';
import { and, compare, holds, isNull, notNull, or, type Cond, type FilterOp } from './conditions.js';
import { prefixedCompare, templateContains, templateEquals, type Piece } from './templates.js';
import { ASTRA_STATE_CONDITIONS, ASTRA_STATES, STATE_TRANSITIONS } from '../states.js';
import {
  ASTRA_TASK_TYPE,
  ASTRA_TASK_VERSION,
  NULL_UUID,
  STATE_DETAIL_TITLE,
  STATE_DETAIL_TYPE,
  UNKNOWN_FAILURE,
} from '../presenters/task.js';

type Compile = (op: FilterOp, value: string, path: string) => Cond;

/** Astra's time format; compared as instants, not as text. */
const ASTRA_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * A time value in the stored form (milliseconds). Stored times have millisecond precision, so a
 * finer value is rounded down and the operator adjusted: `t > 10.4567` is `t > 10.456`, `t < 10.4567`
 * is `t <= 10.456`, and `t = 10.4567` matches nothing.
 */
function timeCompare(field: TaskQueryField, op: FilterOp, value: string, path: string): Cond {
  if (op === 'in') return compare(field, op, value);
  const m = ASTRA_TIME.exec(value);
  const ms = m ? Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`) : NaN;
  // Date.parse rolls 2024-02-30 over into March: a real date formats back to itself.
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== m[1])
    throw invalidQuery('filter', `'${value}' is not a time of the form YYYY-MM-DDThh:mm:ss[.fraction]Z for ${path}`);
  const stored = new Date(ms).toISOString();
  const finer = /[1-9]/.test((m[2] ?? '').slice(3));
  if (!finer) return compare(field, op, stored);
  if (op === 'eq') return false;
  const adjusted = op === 'lt' ? 'lte' : op === 'gte' ? 'gt' : op;
  return compare(field, adjusted, stored);
}

function numberValue(value: string, path: string): number {
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(value)) throw invalidQuery('filter', `'${value}' is not a number for ${path}`);
  return Number(value);
}

/** Task guids, user guids and app guids are stored in lower case. */
const uuidColumn =
  (field: TaskQueryField): Compile =>
  (op, value) =>
    compare(field, op, value.toLowerCase());
const timeColumn =
  (field: TaskQueryField): Compile =>
  (op, value, path) =>
    timeCompare(field, op, value, path);

/** A field that is the same on every task: the filter is true or false outright. */
const constant =
  (shown: string): Compile =>
  (op, value) =>
    holds(shown, op, value);

/** A field with a few possible values, each shown by the rows matching a condition. */
const enumerated =
  (values: [string, Cond][]): Compile =>
  (op, value) =>
    or(...values.filter(([shown]) => holds(shown, op, value)).map(([, cond]) => cond));

/** An array field (`[*]`): matches when any element does. */
const anyOf =
  (elements: readonly string[]): Compile =>
  (op, value) =>
    elements.some((e) => holds(e, op, value));

/** A composed text: eq and in only, ordering on it is not offered. */
const composed =
  (pieces: readonly Piece[]): Compile =>
  (op, value, path) => {
    if (op === 'eq') return templateEquals(pieces, value);
    if (op === 'in') return templateContains(pieces, value);
    throw invalidQuery('filter', `${path} can be filtered with eq or in only`);
  };

const APP_URI: Piece[] = ['/v3/apps/', { field: 'app_guid' }];
const APP_TASKS_URI: Piece[] = ['/v3/apps/', { field: 'app_guid' }, '/tasks'];
const DESCRIPTION: Piece[] = [
  'Task ',
  { field: 'name' },
  ' (#',
  { field: 'sequence_id', numeric: true },
  ') of app ',
  { field: 'app_name' },
];

const succeeded = { field: 'state', op: 'eq', value: 'SUCCEEDED' } as const;
const notSucceeded = { field: 'state', op: 'ne', value: 'SUCCEEDED' } as const;

/**
 * The summary is the task's name cut to 63 characters and padded to 3 with dots. Equality
 * undoes the padding exactly; a 63-character value also matches longer names containing it (TaskQuery
 * has no starts-with). Ordering and "contains" compare the name itself.
 */
const summary: Compile = (op, value) => {
  if (op !== 'eq') return compare('name', op, value);
  if (value.length < 3 || value.length > 63) return false;
  const names = [value];
  for (let cut = value; cut.endsWith('.') && cut.length > 1 && value.length === 3;) names.push((cut = cut.slice(0, -1)));
  const exact: Cond[] = names.map((n) => ({ field: 'name', op: 'eq', value: n }));
  if (value.length === 63) exact.push({ field: 'name', op: 'contains', value });
  return or(...exact);
};

/**
 * 100 once completed, else what the task last reported (absent when it never did). Reports are
 * whole percents, so a fractional bound is moved to the whole number with the same matches.
 */
const percentDone: Compile = (op, value, path) => {
  if (op === 'in') return or(and(succeeded, holds(100, op, value)), and(notSucceeded, compare('progress_percent', op, value)));
  const bound = numberValue(value, path);
  const whole = Math.floor(bound);
  const reported: Cond =
    whole === bound
      ? compare('progress_percent', op, bound)
      : op === 'eq'
        ? false
        : compare('progress_percent', op === 'lt' || op === 'lte' ? 'lte' : 'gt', whole);
  return or(and(succeeded, holds(100, op, bound)), and(notSucceeded, reported));
};

/** The cancel request's time on cancelling and cancelled tasks (a cancelled row without it: its end). */
const cancelTime: Compile = (op, value, path) =>
  or(
    and(or(ASTRA_STATE_CONDITIONS.cancelling, ASTRA_STATE_CONDITIONS.cancelled), timeCompare('cancel_requested_at', op, value, path)),
    and(ASTRA_STATE_CONDITIONS.cancelled, isNull('cancel_requested_at'), timeCompare('finished_at', op, value, path)),
  );

/** The creator's guid, or the null UUID for tasks no user created. */
const createdBy: Compile = (op, value) => {
  const v = value.toLowerCase();
  return or(and(isNull('created_by'), holds(NULL_UUID, op, v)), compare('created_by', op, v));
};

/** stateDetails exist on failed tasks only: one entry, its detail the failure reason. */
const failedWith =
  (compile: Compile): Compile =>
  (op, value, path) =>
    and(ASTRA_STATE_CONDITIONS.failed, compile(op, value, path));

/** A label name: present on the task; only equality has a meaning TaskQuery can express. */
const labelName: Compile = (op, value, path) => {
  if (op !== 'eq') throw invalidQuery('filter', `${path} can be filtered with eq only`);
  return { op: 'label', key: value };
};

export const FILTERABLE: Record<string, Compile> = {
  type: constant(ASTRA_TASK_TYPE),
  version: constant(ASTRA_TASK_VERSION),
  id: uuidColumn('guid'),
  name: enumerated([
    ['taskd.task', isNull('parent_task_guid')],
    ['taskd.subtask', notNull('parent_task_guid')],
  ]),
  summary,
  description: composed(DESCRIPTION),
  service: constant('taskd'),
  parentTaskID: uuidColumn('parent_task_guid'),
  userID: uuidColumn('created_by'),
  resourceID: uuidColumn('app_guid'),
  resourceURI: (op, value, path) =>
    op === 'eq' || op === 'in' ? composed(APP_URI)(op, value, path) : prefixedCompare('/v3/apps/', 'app_guid', op, value),
  resourceCollectionURI: composed(APP_TASKS_URI),
  state: enumerated(ASTRA_STATES.map((s) => [s, ASTRA_STATE_CONDITIONS[s]])),
  'stateTransitions.from': anyOf(STATE_TRANSITIONS.map((t) => t.from)),
  'stateTransitions.to': anyOf([...new Set(STATE_TRANSITIONS.flatMap((t) => t.to))]),
  'stateDetails.type': failedWith(constant(STATE_DETAIL_TYPE)),
  'stateDetails.title': failedWith(constant(STATE_DETAIL_TITLE)),
  'stateDetails.detail': failedWith((op, value) =>
    or(and(isNull('failure_reason'), holds(UNKNOWN_FAILURE, op, value)), compare('failure_reason', op, value)),
  ),
  // taskd orders no siblings and records no modifier: no task has these, so no filter matches.
  orderHint: () => false,
  'metadata.modifiedBy': () => false,
  percentDone,
  startTime: timeColumn('started_at'),
  endTime: timeColumn('finished_at'),
  cancelTime,
  'metadata.creationTimestamp': timeColumn('created_at'),
  'metadata.modificationTimestamp': timeColumn('updated_at'),
  'metadata.createdBy': createdBy,
  'metadata.labels.name': labelName,
};

/** One filter clause as a condition; an unknown field is problem 5. */
export function fieldCondition(path: string, op: FilterOp, value: string): Cond {
  const compile = Object.hasOwn(FILTERABLE, path) ? FILTERABLE[path] : undefined;
  if (!compile) throw invalidQuery('filter', `'${path}' is not a field that tasks can be filtered on`);
  return compile(op, value, path);
}
