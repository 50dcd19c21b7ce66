// TypeBox descriptions of the vSphere routes, for the OpenAPI document. Validation stays in
// messages/ (the server validates no schema), so these describe and do not enforce.
import { Type, type TSchema } from 'typebox';

const TAGS = ['vsphere'];

export const TaskParams = Type.Object({ task: Type.String({ description: 'Task id (the task guid)' }) });

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);

const filterQuery = {
  'filter_spec.tasks': Type.Optional(Type.Array(Type.String(), { description: 'Task ids; also filter_spec.tasks.1, .2, ...' })),
  'filter_spec.services': Type.Optional(Type.Array(Type.String(), { description: 'Services (taskd.task); also numbered' })),
  'filter_spec.operations': Type.Optional(Type.Array(Type.String(), { description: 'Operations (run); also numbered' })),
  'filter_spec.status': Type.Optional(
    Type.Array(Type.String(), { description: 'PENDING, RUNNING, BLOCKED, SUCCEEDED, FAILED; also numbered' }),
  ),
  'filter_spec.users': Type.Optional(Type.Array(Type.String(), { description: 'Creators by username; also numbered' })),
  'filter_spec.targets.1.type': Type.Optional(Type.String({ description: 'Target type (app); targets are numbered from 1' })),
  'filter_spec.targets.1.id': Type.Optional(Type.String({ description: 'Target id (app guid)' })),
  'result_spec.return_all': Type.Optional(Bool),
  'result_spec.exclude_result': Type.Optional(Bool),
};

export const ListQuery = Type.Object(filterQuery);

const DynamicId = Type.Object({ type: Type.String(), id: Type.String() });
const GetSpec = Type.Object({ return_all: Type.Optional(Type.Boolean()), exclude_result: Type.Optional(Type.Boolean()) });

export const ListBody = Type.Object({
  filter_spec: Type.Optional(
    Type.Object({
      tasks: Type.Optional(Type.Array(Type.String())),
      services: Type.Optional(Type.Array(Type.String())),
      operations: Type.Optional(Type.Array(Type.String())),
      status: Type.Optional(Type.Array(Type.String())),
      targets: Type.Optional(Type.Array(DynamicId)),
      users: Type.Optional(Type.Array(Type.String())),
    }),
  ),
  result_spec: Type.Optional(GetSpec),
});

export const RestGetQuery = Type.Object({ 'spec.return_all': Type.Optional(Bool), 'spec.exclude_result': Type.Optional(Bool) });
export const ApiGetQuery = Type.Object({
  return_all: Type.Optional(Bool),
  exclude_result: Type.Optional(Bool),
  'spec.return_all': Type.Optional(Bool),
  'spec.exclude_result': Type.Optional(Bool),
});

export const actionQuery = (actions: string[], rest: boolean) =>
  Type.Object({
    action: Type.Optional(Type.Union(actions.map((a) => Type.Literal(a)))),
    ...(rest ? { '~action': Type.Optional(Type.Union(actions.map((a) => Type.Literal(a)))) } : {}),
  });

export const sessionHeaders = Type.Object({ 'vmware-api-session-id': Type.Optional(Type.String()) });

export function routeSchema(summary: string, parts: { querystring?: TSchema; params?: TSchema; body?: TSchema; headers?: TSchema } = {}) {
  return { tags: TAGS, summary, ...parts };
}
