// The routes to attack, read from taskd's own OpenAPI document (GET /openapi.json): each
// operation's method, path template, declared parameters and body, which API it belongs to and
// which credentials it takes.
export type ApiName = 'cf' | 'astra' | 'vsphere' | 'dbvisit' | 'logcache';

export const API_NAMES: readonly ApiName[] = ['cf', 'astra', 'vsphere', 'dbvisit', 'logcache'];

export type Credential = 'bearer' | 'basic' | 'vsphereSession';

export interface Route {
  method: string;
  /** OpenAPI path template, e.g. /v3/apps/{guid}/tasks. */
  template: string;
  api: ApiName;
  /** Credentials accepted (alternatives); empty for a public route. */
  credentials: Credential[];
  pathParams: string[];
  queryParams: string[];
  /** The JSON body schema, when the document declares one. */
  bodySchema?: unknown;
}

const SCHEME_CREDENTIAL: Record<string, Credential> = { bearerToken: 'bearer', basicPassword: 'basic', vsphereSession: 'vsphereSession' };

/** UAA's endpoints, served beside CF's: they answer in UAA's {error, error_description}. */
export const isUaaPath = (path: string): boolean =>
  path.startsWith('/oauth/') || path.startsWith('/Users/') || path === '/userinfo' || path.startsWith('/userinfo?');

export function apiOf(path: string): ApiName {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
  if (under('/accounts')) return 'astra';
  // Log cache's read API sits under vSphere's /api, in a version vSphere has no path for.
  if (under('/api/v1')) return 'logcache';
  if (under('/rest') || under('/api')) return 'vsphere';
  if (under('/task')) return 'dbvisit';
  return 'cf';
}

interface OpenApiOperation {
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}

export async function routesOf(baseUrl: string): Promise<Route[]> {
  const res = await fetch(`${baseUrl}/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const credentials = (op.security ?? []).flatMap((req) => Object.keys(req).map((s) => SCHEME_CREDENTIAL[s])).filter(Boolean);
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase(),
        template,
        api: apiOf(template),
        credentials,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodySchema: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return routes;
}

/** A path template with its parameters filled in (values already encoded as wanted). */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'missing');
}
