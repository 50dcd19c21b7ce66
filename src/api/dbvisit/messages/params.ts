// The bodies of Dbvisit's JSON-RPC-style calls, {"params":{…}} (specs/dialects.md §3.1, §5),
// checked here so that every refusal names the field and what it must be. Fields other than the
// documented ones are refused rather than ignored: a misspelt filter must not silently list
// everything.
import type { TaskCondition, TaskQuery } from '../../../core/task-query.js';
import { badRequest } from '../errors.js';

export interface TaskListParams {
  /** The app's integer id; absent (or 0, "all configurations") lists every app's tasks. */
  configurationId?: number;
  /** Also list dismissed tasks. */
  showHidden: boolean;
}

export interface TaskIdParams {
  taskId: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `params` object of a body; an absent body or absent params is an empty one. */
function paramsOf(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isObject(body)) throw badRequest('the request body must be a JSON object: {"params":{…}}');
  const extra = Object.keys(body).filter((k) => k !== 'params');
  if (extra.length) throw badRequest(`unknown field in the request body: ${extra[0]} (only "params" is accepted)`);
  if (body.params === undefined) return {};
  if (!isObject(body.params)) throw badRequest('params must be a JSON object');
  const unknown = Object.keys(body.params).filter((k) => !allowed.includes(k));
  if (unknown.length) throw badRequest(`unknown parameter: params.${unknown[0]} (accepted: ${allowed.join(', ')})`);
  return body.params;
}

/** An int64 as JSON carries it: a whole number, and here never negative. */
function nonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest(`params.${name} must be a non-negative integer`);
  return value;
}

export function parseTaskListParams(body: unknown): TaskListParams {
  const params = paramsOf(body, ['configuration_id', 'show_hidden']);
  const out: TaskListParams = { showHidden: false };
  if (params.configuration_id !== undefined) {
    const id = nonNegativeInteger(params.configuration_id, 'configuration_id');
    if (id !== 0) out.configurationId = id;
  }
  if (params.show_hidden !== undefined) {
    if (typeof params.show_hidden !== 'boolean') throw badRequest('params.show_hidden must be a boolean (true or false)');
    out.showHidden = params.show_hidden;
  }
  return out;
}

/** /task/show and /task/dismiss: `{"params":{"task_id":N}}`. */
export function parseTaskIdParams(body: unknown): TaskIdParams {
  const params = paramsOf(body, ['task_id']);
  if (params.task_id === undefined) throw badRequest('params.task_id is required');
  return { taskId: nonNegativeInteger(params.task_id, 'task_id') };
}

/** The list as a task query: newest first (task_id descending), dismissed tasks only if asked. */
export function taskListQuery(params: TaskListParams): TaskQuery {
  const where: TaskCondition[] = [];
  if (params.configurationId !== undefined) where.push({ field: 'app_id', op: 'eq', value: params.configurationId });
  if (!params.showHidden) where.push({ field: 'dismissed_by', op: 'eq', value: null });
  return { where, order: [{ field: 'id', direction: 'desc' }] };
}
