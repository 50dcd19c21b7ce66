// App names for task rows (a task carries only its app's guid), fetched once per new guid.
import { getJson, type Page } from './api.js';

const names = new Map<string, string>();

export async function appNames(guids: string[]): Promise<Map<string, string>> {
  const missing = [...new Set(guids)].filter((g) => !names.has(g));
  if (missing.length) {
    const page = await getJson<Page<{ guid: string; name: string }>>(`/v3/apps?guids=${missing.join(',')}&per_page=${missing.length}`);
    for (const app of page.resources) names.set(app.guid, app.name);
  }
  return names;
}
