// Check 4b of issue 8: every authenticated route of /openapi.json, in all four APIs, refuses every
// bad credential with a 401 in that API's own envelope and words.
import { FailureLog, type CheckOptions, type CheckReport, type ReliabilityCheck } from '../check.js';
import { badCredentials, type BadCredential } from '../fuzz/bad-credentials.js';
import { envelopeProblem } from '../fuzz/envelopes.js';
import { sendRaw, type RawResponse } from '../fuzz/raw-http.js';
import { fillPath, isUaaPath, routesOf, type ApiName, type Route } from '../fuzz/routes.js';
import { FuzzTarget } from '../fuzz/target.js';
import { validBody, validPathValue } from '../fuzz/valid-requests.js';

const WORKERS = 4;

export const TOKEN_CHECKED = [
  'every authenticated route of all four APIs answers 401 to every bad credential',
  'CF: CF-InvalidAuthToken, code 1000, "Invalid Auth Token" (CF-NotAuthenticated, code 10002, with none)',
  'Astra: problem+json 4 "Invalid bearer token" (3 "Missing bearer token" with none)',
  'vSphere: unauthenticated, in the /rest or /api envelope; Dbvisit: {successful:false,error} with a WWW-Authenticate header',
  'log cache: {code: 16 (UNAUTHENTICATED), message, details}',
];

/** What is wrong with the answer to a bad credential, or undefined when it is the right 401. */
export function refusalProblem(api: ApiName, target: string, bad: BadCredential, res: RawResponse): string | undefined {
  if (res.status !== 401) return `status ${res.status}, not 401`;
  const envelope = envelopeProblem(target, res);
  if (envelope) return envelope;
  const body = JSON.parse(res.body.toString('utf8'));
  switch (api) {
    case 'cf': {
      if (isUaaPath(target)) {
        const want = bad.missing ? 'unauthorized' : 'invalid_token';
        return body.error === want ? undefined : `UAA error ${JSON.stringify(body.error)}, not ${want}`;
      }
      const [e] = body.errors;
      const want = bad.missing
        ? { title: 'CF-NotAuthenticated', code: 10002, detail: 'Authentication error' }
        : { title: 'CF-InvalidAuthToken', code: 1000, detail: 'Invalid Auth Token' };
      if (e.title !== want.title || e.code !== want.code || e.detail !== want.detail)
        return `error ${JSON.stringify(e)}, not ${JSON.stringify(want)}`;
      return undefined;
    }
    case 'astra': {
      const want = bad.missing ? 'https://astra.netapp.io/problems/3' : 'https://astra.netapp.io/problems/4';
      return body.type === want ? undefined : `problem ${body.type}, not ${want}`;
    }
    case 'vsphere': {
      const type = target.startsWith('/rest') ? body.type : body.error_type;
      const want = target.startsWith('/rest') ? 'com.vmware.vapi.std.errors.unauthenticated' : 'UNAUTHENTICATED';
      return type === want ? undefined : `error type ${type}, not ${want}`;
    }
    case 'dbvisit':
      return res.headers['www-authenticate'] ? undefined : 'no WWW-Authenticate header';
    case 'logcache':
      return body.code === 16 ? undefined : `code ${JSON.stringify(body.code)}, not 16 (UNAUTHENTICATED)`;
  }
}

/** The bad credentials that stand in for what a route takes. */
function credentialsFor(route: Route, all: BadCredential[]): BadCredential[] {
  const wanted = all.filter((b) => route.credentials.includes(b.credential));
  // `missing` is one case however many kinds of credential a route takes.
  const seen = new Set<string>();
  return wanted.filter((b) => (b.missing ? !seen.has('missing') && seen.add('missing') : true));
}

export const tokensCheck: ReliabilityCheck = {
  name: 'tokens',
  title:
    'expired, forged, malformed, alg:none and removed-user credentials on every authenticated route of all four APIs → 401 in each envelope',
  async run(options: CheckOptions): Promise<CheckReport> {
    const failures = new FailureLog();
    const figures: Record<string, string | number> = {};
    const target = new FuzzTarget('sqlite');
    let trials = 0;
    try {
      await target.start();
      const routes = (await routesOf(target.baseUrl)).filter((r) => r.credentials.length > 0);
      const bad = await badCredentials(target, options.quick);
      const cases = routes.flatMap((route) => credentialsFor(route, bad).map((b) => ({ route, bad: b })));
      const perApi = new Map<ApiName, number>();
      const kinds = new Set<string>();
      let next = 0;
      const started = performance.now();
      const worker = async () => {
        while (next < cases.length) {
          const { route, bad: b } = cases[next++];
          const values = Object.fromEntries(route.pathParams.map((p) => [p, validPathValue(route, p, target.world)]));
          const path = fillPath(route.template, values);
          const body = validBody(route, target.world, 'tokens');
          const headers: [string, string][] = [...b.headers];
          if (body !== undefined) headers.push(['content-type', 'application/json']);
          const what = `${route.method} ${route.template} with ${b.kind}`;
          try {
            const res = await sendRaw(
              target.port,
              { method: route.method, target: path, headers, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) },
              20_000,
            );
            const problem = refusalProblem(route.api, path, b, res);
            if (problem) failures.add(`${what}: ${problem}: ${res.body.toString('utf8').slice(0, 200)}`);
          } catch (err) {
            failures.add(`${what}: no answer: ${(err as Error).message}`);
          }
          trials++;
          kinds.add(b.kind);
          perApi.set(route.api, (perApi.get(route.api) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, worker));
      const seconds = (performance.now() - started) / 1000;
      figures['authenticated routes'] = routes.length;
      figures['credential kinds'] = [...kinds].sort().join(', ');
      figures['requests per API'] = [...perApi].map(([api, n]) => `${api} ${n}`).join(', ');
      figures['requests/s'] = (trials / seconds).toFixed(0);
    } finally {
      await target.stop();
    }
    return { trials, failures: failures.all, checked: TOKEN_CHECKED, figures };
  },
};

export const checks: ReliabilityCheck[] = [tokensCheck];
