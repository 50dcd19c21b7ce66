// What an error must look like in each API: its own envelope and content type, and nothing of
// taskd's insides (no HTML page, no stack trace). Which envelope applies is decided by the path
// the request named, as taskd decides it.
import type { RawResponse } from './raw-http.js';
import { apiOf, isUaaPath } from './routes.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

function cfProblem(body: Json): string | undefined {
  const errors = body.errors;
  if (!Array.isArray(errors) || errors.length === 0) return 'no errors[]';
  for (const e of errors) {
    if (!isObject(e) || !isString(e.detail) || !isString(e.title) || typeof e.code !== 'number')
      return 'an error without detail, title and code';
    if (e.title !== 'UnknownError' && !e.title.startsWith('CF-')) return `title ${e.title} is not CF-…`;
  }
  return undefined;
}

function astraProblem(body: Json, status: number): string | undefined {
  if (!isString(body.type) || !isString(body.title) || !isString(body.detail)) return 'no type, title and detail';
  if (body.status !== String(status)) return `status ${JSON.stringify(body.status)} != "${status}"`;
  return undefined;
}

function vsphereProblem(body: Json, wire: 'rest' | 'api'): string | undefined {
  const messagesOk = (m: unknown) =>
    Array.isArray(m) &&
    m.length > 0 &&
    m.every((x) => isObject(x) && isString(x.id) && isString(x.default_message) && Array.isArray(x.args));
  if (wire === 'rest') {
    if (!isString(body.type) || !body.type.startsWith('com.vmware.vapi.std.errors.')) return 'no com.vmware.vapi.std.errors type';
    if (!isObject(body.value) || !messagesOk(body.value.messages)) return 'no value.messages';
    return undefined;
  }
  if (!isString(body.error_type) || body.error_type !== body.error_type.toUpperCase()) return 'no upper-case error_type';
  if (!messagesOk(body.messages)) return 'no messages';
  return undefined;
}

/** Log cache's gateway errors: a gRPC status as JSON. */
function logCacheProblem(body: Json): string | undefined {
  if (typeof body.code !== 'number' || !isString(body.message) || !Array.isArray(body.details)) return 'no code, message and details';
  return undefined;
}

function dbvisitProblem(body: Json): string | undefined {
  if (body.successful !== false) return 'successful is not false';
  if (!isObject(body.error) || !isString(body.error.message)) return 'no error.message';
  if ('result' in body) return 'an error with a result';
  return undefined;
}

/** What is wrong with an error answer to a request for `target`, or undefined when it is right. */
export function envelopeProblem(target: string, res: RawResponse): string | undefined {
  const text = res.body.toString('utf8');
  if (/<html|<!doctype/i.test(text)) return 'an HTML page';
  if (/\n\s+at .+\(.*:\d+:\d+\)/.test(text) || /node_modules|\/src\/.*\.ts/.test(text)) return 'a stack trace or source path';
  const type = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const api = apiOf(target);
  // Log cache's auth proxy answers a source the caller may not read with a bare 404.
  if (api === 'logcache' && res.status === 404 && text === '') return undefined;
  const wanted = api === 'astra' ? 'application/problem+json' : 'application/json';
  if (type !== wanted) return `content type ${JSON.stringify(type)}, not ${wanted}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'a body that is not JSON';
  }
  if (!isObject(body)) return 'a body that is not a JSON object';
  switch (api) {
    case 'cf':
      // UAA's endpoints (/oauth/token and revocation, /Users/{id}/password) answer in UAA's own
      // {error, error_description}, as the cf CLI and UAA clients expect.
      if (isUaaPath(target) && isString(body.error) && isString(body.error_description)) return undefined;
      return cfProblem(body);
    case 'astra':
      return astraProblem(body, res.status);
    case 'vsphere':
      return vsphereProblem(body, target.startsWith('/rest') ? 'rest' : 'api');
    case 'dbvisit':
      return dbvisitProblem(body);
    case 'logcache':
      return logCacheProblem(body);
  }
}
