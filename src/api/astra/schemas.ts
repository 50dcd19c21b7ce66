// TypeBox schemas of the Astra routes: they describe the wire for the OpenAPI document; the
// message parsers do the checking (with Astra's own problems), as the server disables validation.
import { Type } from 'typebox';

const AstraId = (description: string) => Type.String({ format: 'uuid', description });

export const TaskListParams = Type.Object({ account_id: AstraId('The account: a taskd organization guid') });

export const TaskParams = Type.Object({
  account_id: AstraId('The account: a taskd organization guid'),
  task_id: AstraId('The task guid'),
});

export const TaskListQuerystring = Type.Object({
  filter: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String())], {
      description: "`<field> <eq|lt|gt|lte|gte|in> '<value>'`, comma-separated; repeated filters are AND-ed; `in` means contains",
    }),
  ),
  include: Type.Optional(
    Type.String({
      pattern: '^([0-9a-zA-Z]+)(,[0-9a-zA-Z]+)*$',
      description: 'Answer each task as an array of these fields, in this order',
    }),
  ),
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]*)$', description: 'Most tasks in the answer; without it, every match' })),
  continue: Type.Optional(Type.String({ description: "The previous answer's metadata.continue, with the same filters" })),
  count: Type.Optional(Type.Literal('true', { description: 'Add metadata.count: every match before limit' })),
});

export const TAGS = ['astra'];
