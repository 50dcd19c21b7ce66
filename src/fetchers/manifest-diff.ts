// What applying a manifest would change (`POST /v3/spaces/:guid/manifest_diff`, which newer cf
// CLIs show before a push), in Cloud Controller's JSON-diff shape: `{op, path, was?, value?}`
// with paths like `/applications/0/env/KEY`. Only what taskd applies is compared — name,
// buildpacks, stack, env and the web process's command; memory and disk_quota are never
// diffed at the top level, as CC leaves them out for older clients' sake; keys taskd ignores
// (routes, instances, health checks) would change nothing, so they show no difference.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AppManifest } from '../core/app-manifest.js';

export interface ManifestDiffEntry {
  op: 'add' | 'remove' | 'replace';
  path: string;
  was?: unknown;
  value?: unknown;
}

type Comparable = Pick<AppManifest, 'name' | 'buildpacks' | 'stack' | 'env' | 'command'>;
const KEYS = ['name', 'buildpacks', 'stack', 'env', 'command'] as const;

export async function manifestDiff(db: Kysely<Database>, spaceId: number, manifests: AppManifest[]): Promise<ManifestDiffEntry[]> {
  const diff: ManifestDiffEntry[] = [];
  for (const [index, manifest] of manifests.entries()) {
    const existing = await currentManifest(db, spaceId, manifest.name);
    for (const key of KEYS) {
      if (manifest[key] === undefined) continue;
      diffValue(existing[key], manifest[key], `/applications/${index}/${key}`, diff);
    }
  }
  return diff;
}

/** The app as a manifest would describe it now; nothing for an app not yet in the space. */
async function currentManifest(db: Kysely<Database>, spaceId: number, name: string): Promise<Partial<Comparable>> {
  const app = await db
    .selectFrom('apps')
    .leftJoin('processes', (join) => join.onRef('processes.app_id', '=', 'apps.id').on('processes.type', '=', 'web'))
    .select(['apps.name', 'apps.lifecycle_data', 'apps.environment_variables', 'processes.command'])
    .where('apps.space_id', '=', spaceId)
    .where('apps.name', '=', name)
    .executeTakeFirst();
  if (!app) return {};
  const lifecycle = JSON.parse(app.lifecycle_data) as { buildpacks?: string[]; stack?: string | null };
  const env = JSON.parse(app.environment_variables) as Record<string, string>;
  return {
    name: app.name,
    // As CC's manifest presenter: a key is present only when it has something to say.
    buildpacks: lifecycle.buildpacks?.length ? lifecycle.buildpacks : undefined,
    stack: lifecycle.stack ?? undefined,
    env: Object.keys(env).length ? env : undefined,
    command: app.command ?? undefined,
  };
}

/** JSON diff of one value: whole when either side is a scalar or missing, else key by key or item by item. */
function diffValue(was: unknown, value: unknown, path: string, out: ManifestDiffEntry[]): void {
  if (was === undefined || was === null) {
    out.push({ op: 'add', path, value });
    return;
  }
  if (Array.isArray(was) && Array.isArray(value)) {
    const n = Math.max(was.length, value.length);
    for (let i = 0; i < n; i++) {
      if (i >= value.length) out.push({ op: 'remove', path: `${path}/${i}`, was: was[i] });
      else diffValue(was[i], value[i], `${path}/${i}`, out);
    }
    return;
  }
  if (isRecord(was) && isRecord(value)) {
    for (const key of Object.keys(was)) if (!(key in value)) out.push({ op: 'remove', path: `${path}/${pointer(key)}`, was: was[key] });
    for (const [key, inner] of Object.entries(value)) diffValue(was[key], inner, `${path}/${pointer(key)}`, out);
    return;
  }
  if (JSON.stringify(was) !== JSON.stringify(value)) out.push({ op: 'replace', path, was, value });
}

/** A JSON pointer's escaping of one key (RFC 6901). */
const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
