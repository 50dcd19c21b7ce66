// Astra request helpers: paths, a GET with a bearer token and headers, and the problem+json check.
import assert from 'node:assert/strict';
import type { Harness, Response } from '../../support/harness.js';

export const tasksPath = (accountId: string, query = '') => `/accounts/${accountId}/core/v1/tasks${query ? `?${query}` : ''}`;
export const taskPath = (accountId: string, taskId: string) => `/accounts/${accountId}/core/v1/tasks/${taskId}`;

/** A GET as an Astra client sends it: `Authorization: Bearer <token>` (null: no Authorization). */
export function astraGet(
  h: Harness,
  url: string,
  token: string | null = h.admin.token,
  headers: Record<string, string> = {},
): Promise<Response> {
  return h.request('GET', url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

const DETAILS: Record<number, [number, string, string]> = {
  1: [404, 'Resource not found', "The resource specified in the request URI wasn't found."],
  3: [401, 'Missing bearer token', 'The request is missing the required bearer token.'],
  4: [401, 'Invalid bearer token', "The bearer token provided is invalid, revoked, or doesn't exist."],
  5: [400, 'Invalid query parameters', 'The supplied query parameters are invalid.'],
  6: [400, 'Query parameters not supported', "The supplied query parameters aren't supported for this endpoint."],
  11: [403, 'Operation not permitted', "The requested operation isn't permitted."],
  18: [404, 'Account not found', "The account isn't found."],
  32: [406, 'Unsupported content type', "The response can't be returned in the requested format."],
  33: [400, 'Invalid account ID', "The specified account ID isn't in the appropriate format."],
  35: [400, 'Invalid resource ID', "The resource ID isn't in the appropriate format."],
  69: [405, 'Method not supported', "The requested method isn't supported for the specified resource."],
};

/** Asserts an Astra problem: HTTP status, problem+json, and the exact type, title, detail and string status. */
export function assertProblem(res: Response, problem: number): void {
  const [status, title, detail] = DETAILS[problem];
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const { invalidParams: _params, ...rest } = res.body;
  assert.deepEqual(rest, { type: `https://astra.netapp.io/problems/${problem}`, title, detail, status: String(status) });
}

/** The names in a problem's invalidParams. */
export const invalidParamNames = (res: Response): string[] => (res.body.invalidParams ?? []).map((p: { name: string }) => p.name);
