// CF's task lists (GET /v3/tasks, GET /v3/apps/:guid/tasks; spec §5) as the shared TaskQuery:
// CF's allowed parameters, and its filters, order and page number in the dialect-neutral terms
// that fetchers/task-query.ts runs for every dialect.
import { renderKey, type LabelRequirement } from '../../../core/labels.js';
import type { TimeFilter, TimeRange } from '../../../core/list-query.js';
import type { TaskCondition, TaskOrder, TaskPageNumber, TaskQuery, TaskQueryField } from '../../../core/task-query.js';
import { storedStatesMatching } from '../states.js';
import type { CfListQuery, ListSpec } from './list-query.js';
import { PAGED } from './list-specs.js';

// CF's registration order (spec §5); it appears in the unknown-parameter message.
const ALLOWED = [
  ...PAGED,
  'guids',
  'names',
  'states',
  'app_guids',
  'organization_guids',
  'space_guids',
  'app_guid',
  'sequence_ids',
  'label_selector',
] as const;

/**
 * GET /v3/tasks: sequence ids are per app, so they only mean something under one. `app_guid` is
 * CF's internal carrier of the nested route's app; here taskd treats it as unknown (spec §11).
 */
export const taskListSpec: ListSpec = { allowed: ALLOWED.filter((k) => k !== 'app_guid'), misplaced: ['sequence_ids'] };

/** GET /v3/apps/:guid/tasks: the app is given, so app/space/org filters are out of place. */
export const appTaskListSpec: ListSpec = {
  allowed: ALLOWED,
  misplaced: ['space_guids', 'organization_guids', 'app_guids'],
  integerLists: { sequence_ids: 'Sequence ids must be integers' },
};

/** Comma-list parameters and the task fields they match (any of the values). */
const LIST_FIELDS: Record<string, TaskQueryField> = {
  guids: 'guid',
  app_guids: 'app_guid',
  space_guids: 'space_guid',
  organization_guids: 'organization_guid',
};

export type CfTaskQuery = TaskQuery & { page: TaskPageNumber };

/**
 * The parsed list as a TaskQuery, of one app's tasks when `appId` is given (the nested route;
 * the path, not the internal `app_guid` parameter, says which app).
 */
export function cfTaskQuery(list: CfListQuery, appId?: number): CfTaskQuery {
  const where: TaskCondition[] = appId === undefined ? [] : [{ field: 'app_id', op: 'eq', value: appId }];
  for (const [param, values] of Object.entries(list.lists)) {
    if (param === 'names') where.push({ field: 'name', op: 'in', values, ignoreCase: true });
    // `states` names CF's states; tasks hold taskd's (states=RUNNING is also PAUSING and PAUSED).
    else if (param === 'states') where.push({ field: 'state', op: 'in', values: storedStatesMatching(values) });
    // Checked to be integers by the spec; each may still be beyond any stored sequence id.
    else if (param === 'sequence_ids') where.push({ field: 'sequence_id', op: 'in', values: values.map(Number) });
    else if (LIST_FIELDS[param]) where.push({ field: LIST_FIELDS[param], op: 'in', values });
  }
  for (const [column, filter] of Object.entries(list.times)) where.push(...timeConditions(column as TaskQueryField, filter));
  for (const requirement of list.labelSelector ?? []) where.push(labelCondition(requirement));
  // CF presents labels with the annotations, read beside the page (in their own order).
  return { where, order: orderOf(list), page: { number: list.page, size: list.perPage }, withLabels: false };
}

/** Default: insertion order; else the timestamp, ties broken by guid in the same direction. */
function orderOf(list: CfListQuery): TaskOrder[] {
  if (!list.orderBy) return [{ field: 'id', direction: 'asc' }];
  const { column, direction } = list.orderBy;
  return [
    { field: column as TaskQueryField, direction },
    { field: 'guid', direction },
  ];
}

function timeConditions(field: TaskQueryField, filter: TimeFilter): TaskCondition[] {
  const range = (r: TimeRange): TaskCondition => ({
    op: 'and',
    conditions: [
      ...(r.from !== undefined ? [{ field, op: 'gte' as const, value: r.from }] : []),
      ...(r.to !== undefined ? [{ field, op: 'lt' as const, value: r.to }] : []),
    ],
  });
  return [
    ...(filter.anyOf ? [{ op: 'or' as const, conditions: filter.anyOf.map(range) }] : []),
    ...(filter.range ? [range(filter.range)] : []),
  ];
}

function labelCondition(req: LabelRequirement): TaskCondition {
  const key = renderKey(req.key);
  switch (req.op) {
    case 'in':
    case 'eq':
      return { op: 'label', key, value: req.values };
    case 'notin':
    case 'neq':
      return { op: 'not', condition: { op: 'label', key, value: req.values } };
    case 'exists':
      return { op: 'label', key };
    case 'notexists':
      return { op: 'not', condition: { op: 'label', key } };
  }
}
