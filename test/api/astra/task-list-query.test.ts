// The Astra query parser on its own: what TaskQuery each request becomes. Composed-text filters
// are checked by evaluating their conditions against rows and comparing with the presented text.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskCondition } from '../../../src/core/task-query.js';
import { parseTaskListQuery } from '../../../src/api/astra/messages/task-list-query.js';
import { parseFilter } from '../../../src/api/astra/messages/filter.js';
import { templateContains, templateEquals, type Piece } from '../../../src/api/astra/messages/templates.js';
import type { Cond } from '../../../src/api/astra/messages/conditions.js';
import { encodeContinue, queryFingerprint } from '../../../src/api/astra/messages/continue-token.js';
import { negotiate } from '../../../src/api/astra/media-types.js';
import { AstraProblem } from '../../../src/api/astra/problems.js';

const ACCOUNT = '6f1c1a9e-3d1b-4c53-9d59-3b7d3c1e0a11';
const inAccount: TaskCondition = { field: 'organization_guid', op: 'eq', value: ACCOUNT };

type Row = Record<string, string | number | null>;

/** TaskQuery's semantics over one row, for the operators the Astra parser emits. */
function matches(row: Row, c: Cond): boolean {
  if (typeof c === 'boolean') return c;
  switch (c.op) {
    case 'and':
      return c.conditions.every((x) => matches(row, x));
    case 'or':
      return c.conditions.some((x) => matches(row, x));
    case 'not':
      return !matches(row, c.condition);
    case 'contains':
      return row[c.field] !== null && String(row[c.field]).includes(c.value);
    case 'eq':
      return c.value === null ? row[c.field] === null : row[c.field] === c.value;
    case 'ne':
      return row[c.field] !== c.value;
    default:
      throw new Error(`unexpected ${c.op}`);
  }
}

function problemOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AstraProblem) return err.problem;
    throw err;
  }
  return undefined;
}

describe('Astra task list query → TaskQuery', () => {
  test('no parameters: the account, oldest first, no limit', () => {
    const q = parseTaskListQuery({}, ACCOUNT);
    assert.deepEqual(q.where, [inAccount]);
    assert.deepEqual(q.order, [{ field: 'created_at', direction: 'asc' }]);
    assert.equal(q.limit, undefined);
    assert.equal(q.count, false);
    assert.equal(q.include, undefined);
  });

  test('a state filter becomes the core states that show it', () => {
    const q = parseTaskListQuery({ filter: "state in 'ing'" }, ACCOUNT);
    assert.deepEqual(q.where[1], {
      op: 'or',
      conditions: [
        { field: 'state', op: 'eq', value: 'RUNNING' },
        { field: 'state', op: 'eq', value: 'PAUSING' },
        { field: 'state', op: 'eq', value: 'CANCELING' },
      ],
    });
  });

  test('a filter no task can pass becomes a condition nothing satisfies; one every task passes disappears', () => {
    assert.deepEqual(parseTaskListQuery({ filter: "version eq '1.0'" }, ACCOUNT).where, [
      inAccount,
      { field: 'id', op: 'eq', value: null },
    ]);
    assert.deepEqual(parseTaskListQuery({ filter: "service eq 'taskd'" }, ACCOUNT).where, [inAccount]);
  });

  test('repeated filters and comma-joined clauses are one AND', () => {
    const q = parseTaskListQuery(
      { filter: ["id eq 'A'", "startTime gt '2024-01-01T00:00:00Z',endTime lt '2024-01-02T00:00:00.25Z'"] },
      ACCOUNT,
    );
    assert.deepEqual(q.where[1], {
      op: 'and',
      conditions: [
        { field: 'guid', op: 'eq', value: 'a' },
        { field: 'started_at', op: 'gt', value: '2024-01-01T00:00:00.000Z' },
        { field: 'finished_at', op: 'lt', value: '2024-01-02T00:00:00.250Z' },
      ],
    });
  });

  test('the filter grammar: quoted values keep commas and spaces, [*] is dropped from paths', () => {
    assert.deepEqual(parseFilter("a.b[*].c eq 'x, y',d in 'z'"), [
      { path: 'a.b.c', op: 'eq', value: 'x, y' },
      { path: 'd', op: 'in', value: 'z' },
    ]);
  });

  test('limit, include, count', () => {
    const q = parseTaskListQuery({ limit: '25', include: 'id,state', count: 'true' }, ACCOUNT);
    assert.equal(q.limit, 25);
    assert.deepEqual(q.include, ['id', 'state']);
    assert.equal(q.count, true);
  });

  test('problems: 6 for unknown parameters, 5 for bad values', () => {
    assert.equal(
      problemOf(() => parseTaskListQuery({ skip: '1' }, ACCOUNT)),
      6,
    );
    assert.equal(
      problemOf(() => parseTaskListQuery({ limit: '0' }, ACCOUNT)),
      5,
    );
    assert.equal(
      problemOf(() => parseTaskListQuery({ include: 'nope' }, ACCOUNT)),
      5,
    );
    assert.equal(
      problemOf(() => parseTaskListQuery({ filter: 'state eq x' }, ACCOUNT)),
      5,
    );
    assert.equal(
      problemOf(() => parseTaskListQuery({ continue: '!!' }, ACCOUNT)),
      5,
    );
    assert.equal(
      problemOf(() => parseTaskListQuery({ filter: `description in '${'x'.repeat(4096)}'` }, ACCOUNT)),
      5,
    );
    // A value that splits across the description's parts in too many ways is refused, not run.
    assert.equal(
      problemOf(() => parseTaskListQuery({ filter: `description in '${' (#1) of app '.repeat(100)}'` }, ACCOUNT)),
      5,
    );
  });

  test('a continue token resumes after its position only on the query it came from', () => {
    const filter = "state eq 'running'";
    const token = encodeContinue(queryFingerprint(ACCOUNT, [filter]), ['2024-01-01T00:00:00.000Z', 42]);
    assert.deepEqual(parseTaskListQuery({ filter, continue: token }, ACCOUNT).after, ['2024-01-01T00:00:00.000Z', 42]);
    assert.equal(
      problemOf(() => parseTaskListQuery({ continue: token }, ACCOUNT)),
      5,
    );
    const wrongShape = encodeContinue(queryFingerprint(ACCOUNT, [filter]), [42, '2024']);
    assert.equal(
      problemOf(() => parseTaskListQuery({ filter, continue: wrongShape }, ACCOUNT)),
      5,
    );
  });
});

