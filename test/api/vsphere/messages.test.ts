// The list parsers on their own: both /rest query encodings and the /api body come to the same
// FilterSpec, and a FilterSpec to the TaskQuery the store runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { queryPairs } from '../../../src/api/vsphere/messages/query-pairs.js';
import { parseListQuery } from '../../../src/api/vsphere/messages/list-query.js';
import { parseListBody } from '../../../src/api/vsphere/messages/list-body.js';
import { toTaskListMessage } from '../../../src/api/vsphere/messages/task-list.js';
import { parseGetSpec } from '../../../src/api/vsphere/messages/get-spec.js';
import { VsphereError } from '../../../src/api/vsphere/errors.js';

const fromQuery = (query: string) => parseListQuery(queryPairs(`/rest/cis/tasks?${query}`));

function invalid(fn: () => unknown, mentions: string) {
  assert.throws(fn, (err: unknown) => err instanceof VsphereError && err.type === 'invalid_argument' && err.message.includes(mentions));
}

describe('vSphere list messages', () => {
  test('indexed lists are ordered by position, repeated keys follow in order given', () => {
    const { filter } = fromQuery('filter_spec.users.2=b&filter_spec.users=c&filter_spec.users.1=a&filter_spec.users=d');
    assert.deepEqual(filter.users, ['a', 'b', 'c', 'd']);
  });

  test('targets pair up by position; values are percent-decoded', () => {
    const { filter } = fromQuery(
      'filter_spec.targets.2.id=g%2F2&filter_spec.targets.1.type=app&filter_spec.targets.2.type=app&filter_spec.targets.1.id=g1',
    );
    assert.deepEqual(filter.targets, [
      { type: 'app', id: 'g1' },
      { type: 'app', id: 'g/2' },
    ]);
  });

  test('the query and the body give the same FilterSpec and ResultSpec', () => {
    const q = fromQuery(
      'filter_spec.services.1=taskd.task&filter_spec.status=RUNNING&filter_spec.targets.1.type=app&filter_spec.targets.1.id=a1&result_spec.return_all=true',
    );
    const b = parseListBody(
      JSON.stringify({
        filter_spec: { services: ['taskd.task'], status: ['RUNNING'], targets: [{ type: 'app', id: 'a1' }] },
        result_spec: { return_all: true },
      }),
    );
    assert.deepEqual(q, b);
    assert.deepEqual(q.result, { returnAll: true, excludeResult: false });
  });

  test('a FilterSpec becomes conditions on guid, state, app guid and creator, oldest first, one past the limit', () => {
    const msg = toTaskListMessage(
      fromQuery(
        'filter_spec.tasks=t1&filter_spec.status=BLOCKED&filter_spec.status=RUNNING&filter_spec.targets.1.type=app&filter_spec.targets.1.id=a1&filter_spec.users=ann',
      ),
    );
    assert.deepEqual(msg.query, {
      where: [
        { field: 'guid', op: 'in', values: ['t1'] },
        { field: 'state', op: 'in', values: ['PAUSING', 'PAUSED', 'RUNNING', 'CANCELING'] },
        { field: 'app_guid', op: 'in', values: ['a1'] },
        { field: 'created_by_name', op: 'in', values: ['ann'] },
      ],
      order: [{ field: 'id', direction: 'asc' }],
      limit: 1001,
    });
  });

  test('a filter no taskd task can meet asks the store nothing', () => {
    assert.equal(toTaskListMessage(fromQuery('filter_spec.services=com.vmware.vcenter.vm')).query, undefined);
    assert.equal(toTaskListMessage(fromQuery('filter_spec.services=taskd.task&filter_spec.operations=clone')).query, undefined);
    assert.equal(
      toTaskListMessage(fromQuery('filter_spec.tasks=t&filter_spec.targets.1.type=vm&filter_spec.targets.1.id=x')).query,
      undefined,
    );
    invalid(() => toTaskListMessage(fromQuery('filter_spec.services=other&filter_spec.status=DONE')), "'DONE'");
  });

  test('more than 1000 values for one field are refused', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `filter_spec.tasks=t${i}`).join('&');
    invalid(() => fromQuery(many), 'at most 1000');
    invalid(() => parseListBody(JSON.stringify({ filter_spec: { users: Array(1001).fill('u') } })), 'at most 1000');
  });

  test('get specs: /rest takes spec.*, /api also the flattened names', () => {
    assert.deepEqual(parseGetSpec(queryPairs('/x?spec.exclude_result=true'), 'rest'), { returnAll: false, excludeResult: true });
    assert.deepEqual(parseGetSpec(queryPairs('/x?return_all=true&spec.exclude_result=false'), 'api'), {
      returnAll: true,
      excludeResult: false,
    });
    invalid(() => parseGetSpec(queryPairs('/x?exclude_result=true'), 'rest'), "'exclude_result'");
  });
});
