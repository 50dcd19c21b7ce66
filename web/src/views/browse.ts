// Organizations → spaces → apps, each a list of links to the next level.
import { getAll, getJson } from '../api.js';
import { h, link, type Child } from '../dom.js';
import { reporting } from '../notice.js';
import type { View } from '../router.js';

interface Named {
  guid: string;
  name: string;
}

export const orgsView: View = (main) => {
  const list = h('ul', { class: 'links' });
  main.append(h('h1', {}, 'Organizations'), list);
  void fillList(list, '/v3/organizations?order_by=name', (org) => `#/orgs/${org.guid}`, [
    'No organizations you can see. An admin creates one (',
    h('code', {}, 'npx taskd create-org NAME'),
    ') and gives you a role in one of its spaces.',
  ]);
};

export const orgView: View = (main, route) => {
  const guid = route.parts[1]!;
  const title = h('h1', {}, 'Organization');
  const list = h('ul', { class: 'links' });
  main.append(
    h('p', {}, link('#/orgs', 'All organizations')),
    title,
    h('p', {}, link(`#/tasks?organization_guids=${guid}`, 'Tasks in this organization')),
    h('h2', {}, 'Spaces'),
    list,
  );
  void reporting(async () => (title.textContent = `Organization ${(await getJson<Named>(`/v3/organizations/${guid}`)).name}`));
  void fillList(list, `/v3/spaces?organization_guids=${guid}&order_by=name`, (space) => `#/spaces/${space.guid}`, [
    'No spaces you can see here. Create one with ',
    h('code', {}, 'npx taskd create-space NAME -o ORG'),
    ', or ask an admin for a role in one.',
  ]);
};

export const spaceView: View = (main, route) => {
  const guid = route.parts[1]!;
  const title = h('h1', {}, 'Space');
  const back = h('p', {}, link('#/orgs', 'All organizations'));
  const list = h('ul', { class: 'links' });
  main.append(back, title, h('p', {}, link(`#/tasks?space_guids=${guid}`, 'Tasks in this space')), h('h2', {}, 'Apps'), list);
  void reporting(async () => {
    const space = await getJson<Named & { relationships: { organization: { data: { guid: string } } } }>(`/v3/spaces/${guid}`);
    title.textContent = `Space ${space.name}`;
    back.replaceChildren(link(`#/orgs/${space.relationships.organization.data.guid}`, 'Back to organization'));
  });
  void fillList(list, `/v3/apps?space_guids=${guid}&order_by=name`, (app) => `#/apps/${app.guid}`, [
    'No apps here yet. Target this space and push one: ',
    h('code', {}, 'npx taskd push NAME ./folder'),
    '.',
  ]);
};

/** `whenEmpty` says what to do next where there is nothing yet. */
async function fillList(list: HTMLElement, path: string, href: (item: Named) => string, whenEmpty: Child[]): Promise<void> {
  const items = await reporting(() => getAll<Named>(path));
  if (!items) return;
  if (!items.length) list.append(h('li', { class: 'empty' }, ...whenEmpty));
  for (const item of items) list.append(h('li', {}, link(href(item), item.name)));
}
