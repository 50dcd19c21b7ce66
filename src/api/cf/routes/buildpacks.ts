// GET /v3/buildpacks and /v3/stacks: what taskd stages with. It runs no buildpacks; the one it
// offers is `binary_buildpack` (an app's files run as they are, actions/builds.ts), on each stack
// an app may name.
import type { AppContext } from '../../../context.js';
import type { TypedApp } from '../../typed-app.js';
import { BINARY_BUILDPACK } from '../../../actions/builds.js';
import { DEFAULT_STACK, KNOWN_STACKS } from '../../../core/lifecycles.js';
import { parseListQuery, type RawQuery } from '../messages/list-query.js';
import { PAGED } from '../messages/list-specs.js';
import { presentList } from '../presenters/pagination.js';
import { baseUrl } from '../request.js';

/** A fixed time for resources that are part of taskd itself, not records anyone created. */
const BUILT_IN = '2026-01-01T00:00:00Z';
/** Stable guids for the built-in records, so clients can cache them. */
const guidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** The page asked for of a list held in full (a handful of built-in records). */
const pageOf = <T>(all: T[], query: { page: number; perPage: number }) =>
  all.slice((query.page - 1) * query.perPage, query.page * query.perPage);

export function buildpackRoutes(app: TypedApp, ctx: AppContext) {
  app.get('/v3/buildpacks', async (request) => {
    const query = parseListQuery(request.query as RawQuery, { allowed: [...PAGED, 'names', 'stacks', 'label_selector'] });
    const base = baseUrl(ctx, request);
    const names = query.lists.names;
    const stacks = query.lists.stacks;
    const all = KNOWN_STACKS.map((stack, i) => ({
      guid: guidOf(i + 1),
      created_at: BUILT_IN,
      updated_at: BUILT_IN,
      name: BINARY_BUILDPACK,
      stack,
      state: 'READY',
      filename: `${BINARY_BUILDPACK}-${stack}.zip`,
      position: i + 1,
      enabled: true,
      locked: false,
      metadata: { labels: {}, annotations: {} },
      links: { self: { href: `${base}/v3/buildpacks/${guidOf(i + 1)}` } },
    })).filter((b) => (!names || names.includes(b.name)) && (!stacks || stacks.includes(b.stack)));
    return presentList(`${base}/v3/buildpacks`, query, all.length, pageOf(all, query));
  });

  app.get('/v3/stacks', async (request) => {
    const query = parseListQuery(request.query as RawQuery, { allowed: [...PAGED, 'names', 'default', 'label_selector'] });
    const base = baseUrl(ctx, request);
    const names = query.lists.names;
    const all = KNOWN_STACKS.map((name, i) => ({
      guid: guidOf(0x100 + i),
      created_at: BUILT_IN,
      updated_at: BUILT_IN,
      name,
      description: name === DEFAULT_STACK ? 'The default stack' : `Stack ${name}`,
      build_rootfs_image: name,
      run_rootfs_image: name,
      default: name === DEFAULT_STACK,
      metadata: { labels: {}, annotations: {} },
      links: { self: { href: `${base}/v3/stacks/${guidOf(0x100 + i)}` } },
    })).filter((s) => !names || names.includes(s.name));
    return presentList(`${base}/v3/stacks`, query, all.length, pageOf(all, query));
  });
}
