// TypeBox descriptions of the Dbvisit routes, for the OpenAPI document. Validation stays in
// messages/ (the server validates no schema), so these describe and do not enforce.
import { Type, type TSchema } from 'typebox';

const TAGS = ['dbvisit'];

const Time = Type.String({ description: 'RFC 3339 UTC with nanoseconds, e.g. 2024-07-31T13:57:42.123000000Z; "" where none' });

export const DbvisitTaskSchema = Type.Object({
  configuration_id: Type.Integer({ minimum: 0, description: "The app's integer id" }),
  configuration_name: Type.String({ description: "The app's name" }),
  task_id: Type.Integer({ description: "The task's integer id" }),
  hidden_by: Type.String({ description: 'Username of who dismissed the task; "" if not dismissed' }),
  dismissed_by: Type.String({ description: 'Same as hidden_by (both names are in use)' }),
  finished: Type.String({ description: 'When the task finished (RFC 3339, nanoseconds); "" until it has' }),
  messages: Type.Array(Type.Object({ message: Type.String(), time: Time }), { description: "The task's messages, oldest first" }),
  performed_by: Type.String({ description: "The creator's username" }),
  started: Type.String({ description: 'When the task started; "" if it never did' }),
  state: Type.Union([Type.Literal('In Progress'), Type.Literal('End'), Type.Literal('Failed'), Type.Literal('Dismissed')]),
  title: Type.String({ description: "The task's name" }),
  updated: Time,
});

const errorEnvelope = (description: string) =>
  Type.Object({ successful: Type.Literal(false), error: Type.Object({ message: Type.String() }) }, { description });
const success = (result: TSchema) =>
  Type.Object({ successful: Type.Literal(true), result }, { description: 'Success: the result, no error' });

export const ListBody = Type.Object({
  params: Type.Optional(
    Type.Object({
      configuration_id: Type.Optional(
        Type.Integer({ minimum: 0, description: "Only this app's tasks (its integer id); 0 or absent: all" }),
      ),
      show_hidden: Type.Optional(Type.Boolean({ description: 'Also list dismissed tasks (default false)' })),
    }),
  ),
});

export const TaskIdBody = Type.Object({ params: Type.Object({ task_id: Type.Integer({ minimum: 0 }) }) });

/** What a route documents: tag, summary, body, and the envelopes it answers with. */
export function routeSchema(summary: string, description: string, body: TSchema, result: TSchema) {
  return {
    tags: TAGS,
    summary,
    description,
    body,
    response: {
      200: success(result),
      400: errorEnvelope('A bad body or parameter, or an unknown task (also one the caller may not read)'),
      401: errorEnvelope('No credentials, or wrong ones'),
    },
  };
}

export const TaskListResult = Type.Object({ tasks: Type.Array(DbvisitTaskSchema) });
