// Where each task's app lives (a task carries only its app's guid): the app's name, its space and
// its organization, fetched once per new guid with the app list's `include`.
import { getJson, type Page } from './api.js';

export interface AppPlace {
  name: string;
  space: string;
  org: string;
}

interface Named {
  guid: string;
  name: string;
}
interface AppWithSpace extends Named {
  relationships: { space: { data: { guid: string } } };
}
interface SpaceWithOrg extends Named {
  relationships: { organization: { data: { guid: string } } };
}

const places = new Map<string, AppPlace>();

export async function appPlaces(guids: string[]): Promise<Map<string, AppPlace>> {
  const missing = [...new Set(guids)].filter((g) => !places.has(g));
  if (missing.length) {
    const page = await getJson<Page<AppWithSpace> & { included?: { spaces?: SpaceWithOrg[]; organizations?: Named[] } }>(
      `/v3/apps?guids=${missing.join(',')}&per_page=${missing.length}&include=space.organization`,
    );
    const spaces = new Map((page.included?.spaces ?? []).map((s) => [s.guid, s]));
    const orgs = new Map((page.included?.organizations ?? []).map((o) => [o.guid, o.name]));
    for (const app of page.resources) {
      const space = spaces.get(app.relationships.space.data.guid);
      places.set(app.guid, {
        name: app.name,
        space: space?.name ?? '',
        org: (space && orgs.get(space.relationships.organization.data.guid)) ?? '',
      });
    }
  }
  return places;
}