describe('composed-text filters agree with the presented text', () => {
  const DESCRIPTION: Piece[] = [
    'Task ',
    { field: 'name' },
    ' (#',
    { field: 'sequence_id', numeric: true },
    ') of app ',
    { field: 'app_name' },
  ];
  const describeRow = (r: Row) => `Task ${r.name} (#${r.sequence_id}) of app ${r.app_name}`;
  // Names that themselves look like parts of the description.
  const rows: Row[] = [
    { name: 'migrate', sequence_id: 4, app_name: 'web' },
    { name: 'x (#1) of app y', sequence_id: 12, app_name: 'z' },
    { name: 'a', sequence_id: 1, app_name: ') of app b' },
    { name: 'Task ', sequence_id: 100, app_name: 'Task ' },
  ];

  test('equality matches exactly the rows whose description is the value', () => {
    const values = [
      ...rows.map(describeRow),
      'Task x (#1) of app y (#12) of app z',
      'Task migrate (#04) of app web',
      'Task migrate (#4) of app we',
      'Task ',
      '',
    ];
    for (const value of values) {
      for (const row of rows)
        assert.equal(
          matches(row, templateEquals(DESCRIPTION, value)),
          describeRow(row) === value,
          `${JSON.stringify(value)} vs ${describeRow(row)}`,
        );
    }
  });

  test('contains never misses a row; it is exact unless the value begins or ends part-way into a column', () => {
    // These begin or end inside a name, number or app name: TaskQuery has no starts/ends-with.
    const approximate = new Set(['e (#4', '1) of app y (#12', 'of app b']);
    const values = ['ask', 'migrate', ' (#', '(#4) of', '#1', ') of app ) of', 'web', 'nothing like it', ...approximate];
    for (const value of values) {
      for (const row of rows) {
        const truth = describeRow(row).includes(value);
        const got = matches(row, templateContains(DESCRIPTION, value));
        if (truth) assert.ok(got, `${JSON.stringify(value)} in ${describeRow(row)}`);
        if (!approximate.has(value)) assert.equal(got, truth, `${JSON.stringify(value)} vs ${describeRow(row)}`);
      }
    }
  });
});

describe('Accept negotiation', () => {
  const own = 'application/astra-task+json';
  test('no Accept, */*, application/* and application/json answer application/json', () => {
    for (const accept of [undefined, '', '*/*', 'application/*', 'application/json', 'text/html, application/json;q=0.9']) {
      assert.equal(negotiate(accept, own), 'application/json', String(accept));
    }
  });
  test('the resource type is echoed; q=0 refuses; anything else is problem 32', () => {
    assert.equal(negotiate(`${own}, */*`, own), own);
    assert.equal(
      problemOf(() => negotiate('text/html', own)),
      32,
    );
    assert.equal(
      problemOf(() => negotiate('application/json;q=0', own)),
      32,
    );
  });
});
