// GET /v3/processes/:guid/sidecars: taskd runs no sidecars, so an empty list in CF's shape, which
// `cf app` and `cf push` read for each process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfError, describeEachStore } from '../support/harness.js';
import { emptyCfList } from '../support/cf-lists.js';
import { ROLES, sharedRoleMatrix } from '../support/role-matrix.js';
import { appWithCurrentDroplet } from '../droplets/helpers.js';

const BAD_QUERY = ['CF-BadQueryParameter', 10005] as const;

describeEachStore('process sidecars', (h) => {
  const matrix = sharedRoleMatrix(h);

  async function freshApp() {
    const org = await h.org();
    const space = await h.space(org.guid);
    return (await appWithCurrentDroplet(h, space.guid)).app;
  }

  test('an empty list with CF pagination', async () => {
    const app = await freshApp();
    const res = await h.get(`/v3/processes/${app.guid}/sidecars`);
    assert.equal(res.status, 200, res.text);
    const url = `https://api.example.org/v3/processes/${app.guid}/sidecars`;
    assert.deepEqual(res.body, emptyCfList(url));
  });

  test('links keep paging and ordering but, as in CF, not the filters', async () => {
    const app = await freshApp();
    const url = `https://api.example.org/v3/processes/${app.guid}/sidecars`;
    const res = await h.get(`/v3/processes/${app.guid}/sidecars?page=3&per_page=2&order_by=-created_at&guids=a,b`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.pagination, {
      total_results: 0,
      total_pages: 1,
      first: { href: `${url}?order_by=-created_at&page=1&per_page=2` },
      last: { href: `${url}?order_by=-created_at&page=1&per_page=2` },
      next: null,
      previous: { href: `${url}?order_by=-created_at&page=2&per_page=2` },
    });
    assert.deepEqual(res.body.resources, []);
    const ordered = await h.get(`/v3/processes/${app.guid}/sidecars?order_by=updated_at&created_ats[lt]=2030-01-01T00:00:00Z`);
    assert.equal(ordered.body.pagination.first.href, `${url}?order_by=%2Bupdated_at&page=1&per_page=50`);
  });

  test("the query is checked as CF checks a sidecar list's, before the process is looked up", async () => {
    const app = await freshApp();
    const url = `/v3/processes/${app.guid}/sidecars`;
    cfError(
      await h.get(`${url}?types=web`),
      400,
      ...BAD_QUERY,
      "The query parameter is invalid: Unknown query parameter(s): 'types'. Valid parameters are: 'page', 'per_page', 'order_by', 'created_ats', 'updated_ats', 'guids'",
    );
    cfError(await h.get(`${url}?per_page=0`), 400, ...BAD_QUERY, 'The query parameter is invalid: Per page must be a positive integer');
    cfError(
      await h.get(`${url}?order_by=name`),
      400,
      ...BAD_QUERY,
      "The query parameter is invalid: Order by can only be: 'created_at', 'updated_at'",
    );
    cfError(await h.get('/v3/processes/no-such-process/sidecars?label_selector=a'), 400, ...BAD_QUERY);
    cfError(await h.get('/v3/processes/no-such-process/sidecars'), 404, 'CF-ResourceNotFound', 10010, 'Process not found');
  });

  test('every reader of the space may list them; others are told the process is not found', async () => {
    const m = await matrix();
    const { app } = await appWithCurrentDroplet(h, m.space.guid);
    for (const role of ROLES) {
      const res = await h.get(`/v3/processes/${app.guid}/sidecars`, m.tokens[role]);
      if (role === 'org_auditor' || role === 'no_role') cfError(res, 404, 'CF-ResourceNotFound', 10010, 'Process not found');
      else {
        assert.equal(res.status, 200, role);
        assert.deepEqual(res.body.resources, [], role);
      }
    }
  });
});
